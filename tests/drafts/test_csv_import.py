"""The CSV import of drafts: the parser (every problem at its line and column) and the API (dry run, confirmation,
the same file twice, other organizations' ad accounts, limits)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from adpilot.drafts.csv_format import COLUMNS, MAX_IMPORT_ROWS, ImportAccount, template_csv, template_examples
from adpilot.drafts.csv_import import ImportProblem, parse_drafts_csv, split_list
from adpilot.drafts.schemas import Severity
from adpilot.platforms.types import Platform
from tests.campaigns.test_entity_sync import connect_sandbox
from tests.fixtures import OrgWorld
from tests.sandbox_fixtures import SandboxServer

TODAY = date(2027, 1, 4)
GOOGLE = ImportAccount(uuid4(), Platform.google, "Flowers Google", "1234567890", "EUR")
META = ImportAccount(uuid4(), Platform.meta, "Flowers Meta", "act_42", "JPY")
TIKTOK = ImportAccount(uuid4(), Platform.tiktok, "Flowers TikTok", "7000", "USD")
ACCOUNTS = [GOOGLE, META, TIKTOK]

HEADER = (
    "campaign_key,campaign_name,platforms,ad_accounts,budget_amount,ad_group_name,ad_name,headlines,descriptions,"
    "final_url"
)
GOOD_AD = "Fresh flowers|Order by noon|Same-day delivery,Local growers.|Free delivery.,https://flowers.example.com"


def google_row(key: str = "spring", sep: str = ",", **cells: str) -> str:
    """A row of a Google draft without any problem; ``cells`` replace columns of HEADER by name."""
    values = dict(
        zip(
            HEADER.split(","),
            [key, "Spring sale", "google", "Flowers Google", "25.00", "Bouquets", "Ad 1", *GOOD_AD.split(",")],
            strict=True,
        )
    )
    values.update(cells)
    return sep.join(values.values())


def parse(text: str, accounts: list[ImportAccount] | None = None) -> Any:
    return parse_drafts_csv(text.encode(), ACCOUNTS if accounts is None else accounts, today=TODAY)


def located(problems: list[ImportProblem]) -> set[tuple[int | None, str | None, str]]:
    return {(problem.line, problem.column, problem.code) for problem in problems}


class TestReading:
    def test_the_template_is_one_draft_without_problems(self) -> None:
        text = template_csv(template_examples(ACCOUNTS, TODAY))
        parsed = parse(text)
        # Only warnings: targeting a platform publishes without, and the Meta Page the file has no column for.
        assert all(p.severity is Severity.warning for p in parsed.problems)
        assert {p.code for p in parsed.problems} <= {"not-published", "required-to-publish"}
        [draft] = parsed.drafts
        assert (draft.key, draft.line, draft.ad_group_count, draft.ad_count) == ("spring-sale", 2, 2, 3)
        assert [(t.platform, t.ad_account_id) for t in draft.document.targets] == [
            (Platform.google, GOOGLE.id),
            (Platform.meta, META.id),
        ]
        assert text.splitlines()[0].split(",") == [column.name for column in COLUMNS]

    def test_rows_form_drafts_ad_groups_and_ads(self) -> None:
        text = "\r\n".join(
            [
                HEADER + ",locations,languages,age_min,age_max,start_date,bid_strategy,bid_amount,display_path",
                google_row() + ",fr|be,FR,25,54,2027-02-01,Manual CPC,0.40,bouquets|spring",
                google_row(ad_name="Ad 2", budget_amount="", platforms="") + ",,,,,,,,",
                google_row(ad_group_name="Roses", ad_name="Ad 3", campaign_name="") + ",,,,,,,,",
                google_row("autumn", campaign_name="Autumn sale", budget_amount="10") + ",,,,,,,,",
            ]
        )
        parsed = parse(text)
        assert located(parsed.problems) == {
            (2, column, "not-published") for column in ("locations", "languages", "age_min", "age_max")
        }
        assert parsed.rows == 4
        spring, autumn = parsed.drafts
        document = spring.document
        assert document.name == "Spring sale"
        assert document.budget.amount_micros == 25_000_000
        assert document.bidding.strategy.value == "manual_cpc"
        assert document.bidding.amount_micros == 400_000
        assert document.schedule.start_date == date(2027, 2, 1)
        assert document.targeting.locations == ["FR", "BE"]
        assert document.targeting.languages == ["fr"]
        assert (document.targeting.age_min, document.targeting.age_max) == (25, 54)
        assert [(g.name, [a.name for a in g.ads]) for g in document.ad_groups] == [
            ("Bouquets", ["Ad 1", "Ad 2"]),
            ("Roses", ["Ad 3"]),
        ]
        ad = document.ad_groups[0].ads[0]
        assert ad.headlines == ["Fresh flowers", "Order by noon", "Same-day delivery"]
        assert ad.display_path == ["bouquets", "spring"]
        assert (autumn.document.name, autumn.line, autumn.document.budget.amount_micros) == ("Autumn sale", 5, 10**7)

    def test_semicolons_a_bom_decimal_commas_and_quoted_lines(self) -> None:
        header = HEADER.replace(",", ";")
        first = google_row(sep=";", budget_amount="12,50", ad_name='"Ad\r\none"')
        second = google_row(sep=";", ad_name="Ad 2", budget_amount="")
        text = "\ufeff" + header + "\r\n" + first + "\r\n" + second
        parsed = parse(text)
        assert parsed.problems == []
        [draft] = parsed.drafts
        assert draft.document.budget.amount_micros == 12_500_000
        assert [ad.name for ad in draft.document.ad_groups[0].ads] == ["Ad\r\none", "Ad 2"]

    def test_lists_split_on_unescaped_bars(self) -> None:
        assert split_list(r"a | b\|c || d\\") == ["a", "b|c", "d\\"]
        assert split_list("") == []

    def test_a_line_spanning_two_lines_moves_the_next_line_numbers(self) -> None:
        text = "\n".join([HEADER, google_row(ad_name='"two\nlines"'), google_row(final_url="ftp://x")])
        assert located(parse(text).errors) == {(4, "final_url", "not-a-url")}


def one_error(text: str, accounts: list[ImportAccount] | None = None) -> tuple[int | None, str | None, str]:
    errors = parse(text, accounts).errors
    assert len(errors) == 1, errors
    return errors[0].line, errors[0].column, errors[0].code


class TestProblems:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (HEADER + ",colour\n" + google_row() + ",red", (1, "colour", "unknown-column")),
            (HEADER + ",headlines\n" + google_row() + ",x", (1, "headlines", "repeated-column")),
            (HEADER.replace(",ad_group_name", "") + "\n", (1, "ad_group_name", "missing-column")),
            (HEADER + ",objective\n" + google_row() + ",fame", (2, "objective", "invalid-value")),
            (HEADER + ",start_date\n" + google_row() + ",01/02/2027", (2, "start_date", "invalid-value")),
            (HEADER + ",end_date\n" + google_row() + ",2027-02-30", (2, "end_date", "invalid-value")),
            (HEADER + ",age_min\n" + google_row() + ",thirty", (2, "age_min", "invalid-value")),
            (HEADER + ",genders\n" + google_row() + ",male|other", (2, "genders", "invalid-value")),
            (HEADER + ",budget_type\n" + google_row() + ",weekly", (2, "budget_type", "invalid-value")),
            (HEADER + "\n" + google_row(budget_amount="12.5.0"), (2, "budget_amount", "invalid-value")),
            (HEADER + "\n" + google_row(budget_amount='"1,000"'), (2, "budget_amount", "invalid-value")),
            (HEADER + "\n" + google_row(budget_amount="-5"), (2, "budget_amount", "invalid-value")),
            (HEADER + "\n" + google_row(budget_amount="12.345"), (2, "budget_amount", "invalid-value")),
            (HEADER + "\n" + google_row(ad_accounts="Nobody"), (2, "ad_accounts", "unknown-ad-account")),
            (HEADER + "\n" + google_row(platforms="myspace"), (2, "platforms", "invalid-value")),
            (HEADER + "\n" + google_row(campaign_key="", campaign_name=""), (2, "campaign_name", "required")),
            (HEADER + "\n" + google_row(ad_group_name=""), (2, "ad_group_name", "required")),
            (HEADER + "\n" + google_row() + ",extra", (2, None, "too-many-fields")),
            (HEADER + "\n" + google_row(headlines="Only one"), (2, "headlines", "too-few")),
            (HEADER + "\n" + google_row(final_url="flowers.example.com"), (2, "final_url", "not-a-url")),
            (HEADER + ",locations\n" + google_row() + ",FRA", (2, "locations", "invalid-value")),
            (HEADER + ",age_min\n" + google_row() + ",12", (2, "age_min", "invalid-value")),
            (HEADER + ",budget_type\n" + google_row() + ",lifetime", (2, "end_date", "required")),
            (HEADER + '\n"a,b', (2, None, "csv-syntax")),
            ("", (None, None, "empty")),
            (HEADER + "\n", (None, None, "no-rows")),
        ],
    )
    def test_each_problem_points_at_its_line_and_column(
        self, text: str, expected: tuple[int | None, str | None, str]
    ) -> None:
        assert one_error(text) == expected

    def test_amounts_follow_the_accounts_currency(self) -> None:
        row = google_row(platforms="meta", ad_accounts="act_42", budget_amount="2500.50")
        errors = parse(HEADER + "\n" + row).errors
        assert [(e.column, e.code) for e in errors if e.column == "budget_amount"] == [
            ("budget_amount", "invalid-value")
        ]
        assert "JPY" in errors[0].message

    def test_an_account_off_the_listed_platforms(self) -> None:
        problems = parse(HEADER + "\n" + google_row(platforms="meta")).errors
        assert (2, "ad_accounts", "platform-not-listed") in located(problems)
        # Meta is still a target, without an account: its own rules apply to the ad.
        assert (2, "primary_texts", "too-few") in located(problems)

    def test_a_differing_campaign_value_points_at_the_later_line(self) -> None:
        text = "\n".join([HEADER, google_row(), google_row(ad_name="Ad 2", budget_amount="30")])
        line, column, code = one_error(text)
        assert (line, column, code) == (3, "budget_amount", "conflicting-value")

    def test_ad_group_budgets_need_the_ad_group_level(self) -> None:
        header = HEADER + ",budget_level,ad_group_budget"
        text = "\n".join([header, google_row(budget_amount="") + ",ad_group,", google_row(ad_name="Ad 2") + ",,"])
        # The first row sets no ad group budget: the draft validation points at the ad group's line and column.
        assert located(parse(text).errors) == {
            (2, "ad_group_budget", "required"),
            (3, "budget_amount", "budget-level-mismatch"),
        }
        ok = "\n".join([header, google_row(budget_amount="") + ",ad_group,7.5"])
        [draft] = parse(ok).drafts
        assert draft.document.ad_groups[0].budget is not None
        assert draft.document.ad_groups[0].budget.amount_micros == 7_500_000

    def test_validation_problems_point_at_the_ad_row(self) -> None:
        text = "\n".join([HEADER, google_row(), google_row(ad_name="Ad 2", descriptions="Only one")])
        problems = parse(text).errors
        assert [(p.line, p.column, p.code, p.path) for p in problems] == [
            (3, "descriptions", "too-few", "ad_groups[0].ads[1].descriptions")
        ]

    def test_warnings_do_not_block(self) -> None:
        text = HEADER + ",start_date\n" + google_row() + ",2026-12-01"
        parsed = parse(text)
        assert parsed.errors == []
        assert located(parsed.problems) == {(2, "start_date", "in-the-past")}
        assert parsed.problems[0].severity is Severity.warning

    def test_a_name_shared_by_two_accounts_is_ambiguous(self) -> None:
        twin = ImportAccount(uuid4(), Platform.google, "Flowers Google", "999", "EUR")
        assert one_error(HEADER + "\n" + google_row(), [GOOGLE, twin]) == (2, "ad_accounts", "ambiguous-ad-account")
        by_id = google_row(ad_accounts=str(twin.id))
        assert parse(HEADER + "\n" + by_id, [GOOGLE, twin]).drafts[0].accounts == (twin,)

    def test_not_utf8_is_located(self) -> None:
        content = (HEADER + "\n" + google_row(ad_name="Caf\xe9")).encode("latin-1")
        parsed = parse_drafts_csv(content, ACCOUNTS, today=TODAY)
        assert located(parsed.problems) == {(2, None, "encoding")}

    def test_too_many_rows(self) -> None:
        rows = [google_row(ad_name=f"Ad {n}") for n in range(MAX_IMPORT_ROWS + 1)]
        assert located(parse("\n".join([HEADER, *rows])).problems) == {(MAX_IMPORT_ROWS + 2, None, "too-many-rows")}


# --- through the API -----------------------------------------------------------------------------------------------


def import_url(organization_id: str, dry_run: bool | None = None) -> str:
    query = "" if dry_run is None else f"?dry_run={str(dry_run).lower()}"
    return f"/api/v1/orgs/{organization_id}/drafts/import{query}"


async def upload(
    client: httpx.AsyncClient, world: OrgWorld, text: str, dry_run: bool | None = None, raw: bool = False
) -> httpx.Response:
    url = import_url(world.organization_id, dry_run)
    if raw:
        return await client.post(
            url, content=text.encode(), headers={**world.member.headers, "Content-Type": "text/csv"}
        )
    files = {"file": ("drafts.csv", text.encode(), "text/csv")}
    return await client.post(url, files=files, headers=world.member.headers)


@pytest.fixture
async def accounts(client: httpx.AsyncClient, world: OrgWorld, sandbox_platforms: SandboxServer) -> dict[str, Any]:
    """A managed sandbox ad account per platform (Google, Meta), by platform."""
    found: dict[str, Any] = {}
    for platform in (Platform.google, Platform.meta):
        connection = await connect_sandbox(client, world, platform, manage=1, metrics=False)
        found[platform.value] = next(a for a in connection["accounts"] if a["managed"])
    return found


async def drafts_of(client: httpx.AsyncClient, world: OrgWorld) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/orgs/{world.organization_id}/drafts", headers=world.viewer.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def import_file(accounts: dict[str, Any]) -> str:
    google, meta = accounts["google"], accounts["meta"]
    header = HEADER + ",primary_texts,image_urls"
    return "\r\n".join(
        [
            header,
            google_row(ad_accounts=f"{google['name']}|{meta['id']}", platforms="google|meta")
            + ",Bouquets today.,https://cdn.example.com/a.jpg",
            google_row(ad_name="Ad 2", platforms="", ad_accounts="", campaign_name="")
            + ",Roses today.,https://cdn.example.com/b.jpg",
            google_row("autumn", campaign_name="Autumn", ad_accounts=google["platform_account_id"]) + ",,",
        ]
    )


async def test_a_dry_run_creates_nothing_and_a_confirmation_creates_every_draft(
    client: httpx.AsyncClient, world: OrgWorld, accounts: dict[str, Any]
) -> None:
    text = import_file(accounts)
    dry = await upload(client, world, text)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["dry_run"], body["created"], body["duplicate"], body["error_count"]) == (True, False, False, 0)
    assert [(d["name"], d["ad_groups"], d["ads"], d["draft_id"]) for d in body["drafts"]] == [
        ("Spring sale", 1, 2, None),
        ("Autumn", 1, 1, None),
    ]
    assert [(t["platform"], t["ad_account_name"]) for t in body["drafts"][0]["targets"]] == [
        ("google", accounts["google"]["name"]),
        ("meta", accounts["meta"]["name"]),
    ]
    assert await drafts_of(client, world) == []

    confirmed = await upload(client, world, text, dry_run=False)
    assert confirmed.status_code == 200, confirmed.text
    result = confirmed.json()
    assert (result["dry_run"], result["created"], result["duplicate"]) == (False, True, False)
    ids = [d["draft_id"] for d in result["drafts"]]
    assert {d["id"] for d in await drafts_of(client, world)} == set(ids)
    spring = (
        await client.get(f"/api/v1/orgs/{world.organization_id}/drafts/{ids[0]}", headers=world.viewer.headers)
    ).json()
    assert spring["status"] == "draft"
    assert spring["current_version"] == 1
    document = spring["document"]
    assert document["targets"] == [
        {"platform": "google", "ad_account_id": accounts["google"]["id"]},
        {"platform": "meta", "ad_account_id": accounts["meta"]["id"]},
    ]
    assert document["budget"] == {"type": "daily", "level": "campaign", "amount_micros": 25_000_000}
    assert [ad["primary_texts"] for ad in document["ad_groups"][0]["ads"]] == [["Bouquets today."], ["Roses today."]]
    assert [p for p in spring["problems"] if p["severity"] == "error"] == []

    audit = await client.get(
        f"/api/v1/orgs/{world.organization_id}/audit-log", params={"limit": 50}, headers=world.admin.headers
    )
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert actions.count("draft.imported") == 2
    assert actions.count("draft_import.imported") == 1

    # The same file again, confirmed or not, creates nothing and answers the earlier import.
    for dry_run in (False, True):
        again = await upload(client, world, text, dry_run=dry_run, raw=True)
        assert again.status_code == 200, again.text
        assert again.json()["duplicate"] is True
        assert [d["draft_id"] for d in again.json()["drafts"]] == ids
        assert again.json()["import_id"] == result["import_id"]
    assert len(await drafts_of(client, world)) == 2


async def test_a_file_with_an_error_creates_nothing(
    client: httpx.AsyncClient, world: OrgWorld, accounts: dict[str, Any]
) -> None:
    text = (
        import_file(accounts)
        + "\r\n"
        + google_row("bad", campaign_name="Bad", budget_amount="lots", ad_accounts=accounts["google"]["id"])
    )
    dry = (await upload(client, world, text)).json()
    assert dry["error_count"] == 1
    errors = [(p["line"], p["column"], p["code"]) for p in dry["problems"] if p["severity"] == "error"]
    assert errors == [(5, "budget_amount", "invalid-value")]

    refused = await upload(client, world, text, dry_run=False)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "draft-import-invalid"
    assert [error["loc"] for error in problem["errors"]] == [["body", 5, "budget_amount"]]
    assert await drafts_of(client, world) == []
    # Nothing was remembered either: the corrected file is imported.
    fixed = await upload(client, world, import_file(accounts), dry_run=False)
    assert fixed.json()["created"] is True


async def test_another_organizations_ad_account_is_unknown(
    client: httpx.AsyncClient, world: OrgWorld, accounts: dict[str, Any]
) -> None:
    other = OrgWorld(
        world.other_organization_id,
        world.outsider,
        world.outsider,
        world.outsider,
        world.outsider,
        world.organization_id,
        world.admin,
    )
    connection = await connect_sandbox(client, other, Platform.google, user=world.outsider, manage=1, metrics=False)
    theirs = next(a for a in connection["accounts"] if a["managed"])
    assert UUID(theirs["id"]) != UUID(accounts["google"]["id"])
    text = HEADER + "\n" + google_row(ad_accounts=theirs["id"])
    body = (await upload(client, world, text)).json()
    assert [(p["line"], p["column"], p["code"]) for p in body["problems"]] == [(2, "ad_accounts", "unknown-ad-account")]
    refused = await upload(client, world, text, dry_run=False)
    assert refused.status_code == 422


async def test_limits_and_malformed_uploads(client: httpx.AsyncClient, world: OrgWorld) -> None:
    too_large = HEADER + "\n" + "\n".join(google_row(ad_name="x" * 500) for _ in range(2_000))
    for raw in (False, True):
        response = await upload(client, world, too_large, raw=raw)
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "upload-too-large"
    form = await client.post(
        import_url(world.organization_id),
        files={"other": ("x.csv", b"a,b", "text/csv")},
        headers=world.member.headers,
    )
    assert form.status_code == 400
    assert form.json()["code"] == "upload-missing"
    empty = (await upload(client, world, "")).json()
    assert [p["code"] for p in empty["problems"]] == ["empty"]


async def test_the_template_names_the_organizations_accounts(
    client: httpx.AsyncClient, world: OrgWorld, accounts: dict[str, Any]
) -> None:
    response = await client.get(
        f"/api/v1/orgs/{world.organization_id}/drafts/import/template.csv", headers=world.viewer.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert accounts["google"]["name"] in response.text
    body = (await upload(client, world, response.text)).json()
    assert body["error_count"] == 0, body["problems"]
    assert [(d["ad_groups"], d["ads"]) for d in body["drafts"]] == [(2, 3)]
