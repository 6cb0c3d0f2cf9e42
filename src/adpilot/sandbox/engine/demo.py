"""The demo world: four brands' ad accounts on the three platforms, 100-200 days of history, and who can sign in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adpilot.platforms.types import EntityLevel, EntityStatus, Platform
from adpilot.sandbox.clock import SandboxClock
from adpilot.sandbox.engine.model import _UNITS_PER_USD, MICROS, ZERO_DECIMAL_CURRENCIES, SandboxLogin, SimAccount
from adpilot.sandbox.engine.world import SandboxWorld, _digits


@dataclass(frozen=True)
class _Brand:
    name: str
    products: tuple[str, ...]
    geos: tuple[str, ...]
    order_value_usd: float


_CONTOSO = _Brand("Contoso Outdoor", ("Hiking boots", "Rain jackets", "Tents", "Trail shoes", "Backpacks"),
                  ("US", "CA"), 95.0)  # fmt: skip
_FABRIKAM = _Brand("Fabrikam Home", ("Sofas", "Lighting", "Bedding", "Rugs", "Kitchen"), ("DE", "AT", "CH"), 140.0)
_TAILSPIN = _Brand("Tailspin Coffee", ("Espresso beans", "Subscriptions", "Grinders", "Gift boxes"), ("UK", "IE"), 48.0)
_KANDA = _Brand("Kanda Tea", ("Matcha", "Sencha", "Tea sets", "Gift boxes"), ("JP",), 55.0)
_COUNTRY = {"UK": "GB"}  # market names in campaign names -> ISO 3166 codes in targeting
_SEASONS = ("Spring", "Summer", "Autumn", "Holiday", "Evergreen")


@dataclass(frozen=True)
class _Template:
    name: str  # formatted with brand, product, geo, season
    objective: str
    attributes: dict[str, Any]
    budget_usd: tuple[float, float]
    group_names: tuple[str, ...]
    ad_names: tuple[str, ...]


def _g(channel: str, bidding: str, **extra: Any) -> dict[str, Any]:
    return {"advertising_channel_type": channel, "bidding_strategy_type": bidding, **extra}


_GOOGLE_TEMPLATES = (
    _Template("{brand} — Search — {geo}", "sales", _g("SEARCH", "TARGET_ROAS"), (60, 300),
              ("Brand — exact", "Brand — phrase", "Brand + product"), ("RSA — brand — v{n}", "RSA — offer — v{n}")),
    _Template("Generic — Search — {product} — {geo}", "sales", _g("SEARCH", "MAXIMIZE_CONVERSIONS"), (80, 450),
              ("{product} — exact", "{product} — phrase", "{product} — broad", "Buy {product} online"),
              ("RSA — {product} — v{n}", "RSA — free shipping — v{n}", "RSA — reviews — v{n}")),
    _Template("Competitors — Search — {geo}", "traffic", _g("SEARCH", "TARGET_CPA"), (40, 160),
              ("Competitor terms", "Alternatives to"), ("RSA — compare — v{n}",)),
    _Template("PMax — {product} — {geo}", "sales", _g("PERFORMANCE_MAX", "MAXIMIZE_CONVERSION_VALUE"), (100, 500),
              ("Asset group — {product}", "Asset group — bestsellers"), ("Asset group ad — v{n}",)),
    _Template("Shopping — {product} — {geo}", "sales", _g("SHOPPING", "MANUAL_CPC"), (50, 250),
              ("All products", "{product} — top sellers"), ("Product ad",)),
    _Template("Display — Remarketing — 30d", "sales", _g("DISPLAY", "TARGET_CPA"), (20, 120),
              ("Cart abandoners 30d", "Site visitors 30d", "Past buyers 180d"),
              ("Responsive display — {product} — v{n}", "Responsive display — offer — v{n}")),
    _Template("YouTube — Awareness — {geo}", "awareness", _g("VIDEO", "TARGET_CPM"), (40, 200),
              ("In-market — {product}", "Custom segment — competitors"),
              ("Bumper 6s — {product} — v{n}", "In-stream 15s — {season} — v{n}")),
    _Template("Leads — Search — Wholesale — {geo}", "leads", _g("SEARCH", "MAXIMIZE_CONVERSIONS"), (30, 120),
              ("Wholesale {product}", "B2B {product}"), ("RSA — wholesale — v{n}",)),
)  # fmt: skip


def _m(objective: str, goal: str, billing: str = "IMPRESSIONS", **extra: Any) -> dict[str, Any]:
    return {"objective": objective, "optimization_goal": goal, "billing_event": billing,
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP", **extra}  # fmt: skip


_META_TEMPLATES = (
    _Template("Prospecting | Lookalike 1% | {season}", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (60, 300),
              ("LAL 1% purchasers — 25-54", "LAL 1% add to cart — 18-65+", "LAL 3% purchasers — {geo}"),
              ("Video — UGC testimonial v{n}", "Carousel — bestsellers", "Static — {season} offer v{n}")),
    _Template("Prospecting | Broad | Advantage+", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (80, 400),
              ("Broad — {geo} — 18-65+", "Broad — {geo} — women 25-54"),
              ("Reel — {product} demo v{n}", "Collection — {product}", "Static — {product} v{n}")),
    _Template("Retargeting — DPA — 30d", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (30, 150),
              ("Viewed product 30d", "Add to cart 14d"), ("DPA — catalog carousel", "DPA — single image")),
    _Template("Retargeting | Engaged 60d | {product}", "sales", _m("OUTCOME_SALES", "OFFSITE_CONVERSIONS"), (25, 120),
              ("Engaged IG 60d", "Website visitors 60d"), ("Video — {product} how-to v{n}", "Static — reviews v{n}")),
    _Template("Traffic | Blog | {geo}", "traffic", _m("OUTCOME_TRAFFIC", "LANDING_PAGE_VIEWS"), (20, 80),
              ("Interests — {product}", "Broad — {geo}"), ("Link — guide to {product} v{n}",)),
    _Template("Leads | Newsletter | {geo}", "leads", _m("OUTCOME_LEADS", "LEAD_GENERATION"), (30, 120),
              ("Lead form — {geo} — 25-54", "Lead form — LAL subscribers"), ("Lead ad — {season} guide v{n}",)),
    _Template("Awareness | Video | {season}", "awareness", _m("OUTCOME_AWARENESS", "REACH"), (40, 200),
              ("Broad — {geo} — 18-44",), ("Video — brand film 15s v{n}", "Video — {product} 6s v{n}")),
    _Template("App | Installs | iOS", "app_installs", _m("OUTCOME_APP_PROMOTION", "APP_INSTALLS"), (50, 200),
              ("iOS — {geo} — broad", "iOS — LAL app users"), ("Video — app walkthrough v{n}", "Static — app v{n}")),
)  # fmt: skip


def _t(objective_type: str, goal: str, billing: str) -> dict[str, Any]:
    return {"objective_type": objective_type, "optimization_goal": goal, "billing_event": billing,
            "budget_mode": "BUDGET_MODE_DAY", "bid_type": "BID_TYPE_NO_BID"}  # fmt: skip


_TIKTOK_TEMPLATES = (
    _Template("Web Conversions — Broad — {geo}", "sales", _t("WEB_CONVERSIONS", "CONVERT", "OCPM"), (50, 300),
              ("Broad 18-44", "Broad 25-54 — {geo}", "Interest — {product}"),
              ("UGC hook A — 15s v{n}", "UGC hook B — 21s v{n}", "Product demo — 9:16 v{n}")),
    _Template("Spark Ads — Creators — {season}", "sales", _t("WEB_CONVERSIONS", "CONVERT", "OCPM"), (60, 250),
              ("Spark — creators — broad", "Spark — LAL purchasers"), ("Spark — @creator{n} — {product}",)),
    _Template("Traffic — {product} — {geo}", "traffic", _t("TRAFFIC", "CLICK", "CPC"), (50, 150),
              ("Interest — {product}", "Broad 18-34"), ("Product demo — 9:16 v{n}", "Slideshow — {product} v{n}")),
    _Template("Reach — Brand — {season}", "awareness", _t("REACH", "REACH", "CPM"), (50, 200),
              ("Broad 18-54 — {geo}",), ("Brand story — 30s v{n}", "Logo sting — 6s v{n}")),
    _Template("Video Views — {product} launch", "video_views", _t("VIDEO_VIEWS", "VIDEO_VIEW", "CPV"), (50, 180),
              ("Broad 18-34", "Interest — lifestyle"), ("Launch teaser — 9s v{n}", "Launch — 15s v{n}")),
    _Template("App Install — Android — {geo}", "app_installs", _t("APP_PROMOTION", "INSTALL", "OCPM"), (50, 200),
              ("Android — broad", "Android — LAL app users"), ("App walkthrough — 15s v{n}",)),
    _Template("Lead Gen — {product} — {geo}", "leads", _t("LEAD_GENERATION", "LEAD_GENERATION", "OCPM"), (50, 150),
              ("Instant form — {geo}", "Instant form — interest {product}"), ("Lead form — {season} offer v{n}",)),
)  # fmt: skip


@dataclass(frozen=True)
class _DemoAccount:
    platform: Platform
    name: str
    currency: str
    time_zone: str
    brand: _Brand | None  # None: a manager account
    campaigns: int
    manager_of: tuple[int, ...] = ()  # indexes (within the platform) of the clients of a manager


_DEMO_ACCOUNTS = (
    _DemoAccount(Platform.google, "Northwind Agency MCC", "USD", "America/New_York", None, 0, manager_of=(1, 2)),
    _DemoAccount(Platform.google, "Contoso Outdoor — US", "USD", "America/Los_Angeles", _CONTOSO, 14),
    _DemoAccount(Platform.google, "Fabrikam Home — DE", "EUR", "Europe/Berlin", _FABRIKAM, 12),
    _DemoAccount(Platform.google, "Tailspin Coffee Roasters", "GBP", "Europe/London", _TAILSPIN, 10),
    _DemoAccount(Platform.meta, "Contoso Outdoor", "USD", "America/Los_Angeles", _CONTOSO, 12),
    _DemoAccount(Platform.meta, "Fabrikam Home EU", "EUR", "Europe/Berlin", _FABRIKAM, 10),
    _DemoAccount(Platform.meta, "Kanda Tea Japan", "JPY", "Asia/Tokyo", _KANDA, 8),
    _DemoAccount(Platform.tiktok, "Contoso Outdoor — TikTok", "USD", "America/New_York", _CONTOSO, 12),
    _DemoAccount(Platform.tiktok, "Tailspin Coffee UK", "GBP", "Europe/London", _TAILSPIN, 9),
)

# (display name, email, which of the platform's accounts by index): the first sees everything, the second one account.
_DEMO_LOGINS: dict[Platform, tuple[tuple[str, str, tuple[int, ...]], ...]] = {
    Platform.google: (
        ("Alex Rivera", "alex.rivera@northwind-agency.example", (0, 3)),
        ("Sam Chen", "sam.chen@tailspin-coffee.example", (3,)),
    ),
    Platform.meta: (
        ("Alex Rivera", "alex.rivera@northwind-agency.example", (0, 1, 2)),
        ("Priya Natarajan", "priya@fabrikam-home.example", (1,)),
    ),
    Platform.tiktok: (
        ("Alex Rivera", "alex.rivera@northwind-agency.example", (0, 1)),
        ("Jamie Okafor", "jamie@tailspin-coffee.example", (1,)),
    ),
}


def _account_id(rng: random.Random, platform: Platform) -> str:
    if platform is Platform.google:
        return _digits(rng, str(rng.randint(1, 9)), 10)
    if platform is Platform.meta:
        return _digits(rng, str(rng.randint(1, 9)), 16)
    return _digits(rng, "7" + rng.choice("0123"), 19)


def _login_id(rng: random.Random, platform: Platform) -> str:
    if platform is Platform.google:
        return _digits(rng, "1", 21)  # Google account (``sub``) ids
    if platform is Platform.meta:
        return _digits(rng, "10", 17)
    return _digits(rng, "7", 19)


def _money(rng: random.Random, usd_range: tuple[float, float], currency: str) -> int:
    """A round budget in the account currency: whole units (hundreds of yen), in micros."""
    amount = rng.uniform(*usd_range) * _UNITS_PER_USD.get(currency, 1.0)
    step = 100 if currency in ZERO_DECIMAL_CURRENCIES else 5
    return max(step, round(amount / step) * step) * MICROS


def build_demo_world(seed: int = 7, clock: SandboxClock | None = None) -> SandboxWorld:
    """The demo's three platforms, 100-200 days of history up to the clock's today, reproducible for a seed.

    History is placed relative to midnight UTC of the clock's current day, so worlds built the same day from the same
    seed are identical.
    """
    clock = clock or SandboxClock()
    world = SandboxWorld(seed=seed, clock=clock)
    rng = random.Random(f"adpilot-sandbox:{seed}")  # noqa: S311 - a simulation, not security
    now = clock.now()
    anchor = datetime(now.year, now.month, now.day, tzinfo=UTC)
    platform_accounts: dict[Platform, list[str]] = {p: [] for p in Platform}
    for spec in _DEMO_ACCOUNTS:
        account_id = _account_id(rng, spec.platform)
        platform_accounts[spec.platform].append(account_id)
        world.add_account(
            SimAccount(
                platform=spec.platform,
                account_id=account_id,
                name=spec.name,
                currency=spec.currency,
                time_zone=spec.time_zone,
                is_manager=spec.brand is None,
            ),
            order_value_usd=spec.brand.order_value_usd if spec.brand else 70.0,
        )
    for spec in _DEMO_ACCOUNTS:
        if spec.manager_of:
            ids = platform_accounts[spec.platform]
            manager_id = ids[next(i for i, s in enumerate(_platform_specs(spec.platform)) if s is spec)]
            for index in spec.manager_of:
                world._accounts[spec.platform][ids[index]].manager_id = manager_id
    for platform, logins in _DEMO_LOGINS.items():
        for display_name, email, indexes in logins:
            world.add_login(
                SandboxLogin(
                    platform=platform,
                    login_id=_login_id(rng, platform),
                    display_name=display_name,
                    email=email,
                    account_ids=tuple(platform_accounts[platform][i] for i in indexes),
                )
            )
    for spec in _DEMO_ACCOUNTS:
        if spec.brand is None:
            continue
        index = _platform_specs(spec.platform).index(spec)
        _build_account(world, rng, spec, platform_accounts[spec.platform][index], anchor)
    return world


def _platform_specs(platform: Platform) -> list[_DemoAccount]:
    return [s for s in _DEMO_ACCOUNTS if s.platform is platform]


def _build_account(
    world: SandboxWorld, rng: random.Random, spec: _DemoAccount, account_id: str, anchor: datetime
) -> None:
    assert spec.brand is not None  # noqa: S101 - managers are skipped by the caller
    brand = spec.brand
    templates = {Platform.google: _GOOGLE_TEMPLATES, Platform.meta: _META_TEMPLATES}.get(
        spec.platform, _TIKTOK_TEMPLATES
    )
    used_names: set[str] = set()
    for number in range(spec.campaigns):
        template = templates[number % len(templates)] if number < len(templates) else rng.choice(templates)
        words = {"brand": brand.name, "product": rng.choice(brand.products), "geo": rng.choice(brand.geos),
                 "season": rng.choice(_SEASONS)}  # fmt: skip
        base = template.name.format(**words)
        # Templates reused within an account are told apart the way media buyers do: by market, season or product.
        candidates = [
            base,
            *(f"{base} — {words[k]}" for k in ("geo", "season", "product") if f"{{{k}}}" not in template.name),
        ]
        name = next((c for c in candidates if c not in used_names), f"{base} — {number + 1}")
        used_names.add(name)
        _build_campaign(world, rng, spec, account_id, anchor, template, name, words)


def _build_campaign(
    world: SandboxWorld,
    rng: random.Random,
    spec: _DemoAccount,
    account_id: str,
    anchor: datetime,
    template: _Template,
    name: str,
    words: dict[str, str],
) -> None:
    platform = spec.platform
    created = anchor - timedelta(days=rng.uniform(100, 200))
    budget = _money(rng, template.budget_usd, spec.currency)
    # Optimization goal and billing event belong to ad sets / ad groups, not to Meta and TikTok campaigns.
    ad_group_keys = ("optimization_goal", "billing_event") if platform is not Platform.google else ()
    attributes = {k: v for k, v in template.attributes.items() if k not in ad_group_keys}
    # Meta mixes campaign budgets (CBO) and ad set budgets; Google and TikTok budget at the campaign.
    campaign_budget = platform is not Platform.meta or rng.random() < 0.5
    lifetime_campaign = platform is Platform.tiktok and rng.random() < 0.12
    if platform is Platform.meta:
        attributes["budget_level"] = "campaign" if campaign_budget else "ad_set"
    if lifetime_campaign:
        attributes["budget_mode"] = "BUDGET_MODE_TOTAL"
        attributes["flight_days"] = 60
    if platform is Platform.google:
        attributes["budget_delivery_method"] = "STANDARD"
    campaign = world.create_entity(
        platform,
        account_id,
        EntityLevel.campaign,
        name=name,
        parent_id=None,
        status=EntityStatus.active,
        objective=template.objective,
        daily_budget_micros=budget if campaign_budget and not lifetime_campaign else None,
        lifetime_budget_micros=budget * 60 if lifetime_campaign else None,
        attributes=attributes,
        created_at=created,
    )
    group_names = list(template.group_names)
    rng.shuffle(group_names)
    group_count = rng.randint(1, min(4, len(group_names) + 1))
    for g in range(group_count):
        group_name = (group_names[g] if g < len(group_names) else f"{group_names[0]} — test {g}").format(**words)
        group_attributes: dict[str, Any] = {}
        group_budget: int | None = None
        group_lifetime: int | None = None
        if platform is Platform.meta:
            group_attributes = {
                k: template.attributes[k] for k in ("optimization_goal", "billing_event", "bid_strategy")
            }
            group_attributes["targeting"] = {
                "geo_locations": {"countries": [_COUNTRY.get(words["geo"], words["geo"])]},
                "age_min": rng.choice((18, 21, 25)),
                "age_max": rng.choice((44, 54, 65)),
            }
            if not campaign_budget:
                if rng.random() < 0.15:
                    group_lifetime = _money(rng, (600, 3000), spec.currency)
                    group_attributes["flight_days"] = 30
                else:
                    group_budget = _money(rng, (15, 120), spec.currency)
        elif platform is Platform.tiktok:
            group_attributes = {
                "optimization_goal": template.attributes["optimization_goal"],
                "billing_event": template.attributes["billing_event"],
                "placement_type": "PLACEMENT_TYPE_NORMAL",
                "placements": ["PLACEMENT_TIKTOK"],
            }
        else:
            group_attributes = {"type": _google_group_type(str(attributes["advertising_channel_type"]))}
        group = world.create_entity(
            platform,
            account_id,
            EntityLevel.ad_group,
            name=group_name,
            parent_id=campaign.id,
            status=EntityStatus.active,
            objective=template.objective,
            daily_budget_micros=group_budget,
            lifetime_budget_micros=group_lifetime,
            attributes=group_attributes,
            created_at=created + timedelta(minutes=rng.randint(2, 90)),
        )
        ad_count = rng.randint(1, 4)
        for a in range(ad_count):
            ad_name = template.ad_names[a % len(template.ad_names)].format(n=a // len(template.ad_names) + 1, **words)
            # The first ads launch with their ad group; later ones are creative refreshes weeks or months in.
            refresh = a > 0 and rng.random() < 0.35
            ad_created = (
                anchor - timedelta(days=rng.uniform(10, 80), hours=rng.uniform(0, 23))
                if refresh
                else group.created_at + timedelta(minutes=rng.randint(1, 30))
            )
            ad = world.create_entity(
                platform,
                account_id,
                EntityLevel.ad,
                name=ad_name,
                parent_id=group.id,
                status=EntityStatus.active,
                objective=template.objective,
                attributes=_ad_attributes(platform, str(attributes.get("advertising_channel_type", "")), rng),
                created_at=max(ad_created, group.created_at + timedelta(minutes=1)),
            )
            if rng.random() < 0.08:
                _change_status(world, rng, platform, ad.id, anchor, EntityStatus.paused, ad.created_at)
        if group_count > 1 and rng.random() < 0.08:
            _change_status(world, rng, platform, group.id, anchor, EntityStatus.paused, group.created_at)
    # Budget changes some weeks ago, then the campaign's own fate: most run, a few are paused, a few removed.
    if campaign_budget and not lifetime_campaign and rng.random() < 0.3:
        changed = anchor - timedelta(days=rng.uniform(15, 75), hours=rng.uniform(0, 23))
        new_budget = max(_money(rng, (5, 5), spec.currency), round(budget * rng.uniform(0.7, 1.5) / MICROS) * MICROS)
        world.update_entity(platform, campaign.id, daily_budget_micros=new_budget, at=changed)
    fate = rng.random()
    if fate < 0.1:
        _change_status(world, rng, platform, campaign.id, anchor, EntityStatus.paused, created)
    elif fate < 0.17:
        _change_status(world, rng, platform, campaign.id, anchor, EntityStatus.removed, created)


def _change_status(
    world: SandboxWorld,
    rng: random.Random,
    platform: Platform,
    entity_id: str,
    anchor: datetime,
    status: EntityStatus,
    not_before: datetime,
) -> None:
    last_change = world.status_history(platform, entity_id)[-1][0]
    moment = anchor - timedelta(days=rng.uniform(3, 70), hours=rng.uniform(0, 23))
    moment = max(moment, not_before + timedelta(days=1), last_change + timedelta(minutes=1))
    if moment >= anchor:
        return
    world.update_entity(platform, entity_id, status=status, at=moment)
    if status is EntityStatus.removed and platform is not Platform.google:
        # Deleting a Meta or TikTok campaign deletes everything under it; Google leaves the children's status alone.
        for group in world.children(platform, entity_id):
            for entity in (*world.children(platform, group.id), group):
                if entity.status is not EntityStatus.removed:
                    world.update_entity(platform, entity.id, status=EntityStatus.removed, at=moment)


def _google_group_type(channel: str) -> str:
    return {
        "SEARCH": "SEARCH_STANDARD",
        "DISPLAY": "DISPLAY_STANDARD",
        "VIDEO": "VIDEO_TRUE_VIEW_IN_STREAM",
        "SHOPPING": "SHOPPING_PRODUCT_ADS",
    }.get(channel, "UNSPECIFIED")


def _ad_attributes(platform: Platform, channel: str, rng: random.Random) -> dict[str, Any]:
    if platform is Platform.google:
        return {
            "type": {
                "SEARCH": "RESPONSIVE_SEARCH_AD",
                "DISPLAY": "RESPONSIVE_DISPLAY_AD",
                "VIDEO": "VIDEO_RESPONSIVE_AD",
                "SHOPPING": "SHOPPING_PRODUCT_AD",
            }.get(channel, "UNSPECIFIED")
        }
    if platform is Platform.meta:
        return {"creative_type": rng.choice(("video", "image", "carousel"))}
    return {"ad_format": "SINGLE_VIDEO", "video_duration_seconds": rng.choice((9, 15, 21, 30))}
