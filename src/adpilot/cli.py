"""The adpilot command: serve, worker, migrate, demo and operations."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Coroutine
from contextlib import suppress
from typing import Annotated, Any, TypeVar

import typer

from adpilot.config import Environment, Settings, get_settings

cli = typer.Typer(
    help="adpilot: self-hostable AI marketing automation.", no_args_is_help=True, pretty_exceptions_enable=False
)
jobs_cli = typer.Typer(help="Inspect and retry background jobs.", no_args_is_help=True)
mail_cli = typer.Typer(help="The development mail outbox.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit log.", no_args_is_help=True)
keys_cli = typer.Typer(help="The credential vault's keys.", no_args_is_help=True)
sandbox_cli = typer.Typer(help="The local emulators of Google Ads, Meta and TikTok.", no_args_is_help=True)
cli.add_typer(sandbox_cli, name="sandbox")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(mail_cli, name="mail")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(keys_cli, name="keys")

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def _prepare(settings: Settings) -> None:
    from adpilot.app import configure_observability

    configure_observability(settings)


def _stop_on_sigterm() -> None:
    # SIGTERM becomes SystemExit so that `finally` blocks (stopping the embedded PostgreSQL) run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _migrate(settings: Settings) -> None:
    from adpilot import migrate
    from adpilot.db import resolve_urls

    urls = resolve_urls(settings)
    try:
        migrate.upgrade(urls.owner, settings.app_database_role)
    except migrate.DatabaseNotSupported as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ADPILOT_PORT or 8000).")] = None,
    worker: Annotated[bool, typer.Option(help="Run the job worker in this process.")] = True,
    demo: Annotated[bool, typer.Option(help="Seed the demo workspace on first start (not in production).")] = True,
) -> None:
    """Apply migrations, then serve the API, the web app and (by default) the job worker."""
    import uvicorn

    from adpilot.app import create_app
    from adpilot.db import stop_embedded

    settings = get_settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    _prepare(settings)
    _stop_on_sigterm()
    try:
        _migrate(settings)
        if demo and not settings.is_production:
            _seed_and_print_demo(settings)
        app = create_app(settings, run_worker=worker and settings.run_worker)
        typer.echo(f"adpilot is serving on {settings.base_url}  (Ctrl-C to stop)")
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
            server_header=False,
        )

        class DrainingServer(uvicorn.Server):
            async def shutdown(self, sockets: list[Any] | None = None) -> None:
                # The worker stops first, while the server still answers: running jobs may call the in-process
                # sandbox through it, and would record its disappearance as platform failures.
                stop_worker = getattr(app.state, "stop_worker", None)
                if stop_worker is not None:
                    await stop_worker()
                await super().shutdown(sockets)

        DrainingServer(config).run()
    finally:
        stop_embedded()


@cli.command("worker")
def run_worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs run at once per queue (default: each queue's setting).")
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Work only this queue (repeatable): interactive, platform or reports. Default: all."),
    ] = None,
) -> None:
    """Run job workers only (any number of these may run against the same database)."""
    from adpilot import jobs
    from adpilot.db import close_database, init_database, stop_embedded
    from adpilot.subscriptions import install as install_subscriptions

    try:
        queues = [jobs.Queue(name) for name in queue or ()]
    except ValueError:
        raise typer.BadParameter(f"queues are {', '.join(q.value for q in jobs.Queue)}", param_hint="--queue") from None
    settings = get_settings()
    _prepare(settings)
    _stop_on_sigterm()

    async def work() -> None:
        database = init_database(settings)
        job_app = jobs.configure(database.urls.app)
        install_subscriptions()  # the reactions the event deliveries run
        async with job_app.open_async():
            # One worker per queue: a signal stops them all, each finishing its running jobs first.
            workers = asyncio.create_task(
                jobs.run_workers(
                    job_app, settings, queues=queues, concurrency=concurrency, install_signal_handlers=False
                )
            )
            loop = asyncio.get_running_loop()
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(stop_signal, workers.cancel)
            with suppress(asyncio.CancelledError):
                await workers
        await close_database()

    try:
        _run(work())
    except KeyboardInterrupt:
        pass
    finally:
        stop_embedded()


@cli.command()
def migrate() -> None:
    """Apply database migrations (as the owner role) and grant the app role its privileges."""
    from adpilot.db import stop_embedded

    settings = get_settings()
    try:
        _migrate(settings)
        typer.echo("Migrations applied.")
    finally:
        stop_embedded()


async def _seed_demo(settings: Settings) -> Any:
    from adpilot.db import Database, resolve_urls
    from adpilot.demo import seed_demo
    from adpilot.subscriptions import install as install_subscriptions

    install_subscriptions()  # connecting the demo's accounts publishes events
    database = Database(resolve_urls(settings), pool_size=2)
    try:
        return await seed_demo(database, settings)
    finally:
        await database.dispose()


def _seed_and_print_demo(settings: Settings) -> None:
    from adpilot.demo import DemoSettingsInvalid

    try:
        login = _run(_seed_demo(settings))
    except DemoSettingsInvalid as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _print_demo(login, settings)


def _print_demo(login: Any, settings: Settings) -> None:
    state = "created" if login.created else "ready"
    typer.echo(
        f"\nDemo workspace {state}. Log in at {settings.base_url}/login with\n"
        f"  email:    {login.email}\n  password: {login.password}\n"
    )
    if settings.sandbox_enabled:
        typer.echo(
            "Its organization is connected to the sandbox's Google Ads, Meta and TikTok accounts (simulated,\n"
            f"served under {settings.base_url}/sandbox/): the Dashboard fills in, every preset range, within two\n"
            "minutes, and older history follows in the background; see also Connections and Campaigns. No real ad\n"
            "account is touched.\n"
        )


@cli.command()
def demo() -> None:
    """Create the demo workspace (idempotent) and print how to log in."""
    from adpilot.db import stop_embedded

    settings = get_settings()
    if settings.is_production:
        typer.echo("The demo workspace is not created in production.", err=True)
        raise typer.Exit(2)
    try:
        _migrate(settings)
        _seed_and_print_demo(settings)
    finally:
        stop_embedded()


@cli.command()
def openapi() -> None:
    """Print the OpenAPI schema (the web app's API client is generated from it)."""
    from adpilot.app import create_app

    settings = get_settings().model_copy(update={"environment": Environment.development, "smtp_host": None})
    schema = create_app(settings, run_worker=False).openapi()
    typer.echo(json.dumps(schema, indent=2, sort_keys=True))


async def _with_jobs(action: Any) -> Any:
    from adpilot import jobs
    from adpilot.db import resolve_urls

    urls = resolve_urls(get_settings())
    job_app = jobs.configure(urls.app, import_tasks=False)
    async with job_app.open_async():
        return await action()


@jobs_cli.command("failed")
def jobs_failed(limit: int = 50) -> None:
    """List the most recent failed jobs."""
    from adpilot import jobs
    from adpilot.db import stop_embedded

    try:
        rows = _run(_with_jobs(lambda: jobs.failed_jobs(limit)))
    finally:
        stop_embedded()
    if not rows:
        typer.echo("No failed jobs.")
    for row in rows:
        typer.echo(f"{row['id']:>8}  {row['task_name']:<32} attempts={row['attempts']}  args={json.dumps(row['args'])}")


@jobs_cli.command("retry")
def jobs_retry(job_id: int) -> None:
    """Queue a failed job again."""
    from adpilot import jobs
    from adpilot.db import stop_embedded

    try:
        retried = _run(_with_jobs(lambda: jobs.retry_job(job_id)))
    finally:
        stop_embedded()
    if not retried:
        typer.echo(f"No failed job with id {job_id}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Job {job_id} queued again.")


@mail_cli.command("outbox")
def mail_outbox(limit: int = 20) -> None:
    """Print the newest messages of the development outbox."""
    from adpilot.core.pagination import TIME_ID, PageRequest
    from adpilot.db import Database, resolve_urls, stop_embedded
    from adpilot.notifications.mail import list_outbox

    async def read() -> list[Any]:
        database = Database(resolve_urls(get_settings()), pool_size=1)
        try:
            async with database.transaction() as session:
                return (await list_outbox(session, PageRequest(limit, None, TIME_ID))).items
        finally:
            await database.dispose()

    try:
        messages = _run(read())
    finally:
        stop_embedded()
    if not messages:
        typer.echo("The outbox is empty.")
    for message in messages:
        typer.echo(
            f"--- {message.created_at:%Y-%m-%d %H:%M:%S} to {message.recipient}: {message.subject}\n{message.body_text}"
        )


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute every organization's audit chain; exit 1 if an entry was modified or deleted."""
    from adpilot.audit.verify import verify_all
    from adpilot.db import resolve_urls, stop_embedded

    try:
        reports = _run(verify_all(resolve_urls(get_settings())))
    finally:
        stop_embedded()
    broken = [report for report in reports if not report.ok]
    for report in reports:
        state = "ok" if report.ok else "BROKEN"
        typer.echo(f"{report.organization_id}  {report.entries:>8} entries  {state}")
        for chain_break in report.breaks:
            typer.echo(f"    entry {chain_break.seq}: {chain_break.reason}")
    if broken:
        raise typer.Exit(1)


@sandbox_cli.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="Port to listen on (loopback only).")] = 8100,
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 7,
    requests_per_second: Annotated[
        float | None, typer.Option(help="The rate each emulator enforces (per account; per app for TikTok).")
    ] = None,
) -> None:
    """Serve the three platform emulators alone, at http://127.0.0.1:PORT/sandbox/{google,meta,tiktok}."""
    import uvicorn

    from adpilot.sandbox.app import create_standalone_app
    from adpilot.sandbox.state import SandboxConfig, SandboxState

    config = SandboxConfig()
    if requests_per_second is not None:
        config.google_requests_per_second = config.meta_requests_per_second = requests_per_second
        config.tiktok_requests_per_second = requests_per_second
    settings = get_settings()
    _prepare(settings)
    state = SandboxState.demo(seed=seed, secret=settings.resolved_secret_key().encode(), config=config)
    typer.echo(f"sandbox on http://127.0.0.1:{port}/sandbox/{{google,meta,tiktok}} (seed {seed})")
    uvicorn.run(create_standalone_app(state), host="127.0.0.1", port=port, log_level="warning")


