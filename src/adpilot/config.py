"""Settings: one object, read from the environment (prefix ``ADPILOT_``) and grouped by concern."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    development = "development"
    demo = "demo"
    test = "test"
    production = "production"


class PlatformEndpoint(StrEnum):
    """Where a platform's calls go (see ``Settings.platform_endpoint``)."""

    real = "real"  # the platform itself
    sandbox = "sandbox"  # the emulators this server serves under /sandbox/
    custom = "custom"  # URLs set explicitly (a standalone sandbox, a proxy)
    unconfigured = "unconfigured"  # neither app credentials nor the sandbox: the platform cannot be connected


# The settings that point each platform somewhere explicitly, and its app credentials (id, secret).
_PLATFORM_URL_SETTINGS = {
    "google": (
        "google_ads_api_base_url",
        "google_oauth_authorize_url",
        "google_oauth_token_url",
        "google_oauth_revoke_url",
        "google_oauth_userinfo_url",
    ),
    "meta": ("meta_graph_base_url", "meta_dialog_base_url"),
    "tiktok": ("tiktok_api_base_url", "tiktok_authorize_url"),
}
_PLATFORM_CREDENTIAL_SETTINGS = {
    "google": ("google_client_id", "google_client_secret"),
    "meta": ("meta_app_id", "meta_app_secret"),
    "tiktok": ("tiktok_app_id", "tiktok_app_secret"),
}


ECB_RATES_URL = "https://www.ecb.europa.eu/stats/eurofxref/"


class Settings(BaseSettings):
    """Every setting of adpilot. See the configuration table in README.md."""

    model_config = SettingsConfigDict(env_prefix="ADPILOT_", extra="ignore")

    environment: Environment = Environment.development
    home: Path = Path(".adpilot")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""

    # Database. Unset: an embedded PostgreSQL in ``home``. Set: the owner connection used for migrations.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ADPILOT_DATABASE_URL")
    )
    # The restricted role the app and workers connect as. Derived from database_url when unset.
    app_database_url: str | None = None
    app_database_role: str = "adpilot_app"
    app_database_password: SecretStr | None = None
    db_pool_size: int = 10

    # Secrets. In development and demo a random key is generated once and kept in ``home``.
    secret_key: SecretStr | None = None

    # Sessions and tokens.
    access_token_minutes: int = 15
    refresh_token_days: int = 7
    min_password_length: int = 10
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 20
    login_failure_window_seconds: int = 900

    # Mail. No SMTP host: mail lands in the local outbox (development, demo, test).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_tls: bool = False
    mail_from: str = "adpilot <no-reply@adpilot.dev>"
    # The development outbox page: unset = only when serving on loopback (see Settings.outbox_page_enabled).
    dev_outbox: bool | None = None

    # HTTP.
    cors_origins: list[str] = []
    rate_limit_per_minute: int = 600
    # "memory://" counts per process; several API processes share counters with e.g. "redis://host:6379".
    rate_limit_storage_uri: str = "memory://"

    # Jobs.
    run_worker: bool = True
    # Jobs run at once per worker process, per queue (each queue has its own worker: see adpilot.jobs.Queue).
    worker_interactive_concurrency: int = Field(default=2, ge=1, le=100)
    worker_platform_concurrency: int = Field(default=4, ge=1, le=100)
    worker_reports_concurrency: int = Field(default=1, ge=1, le=100)
    # Report runs kept per schedule (the newest; the last successful one is always kept): over a year of a daily report.
    report_run_history_per_schedule: int = Field(default=500, ge=10, le=100_000)
    worker_polling_interval: float = 1.0
    # Seconds the worker of `adpilot serve` / `adpilot worker` lets running jobs finish at shutdown; the rest are
    # aborted and retried later.
    worker_shutdown_timeout: float = 8.0

    # Credentials vault: comma-separated Fernet keys, newest first (it encrypts; the others still decrypt, so a key
    # can be rotated with `adpilot keys rotate`). Outside production one key is generated once and kept in ``home``.
    credential_keys: SecretStr | None = None

    # Ad platforms. ``sandbox`` (default: on outside production) serves local emulators of all three platforms under
    # /sandbox/; a platform with neither app credentials nor URLs set explicitly uses them (Settings.platform_endpoint).
    sandbox: bool | None = None
    platform_timeout_seconds: float = 30.0
    # The longest a platform call waits for a slot of the shared rate limiter; a job that would wait longer is
    # scheduled for when the slot comes instead of sleeping in a worker slot.
    platform_limiter_max_wait_seconds: float = Field(default=10.0, ge=0, le=3600)
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_developer_token: SecretStr | None = None
    google_ads_api_version: str = "v23"
    google_ads_api_base_url: str | None = None
    google_oauth_authorize_url: str | None = None
    google_oauth_token_url: str | None = None
    google_oauth_revoke_url: str | None = None
    google_oauth_userinfo_url: str | None = None
    google_requests_per_second: float = 10.0
    meta_app_id: str | None = None
    meta_app_secret: SecretStr | None = None
    meta_api_version: str = "v23.0"
    meta_graph_base_url: str | None = None
    meta_dialog_base_url: str | None = None
    meta_requests_per_second: float = 5.0
    tiktok_app_id: str | None = None
    tiktok_app_secret: SecretStr | None = None
    tiktok_api_base_url: str | None = None
    tiktok_authorize_url: str | None = None
    tiktok_requests_per_second: float = 10.0
    # Entity sync of every managed ad account, and how long before expiry credentials are refreshed.
    entity_sync_interval_minutes: int = Field(default=60, ge=1, le=1440)
    # Between whole-tree reads, a sync reads only what the platform says changed (where it can say).
    entity_full_sync_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Entity sync runs kept per ad account (the newest; the last successful one is always kept): about six weeks
    # at the default interval.
    sync_run_history_per_account: int = Field(default=1000, ge=10, le=100_000)
    credential_refresh_margin_minutes: int = Field(default=15, ge=1)
    # Metrics sync: days read by an account's first sync, and how often the last 7 days and today's hours are re-read
    # (a 28-day re-read runs once a day regardless: platforms restate conversions).
    metrics_backfill_days: int = Field(default=90, ge=1, le=1100)
    # Months of history read in the background after the first sync (0: none), for "previous year" comparisons.
    metrics_history_months: int = Field(default=13, ge=0, le=37)
    metrics_sync_interval_minutes: int = Field(default=30, ge=1, le=1440)
    # Metrics sync runs kept per ad account (the newest; the newest of each scope and outcome is always kept, so the
    # scheduler and the freshness shown never change): about three weeks at the default intervals.
    metric_sync_run_history_per_account: int = Field(default=1000, ge=10, le=100_000)
    # How often the last 7 days (every level) are re-read; between those runs, only today's campaign level and hours.
    metrics_recent_interval_minutes: int = Field(default=180, ge=1, le=1440)
    # Platform quotas per sliding 24 hours (Google Ads Basic access: 15,000 operations; none: no daily limit known).
    # Scheduled syncs wait once sync_quota_share of a quota is used (history at half of it): the rest is kept for
    # what people ask for.
    google_daily_operations: int | None = Field(default=15000, ge=1)
    meta_daily_operations: int | None = Field(default=None, ge=1)
    tiktok_daily_operations: int | None = Field(default=None, ge=1)
    sync_quota_share: float = Field(default=0.8, gt=0, le=1)

    # Daily reference exchange rates: the directory of files in the format of the ECB's euro reference rates
    # (eurofxref-daily.xml, eurofxref-hist-90d.xml, eurofxref-hist.xml). Unset: the sandbox's copy when the sandbox
    # is served, else the ECB's (Settings.resolved_fx_rates_url).
    fx_rates_url: str | None = None

    # Observability.
    log_level: str = "INFO"
    log_json: bool = True
    sentry_dsn: SecretStr | None = None

    # Demo.
    demo_email: str = "demo@adpilot.dev"
    demo_password: SecretStr = SecretStr("demo-password-2026")

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def outbox_page_enabled(self) -> bool:
        """Whether the web app's development outbox page (and its unauthenticated API) is served.

        It shows every message, password-reset links included, so by default only where nobody else can reach it:
        mail goes to the outbox, not in production, and the server listens on loopback only.
        """
        if self.dev_outbox is not None:
            return self.dev_outbox and self.outbox_enabled and not self.is_production
        return self.outbox_enabled and not self.is_production and self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def sandbox_enabled(self) -> bool:
        """Whether the ad platform emulators are served and used for every platform URL not set explicitly."""
        return self.sandbox if self.sandbox is not None else not self.is_production

    def has_app_credentials(self, platform: str) -> bool:
        """Both the app id and its secret are configured for ``platform`` ("google", "meta" or "tiktok")."""
        return all(getattr(self, name) is not None for name in _PLATFORM_CREDENTIAL_SETTINGS[platform])

    def platform_endpoint(self, platform: str) -> PlatformEndpoint:
        """Where ``platform``'s calls go: URLs set explicitly win; otherwise a platform with app credentials talks
        to the real platform (even with the sandbox on, so real secrets never reach the emulators), and one without
        them to the sandbox when it is served."""
        if any(getattr(self, name) is not None for name in _PLATFORM_URL_SETTINGS[platform]):
            return PlatformEndpoint.custom
        if self.has_app_credentials(platform):
            return PlatformEndpoint.real
        return PlatformEndpoint.sandbox if self.sandbox_enabled else PlatformEndpoint.unconfigured

    @property
    def resolved_fx_rates_url(self) -> str:
        """Where reference rates are fetched from (a directory URL ending in ``/``): the setting, else the sandbox's
        files when it is served (no outside call outside production), else the ECB's."""
        url = self.fx_rates_url or (
            f"{self.base_url}/sandbox/ecb/stats/eurofxref/" if self.sandbox_enabled else ECB_RATES_URL
        )
        return url if url.endswith("/") else url + "/"

    @property
    def outbox_enabled(self) -> bool:
        """Mail goes to the local outbox instead of SMTP."""
        return self.smtp_host is None

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def resolved_secret_key(self) -> str:
        """The signing key; generated once and kept in ``home`` outside production."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.is_production:
            raise RuntimeError("ADPILOT_SECRET_KEY must be set in production")
        path = self.home / "secret.key"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def resolved_credential_keys(self) -> list[str]:
        """The vault's Fernet keys, newest first; generated once and kept in ``home`` outside production."""
        if self.credential_keys is not None:
            keys = [key.strip() for key in self.credential_keys.get_secret_value().split(",") if key.strip()]
            if not keys:
                raise RuntimeError("ADPILOT_CREDENTIAL_KEYS is set but holds no key")
            return keys
        if self.is_production:
            raise RuntimeError("ADPILOT_CREDENTIAL_KEYS must be set in production")
        path = self.home / "credential.keys"
        if not path.exists():
            from cryptography.fernet import Fernet

            self.home.mkdir(parents=True, exist_ok=True)
            path.write_text(Fernet.generate_key().decode())
            path.chmod(0o600)
        return [key.strip() for key in path.read_text().split(",") if key.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