@keys_cli.command("generate")
def keys_generate() -> None:
    """Print a new credential key; put it first in ADPILOT_CREDENTIAL_KEYS, then run `adpilot keys rotate`."""
    from adpilot.core.vault import generate_key

    typer.echo(generate_key())


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored platform credential with the newest key (the first of ADPILOT_CREDENTIAL_KEYS)."""
    from adpilot.connections.keys import rotate_credentials
    from adpilot.core.vault import CredentialVault, VaultKeyInvalid
    from adpilot.db import resolve_urls, stop_embedded

    settings = get_settings()
    try:
        vault = CredentialVault(settings.resolved_credential_keys())
    except (VaultKeyInvalid, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        # As the owner, like `adpilot migrate`: the rotation must see every organization's credentials.
        report = _run(rotate_credentials(resolve_urls(settings).owner, vault))
    finally:
        stop_embedded()
    typer.echo(
        f"{report.rotated} of {report.connections} connection credentials re-encrypted with the newest key "
        f"({vault.key_count} key(s) configured)."
    )
    if report.unreadable:
        typer.echo(
            f"{len(report.unreadable)} connection(s) could not be decrypted with any configured key "
            "(reconnect them): " + ", ".join(str(connection_id) for connection_id in report.unreadable),
            err=True,
        )
        raise typer.Exit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
