"""Exchange rates (entered, imported, exported, converted) and the organization's reporting time zone and currency."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, union_all

from adpilot.audit import SYSTEM
from adpilot.core import currencies
from adpilot.db import Database, set_tenant
from adpilot.exchange_rates.repository.rates import RateRow, exchange_rates_by_day
from adpilot.exchange_rates.service.rates import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    ExchangeRatesInvalid,
    RateSource,
    normalize_rate,
    rates_service,
)
from tests.fixtures import OrgWorld

pytestmark = pytest.mark.usefixtures("database")

FRONTEND_TABLE = Path(__file__).resolve().parents[2] / "frontend/src/features/analytics/rates/currencies.ts"


def rates_url(world: OrgWorld, suffix: str = "", organization_id: str | None = None) -> str:
    return f"/api/v1/orgs/{organization_id or world.organization_id}/exchange-rates{suffix}"


async def put_rate(
    client: httpx.AsyncClient, world: OrgWorld, pair: str, day: str, rate: Any, who: str = "manager"
) -> httpx.Response:
    return await client.put(rates_url(world, f"/{pair}/{day}"), json={"rate": rate}, headers=world.as_role(who).headers)


async def import_csv(
    client: httpx.AsyncClient, world: OrgWorld, content: str | bytes, who: str = "manager", org: str | None = None
) -> httpx.Response:
    body = content.encode() if isinstance(content, str) else content
    headers = {**world.as_role(who).headers, "Content-Type": "text/csv"}
    return await client.post(rates_url(world, "/import", org), content=body, headers=headers)


async def listed(client: httpx.AsyncClient, world: OrgWorld, **params: Any) -> list[tuple[str, str, str, str]]:
    response = await client.get(rates_url(world), params=params, headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    return [(r["day"], r["base"], r["quote"], r["rate"]) for r in response.json()["items"]]


async def audit(client: httpx.AsyncClient, world: OrgWorld, action: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/orgs/{world.organization_id}/audit-log", params={"action": action}, headers=world.admin.headers
    )
    assert response.status_code == 200, response.text
    return [entry for entry in response.json()["items"] if entry["action"] == action]


def line_errors(response: httpx.Response) -> dict[tuple[Any, ...], str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "exchange-rates-invalid"
    return {tuple(error["loc"]): error["msg"] for error in body["errors"]}


# --- organization settings -------------------------------------------------------------------------------------


class TestReportingSettings:
    async def test_defaults_are_utc_and_usd(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        body = (await client.get(f"/api/v1/orgs/{world.organization_id}", headers=world.viewer.headers)).json()
        assert (body["time_zone"], body["reporting_currency"]) == ("UTC", "USD")

    async def test_an_admin_sets_them_and_the_change_is_audited(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        response = await client.patch(
            f"/api/v1/orgs/{world.organization_id}",
            json={"time_zone": "Europe/Berlin", "reporting_currency": "EUR"},
            headers=world.admin.headers,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["time_zone"], response.json()["reporting_currency"]) == ("Europe/Berlin", "EUR")
        listed_orgs = (await client.get("/api/v1/orgs", headers=world.viewer.headers)).json()["items"]
        assert listed_orgs[0]["reporting_currency"] == "EUR"
        [entry] = await audit(client, world, "organization.updated")
        assert entry["before"]["time_zone"] == "UTC" and entry["after"]["time_zone"] == "Europe/Berlin"
        assert entry["before"]["reporting_currency"] == "USD" and entry["after"]["reporting_currency"] == "EUR"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("time_zone", "Mars/Olympus_Mons"),
            ("time_zone", ""),
            ("time_zone", "europe/berlin"),
            ("reporting_currency", "XYZ"),
            ("reporting_currency", "eur"),
            ("reporting_currency", "BGN"),  # withdrawn: rates may use it, reports cannot
            ("reporting_currency", "XAU"),  # gold is not a currency to report in
            ("reporting_currency", "EURO"),
        ],
    )
    async def test_invalid_values_are_refused_per_field(
        self, client: httpx.AsyncClient, world: OrgWorld, field: str, value: str
    ) -> None:
        response = await client.patch(
            f"/api/v1/orgs/{world.organization_id}", json={field: value}, headers=world.admin.headers
        )
        assert response.status_code == 422, response.text
        assert ["body", field] in [error["loc"] for error in response.json()["errors"]]

    async def test_a_manager_cannot_change_them(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.patch(
            f"/api/v1/orgs/{world.organization_id}", json={"reporting_currency": "EUR"}, headers=world.manager.headers
        )
        assert response.status_code == 403


# --- one rate at a time ---------------------------------------------------------------------------------------


class TestPutAndDelete:
    async def test_a_manager_sets_then_replaces_a_rate(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        created = await put_rate(client, world, "EUR/USD", "2026-03-02", "1.0842")
        assert created.status_code == 200, created.text
        body = created.json()
        assert (body["base"], body["quote"], body["day"], body["rate"], body["source"]) == (
            "EUR",
            "USD",
            "2026-03-02",
            "1.0842",
            "manual",
        )
        assert body["updated_by_user_id"] == str(world.manager.user_id)
        replaced = await put_rate(client, world, "EUR/USD", "2026-03-02", 1.09)
        assert replaced.json()["rate"] == "1.09"
        assert await listed(client, world) == [("2026-03-02", "EUR", "USD", "1.09")]
        entries = await audit(client, world, "exchange_rate.set")
        assert [(e["before"], e["after"]) for e in entries] == [
            ({"rate": "1.0842", "source": "manual"}, {"rate": "1.09", "source": "manual"}),
            (None, {"rate": "1.0842", "source": "manual"}),
        ]
        assert entries[0]["target_id"] == "EUR/USD/2026-03-02"

    async def test_setting_the_same_rate_again_writes_no_audit_entry(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        await put_rate(client, world, "EUR/USD", "2026-03-02", "1.0842")
        await put_rate(client, world, "EUR/USD", "2026-03-02", "1.084200")
        assert len(await audit(client, world, "exchange_rate.set")) == 1

    @pytest.mark.parametrize("rate", [0, -1, "0", "abc", "NaN", "Infinity", "1e12", "0.0000000000001", None, True])
    async def test_a_rate_must_be_a_positive_decimal_that_fits(
        self, client: httpx.AsyncClient, world: OrgWorld, rate: Any
    ) -> None:
        response = await put_rate(client, world, "EUR/USD", "2026-03-02", rate)
        assert response.status_code == 422, (rate, response.text)
        assert response.json()["errors"][0]["loc"][:2] == ["body", "rate"]

    @pytest.mark.parametrize(
        ("path", "location"),
        [
            ("EUR/EUR/2026-03-02", ["path", "quote"]),
            ("XYZ/USD/2026-03-02", ["path", "base"]),
            ("eur/USD/2026-03-02", ["path", "base"]),
            ("EUR/USD/2026-02-30", ["path", "day"]),
            ("EUR/USD/yesterday", ["path", "day"]),
        ],
    )
    async def test_the_pair_and_the_day_are_checked(
        self, client: httpx.AsyncClient, world: OrgWorld, path: str, location: list[str]
    ) -> None:
        response = await client.put(rates_url(world, f"/{path}"), json={"rate": "1.1"}, headers=world.admin.headers)
        assert response.status_code == 422, response.text
        assert location in [error["loc"] for error in response.json()["errors"]]

    async def test_a_withdrawn_currency_is_accepted_for_past_days(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        assert (await put_rate(client, world, "BGN/EUR", "2025-06-30", "0.51129")).status_code == 200

    async def test_delete_then_not_found(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await put_rate(client, world, "GBP/USD", "2026-03-02", "1.27")
        url = rates_url(world, "/GBP/USD/2026-03-02")
        assert (await client.delete(url, headers=world.manager.headers)).status_code == 204
        again = await client.delete(url, headers=world.manager.headers)
        assert (again.status_code, again.json()["code"]) == (404, "exchange-rate-not-found")
        assert await listed(client, world) == []
        [entry] = await audit(client, world, "exchange_rate.deleted")
        assert entry["before"] == {"rate": "1.27", "source": "manual"}

    @pytest.mark.parametrize("who", ["viewer", "member"])
    async def test_below_manager_cannot_write(self, client: httpx.AsyncClient, world: OrgWorld, who: str) -> None:
        assert (await put_rate(client, world, "EUR/USD", "2026-03-02", "1.1", who=who)).status_code == 403
        delete = await client.delete(rates_url(world, "/EUR/USD/2026-03-02"), headers=world.as_role(who).headers)
        assert delete.status_code == 403
        assert (
            await import_csv(client, world, "date,base,quote,rate\n2026-03-02,EUR,USD,1.1\n", who)
        ).status_code == 403


# --- listing ----------------------------------------------------------------------------------------------------


class TestList:
    async def test_newest_day_first_paged_by_cursor(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        content = "date,base,quote,rate\n" + "".join(
            f"2026-01-0{day},{pair},1.{day}\n" for day in (1, 2, 3) for pair in ("EUR,USD", "GBP,USD")
        )
        assert (await import_csv(client, world, content)).status_code == 200
        seen: list[tuple[str, str]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(rates_url(world), params=params, headers=world.viewer.headers)).json()
            seen += [(item["day"], item["base"]) for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [(f"2026-01-0{day}", base) for day in (3, 2, 1) for base in ("EUR", "GBP")]

    async def test_filters(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        content = "date,base,quote,rate\n2026-01-01,EUR,USD,1.1\n2026-01-05,USD,JPY,150\n2026-01-09,GBP,CHF,1.12\n"
        await import_csv(client, world, content)
        assert [r[0] for r in await listed(client, world, currency="USD")] == ["2026-01-05", "2026-01-01"]
        assert [r[0] for r in await listed(client, world, since="2026-01-02", until="2026-01-09")] == [
            "2026-01-09",
            "2026-01-05",
        ]
        assert await listed(client, world, currency="JPY", until="2026-01-04") == []

    async def test_bad_queries_are_clear_errors(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        headers = world.viewer.headers
        backwards = await client.get(
            rates_url(world), params={"since": "2026-02-01", "until": "2026-01-01"}, headers=headers
        )
        assert (backwards.status_code, backwards.json()["errors"][0]["loc"]) == (422, ["query", "until"])
        cursor = await client.get(rates_url(world), params={"cursor": "bm90LWEtY3Vyc29y"}, headers=headers)
        assert (cursor.status_code, cursor.json()["code"]) == (400, "invalid-cursor")
        unknown = await client.get(rates_url(world), params={"currency": "ABC"}, headers=headers)
        assert unknown.status_code == 422


# --- CSV import and export --------------------------------------------------------------------------------------


class TestImport:
    async def test_a_file_is_imported_and_audited_as_one_entry(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        content = "\ufeffDate,Base,Quote,Rate\r\n2026-01-01,eur,usd,1.10\r\n\r\n2026-01-31, GBP , USD , 1.27 \r\n"
        response = await import_csv(client, world, content)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "rows": 2,
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "since": "2026-01-01",
            "until": "2026-01-31",
            "currencies": ["EUR", "GBP", "USD"],
        }
        assert await listed(client, world) == [
            ("2026-01-31", "GBP", "USD", "1.27"),
            ("2026-01-01", "EUR", "USD", "1.1"),
        ]
        [entry] = await audit(client, world, "exchange_rates.imported")
        assert entry["after"] | {} == {
            "source": "csv",
            "rows": 2,
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "since": "2026-01-01",
            "until": "2026-01-31",
            "currencies": ["EUR", "GBP", "USD"],
        }
        assert entry["actor_email"] == world.manager.email

    async def test_importing_the_same_file_again_changes_nothing(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        content = "date,base,quote,rate\n" + "".join(f"2026-02-{d:02d},EUR,USD,1.{d:02d}\n" for d in range(1, 29))
        first = (await import_csv(client, world, content)).json()
        before = await listed(client, world, limit=100)
        second = (await import_csv(client, world, content)).json()
        assert (first["inserted"], second["inserted"], second["updated"], second["unchanged"]) == (28, 0, 0, 28)
        assert await listed(client, world, limit=100) == before
        changed = content.replace("2026-02-03,EUR,USD,1.03", "2026-02-03,EUR,USD,1.5")
        third = (await import_csv(client, world, changed)).json()
        assert (third["inserted"], third["updated"], third["unchanged"]) == (0, 1, 27)

    async def test_every_bad_line_is_reported_and_nothing_is_written(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        content = (
            "date,base,quote,rate\n"  # 1
            "2026-01-01,EUR,USD,1.1\n"  # 2 fine
            "2026-01-02,EUR,USD,-1\n"  # 3 negative
            "2026-01-02,EUR,ABC,1.1\n"  # 4 unknown quote
            "2026-13-01,EUR,USD,1.1\n"  # 5 no such month
            "2026-01-03,USD,USD,1\n"  # 6 same currency
            "2026-01-01,EUR,USD,1.2\n"  # 7 second EUR/USD on 2026-01-01
            "2026-01-04,EUR,USD\n"  # 8 a field short
            "2026-01-04,EUR,USD,1,1\n"  # 9 a decimal comma split the field
            "2026-01-05,EUR,USD,abc\n"  # 10 not a number
            "01/06/2026,EUR,USD,1.1\n"  # 11 not ISO
            "2026-01-07,USD,EUR,0\n"  # 12 zero
        )
        errors = line_errors(await import_csv(client, world, content))
        assert set(errors) == {
            ("body", 3, "rate"),
            ("body", 4, "quote"),
            ("body", 5, "date"),
            ("body", 6, "quote"),
            ("body", 7, "date"),
            ("body", 8),
            ("body", 9),
            ("body", 10, "rate"),
            ("body", 11, "date"),
            ("body", 12, "rate"),
        }
        assert "first at line 2" in errors[("body", 7, "date")]
        assert await listed(client, world) == []
        assert await audit(client, world, "exchange_rates.imported") == []

    async def test_a_multi_line_quoted_field_keeps_the_file_line_numbers(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        content = 'date,base,quote,rate\n2026-01-01,EUR,USD,"1.1\nx"\n2026-01-02,EUR,USD,x\n'
        errors = line_errors(await import_csv(client, world, content))
        assert ("body", 2, "rate") in errors and ("body", 4, "rate") in errors

    @pytest.mark.parametrize(
        "header", ["day,base,quote,rate", "date,base,quote", "date,base,quote,rate,note", "date,base,base,rate"]
    )
    async def test_the_header_is_required(self, client: httpx.AsyncClient, world: OrgWorld, header: str) -> None:
        errors = line_errors(await import_csv(client, world, f"{header}\n2026-01-01,EUR,USD,1.1\n"))
        assert list(errors) == [("body", 1, "header")]

    async def test_a_file_without_a_header_is_refused(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        errors = line_errors(await import_csv(client, world, "2026-01-01,EUR,USD,1.1\n"))
        assert list(errors) == [("body", 1, "header")]

    async def test_a_header_alone_is_refused(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        assert list(line_errors(await import_csv(client, world, "date,base,quote,rate\n"))) == [("body", 2)]

    @pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
    async def test_an_empty_file_is_a_400(self, client: httpx.AsyncClient, world: OrgWorld, content: bytes) -> None:
        response = await import_csv(client, world, content)
        assert (response.status_code, response.json()["code"]) == (400, "exchange-rates-csv-empty")

    async def test_a_file_that_is_not_utf8_is_refused(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        errors = line_errors(
            await import_csv(client, world, "date,base,quote,rate\n2026-01-01,EUR,USD,1.1\n".encode("utf-16"))
        )
        assert list(errors) == [("body",)]

    async def test_more_than_the_row_limit_is_refused(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        start = date(1900, 1, 1)
        lines = [f"{(start + timedelta(days=i)).isoformat()},EUR,USD,1.1" for i in range(MAX_IMPORT_ROWS + 1)]
        errors = line_errors(await import_csv(client, world, "date,base,quote,rate\n" + "\n".join(lines)))
        assert list(errors) == [("body", MAX_IMPORT_ROWS + 2)]

    async def test_the_row_limit_itself_imports(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        start = date(1900, 1, 1)
        lines = [f"{(start + timedelta(days=i)).isoformat()},EUR,USD,1.{i}" for i in range(MAX_IMPORT_ROWS)]
        response = await import_csv(client, world, "date,base,quote,rate\n" + "\n".join(lines))
        assert response.status_code == 200, response.text[:500]
        assert response.json()["inserted"] == MAX_IMPORT_ROWS

    async def test_a_file_over_the_size_limit_is_a_413(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        line = b"2026-01-01,EUR,USD," + b"1" * 100 + b"\n"
        content = b"date,base,quote,rate\n" + line * (MAX_IMPORT_BYTES // len(line) + 1)
        response = await import_csv(client, world, content)
        assert (response.status_code, response.json()["code"]) == (413, "exchange-rates-csv-too-large")

    async def test_many_bad_lines_are_capped_with_their_total(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        content = "date,base,quote,rate\n" + "".join(f"2026-01-01,EUR,USD,bad{i}\n" for i in range(2000))
        response = await import_csv(client, world, content)
        body = response.json()
        assert (response.status_code, body["invalid_count"], len(body["errors"])) == (422, 2000, 500)
        assert "2000 lines are invalid" in body["detail"]


class TestExport:
    async def test_an_export_imports_back_into_another_organization_unchanged(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        content = "date,base,quote,rate\n2026-01-02,EUR,USD,1.1\n2026-01-01,USD,JPY,150.123456789012\n"
        await import_csv(client, world, content)
        response = await client.get(rates_url(world, "/export.csv"), headers=world.viewer.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.text == "date,base,quote,rate\n2026-01-01,USD,JPY,150.123456789012\n2026-01-02,EUR,USD,1.1\n"
        imported = await client.post(
            rates_url(world, "/import", world.other_organization_id),
            content=response.content,
            headers={**world.outsider.headers, "Content-Type": "text/csv"},
        )
        assert imported.json()["inserted"] == 2

    async def test_the_export_takes_the_list_filters(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await import_csv(client, world, "date,base,quote,rate\n2026-01-02,EUR,USD,1.1\n2026-01-01,GBP,CHF,1.1\n")
        response = await client.get(
            rates_url(world, "/export.csv"), params={"currency": "EUR"}, headers=world.viewer.headers
        )
        assert response.text.splitlines() == ["date,base,quote,rate", "2026-01-02,EUR,USD,1.1"]


class TestTenancy:
    async def test_another_organization_neither_sees_nor_changes_the_rates(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        await put_rate(client, world, "EUR/USD", "2026-03-02", "1.0842")
        outsider = world.outsider.headers
        for method, suffix in (("GET", ""), ("GET", "/export.csv"), ("DELETE", "/EUR/USD/2026-03-02")):
            response = await client.request(method, rates_url(world, suffix), headers=outsider)
            assert (response.status_code, response.json()["code"]) == (404, "organization-not-found")
        put = await client.put(rates_url(world, "/EUR/USD/2026-03-02"), json={"rate": "9"}, headers=outsider)
        assert put.status_code == 404
        own = await client.get(rates_url(world, organization_id=world.other_organization_id), headers=outsider)
        assert own.json()["items"] == []
        # Same pair and day in the other organization: its own row, the first one unchanged.
        await client.put(
            rates_url(world, "/EUR/USD/2026-03-02", world.other_organization_id), json={"rate": "2"}, headers=outsider
        )
        assert await listed(client, world) == [("2026-03-02", "EUR", "USD", "1.0842")]


# --- conversion: the rule and its SQL ---------------------------------------------------------------------------


async def seed(database: Database, organization_id: UUID, rows: list[tuple[str, str, str, str]]) -> None:
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        await rates_service.import_rows(
            session,
            organization_id,
            [RateRow(date.fromisoformat(d), base, quote, Decimal(rate)) for d, base, quote, rate in rows],
            source=RateSource.csv,
            actor=SYSTEM,
        )


async def latest(
    database: Database, organization_id: UUID, quote: str, currencies: list[str], since: str, until: str
) -> dict[tuple[str, date], Decimal]:
    async with database.transaction() as session:
        await set_tenant(session, organization_id)
        return await rates_service.latest_rates(
            session, organization_id, quote, currencies, date.fromisoformat(since), date.fromisoformat(until)
        )


def d(text: str) -> date:
    return date.fromisoformat(text)


class TestConversionRule:
    async def test_the_days_rate_or_the_latest_before_it(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-02", "EUR", "USD", "1.1"), ("2026-01-05", "EUR", "USD", "1.2")])
        found = await latest(database, org, "USD", ["EUR"], "2026-01-01", "2026-01-06")
        assert found == {
            ("EUR", d("2026-01-02")): Decimal("1.1"),
            ("EUR", d("2026-01-03")): Decimal("1.1"),
            ("EUR", d("2026-01-04")): Decimal("1.1"),
            ("EUR", d("2026-01-05")): Decimal("1.2"),
            ("EUR", d("2026-01-06")): Decimal("1.2"),
        }  # 2026-01-01 has no rate on or before it: absent

    async def test_a_rate_long_before_the_range_still_holds(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2020-01-01", "GBP", "USD", "1.3")])
        found = await latest(database, org, "USD", ["GBP"], "2026-01-01", "2026-01-02")
        assert set(found.values()) == {Decimal("1.3")} and len(found) == 2

    async def test_the_direct_pair_is_preferred_on_the_same_day(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "EUR", "USD", "1.1"), ("2026-01-01", "USD", "EUR", "0.8")])
        found = await latest(database, org, "USD", ["EUR"], "2026-01-01", "2026-01-01")
        assert found == {("EUR", d("2026-01-01")): Decimal("1.1")}

    async def test_else_the_inverse_of_the_reverse_pair(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "USD", "JPY", "160")])
        found = await latest(database, org, "USD", ["JPY"], "2026-01-01", "2026-01-01")
        assert found[("JPY", d("2026-01-01"))].quantize(Decimal("1e-12")) == Decimal("0.00625")

    async def test_a_fresher_reverse_rate_beats_a_stale_direct_one(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "EUR", "USD", "1.1"), ("2026-01-03", "USD", "EUR", "0.8")])
        found = await latest(database, org, "USD", ["EUR"], "2026-01-02", "2026-01-03")
        assert found == {("EUR", d("2026-01-02")): Decimal("1.1"), ("EUR", d("2026-01-03")): Decimal("1.25")}

    async def test_the_quote_currency_is_one_and_unrelated_pairs_are_ignored(
        self, world: OrgWorld, database: Database
    ) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "EUR", "GBP", "0.85")])
        found = await latest(database, org, "USD", ["USD", "EUR"], "2026-01-01", "2026-01-02")
        assert found == {("USD", d("2026-01-01")): Decimal(1), ("USD", d("2026-01-02")): Decimal(1)}

    async def test_another_organizations_rates_are_never_used(self, world: OrgWorld, database: Database) -> None:
        await seed(database, UUID(world.other_organization_id), [("2026-01-01", "EUR", "USD", "1.1")])
        assert await latest(database, UUID(world.organization_id), "USD", ["EUR"], "2026-01-01", "2026-01-01") == {}

    async def test_random_rates_match_a_reference_implementation(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        generator = random.Random(4217)
        codes = ["USD", "EUR", "GBP", "JPY"]
        start = d("2026-01-01")
        stored: dict[tuple[str, str, date], Decimal] = {}
        for _ in range(120):
            base, quote = generator.sample(codes, 2)
            day = start + timedelta(days=generator.randrange(60))
            stored[(base, quote, day)] = Decimal(generator.randrange(1, 10_000)) / 1000
        await seed(database, org, [(day.isoformat(), b, q, str(r)) for (b, q, day), r in stored.items()])

        def reference(currency: str, day: date) -> Decimal | None:
            if currency == "EUR":
                return Decimal(1)
            for past in (day - timedelta(days=n) for n in range((day - start).days + 1)):
                if (currency, "EUR", past) in stored:
                    return stored[(currency, "EUR", past)]
                if ("EUR", currency, past) in stored:
                    return 1 / stored[("EUR", currency, past)]
            return None

        found = await latest(database, org, "EUR", codes, "2026-01-10", "2026-03-05")
        for currency in codes:
            for n in range(55):
                day = d("2026-01-10") + timedelta(days=n)
                expected = reference(currency, day)
                got = found.get((currency, day))
                if expected is None:
                    assert got is None, (currency, day)
                else:
                    assert got is not None and abs(got - expected) < Decimal("1e-12"), (currency, day, got, expected)

    async def test_the_fragment_joins_twice_in_one_statement(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "EUR", "USD", "1.1"), ("2026-02-01", "EUR", "USD", "1.2")])
        current = exchange_rates_by_day(org, "USD", d("2026-02-01"), d("2026-02-01"), ["EUR"]).subquery("current")
        previous = exchange_rates_by_day(org, "USD", d("2026-01-01"), d("2026-01-01"), ["EUR"]).subquery("previous")
        statement = union_all(select(current.c.rate), select(previous.c.rate))
        async with database.transaction() as session:
            await set_tenant(session, org)
            rates = sorted((await session.execute(statement)).scalars().all())
        assert rates == [Decimal("1.1"), Decimal("1.2")]

    async def test_without_a_currency_list_every_currency_with_a_pair_is_given(
        self, world: OrgWorld, database: Database
    ) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "EUR", "USD", "1.1"), ("2026-01-01", "USD", "JPY", "150")])
        fragment = exchange_rates_by_day(org, "USD", d("2026-01-01"), d("2026-01-01"))
        async with database.transaction() as session:
            await set_tenant(session, org)
            currencies = sorted(row.currency for row in (await session.execute(fragment)).all())
        assert currencies == ["EUR", "JPY", "USD"]

    async def test_an_empty_range_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="empty range"):
            exchange_rates_by_day(UUID(int=1), "USD", d("2026-01-02"), d("2026-01-01"))


class TestImportRows:
    async def test_system_imports_are_audited_without_a_person(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        await seed(database, org, [("2026-01-01", "EUR", "USD", "1.1")])
        async with database.transaction() as session:
            await set_tenant(session, org)
            result = await rates_service.import_rows(
                session,
                org,
                [RateRow(d("2026-01-01"), "EUR", "USD", Decimal("1.1"))],
                source=RateSource.csv,
                actor=SYSTEM,
            )
        assert (result.inserted, result.unchanged) == (0, 1)

    async def test_bad_rows_are_located_by_index(self, world: OrgWorld, database: Database) -> None:
        org = UUID(world.organization_id)
        rows = [
            RateRow(d("2026-01-01"), "EUR", "USD", Decimal("1.1")),
            RateRow(d("2026-01-01"), "EUR", "EUR", Decimal("1")),
            RateRow(d("2026-01-01"), "EUR", "USD", Decimal("1.2")),
            RateRow(d("2026-01-02"), "EUR", "USD", Decimal("-2")),
        ]
        async with database.transaction() as session:
            await set_tenant(session, org)
            with pytest.raises(ExchangeRatesInvalid) as raised:
                await rates_service.import_rows(session, org, rows, source=RateSource.manual, actor=SYSTEM)
        locations = [tuple(error["loc"]) for error in raised.value.extra["errors"]]
        assert locations == [("rows", 1, "quote"), ("rows", 2, "date"), ("rows", 3, "rate")]


# --- the currency table ------------------------------------------------------------------------------------------


class TestCurrencyTable:
    def test_the_web_app_has_the_same_table(self) -> None:
        source = FRONTEND_TABLE.read_text()
        pairs = dict((code, int(digits)) for code, digits in re.findall(r"\b([A-Z]{3}): (\d)", source))
        withdrawn_block = source.split("export const WITHDRAWN", 1)[1]
        withdrawn = dict((code, int(digits)) for code, digits in re.findall(r"\b([A-Z]{3}): (\d)", withdrawn_block))
        active = {code: digits for code, digits in pairs.items() if code not in withdrawn}
        assert active == dict(currencies.ACTIVE)
        assert withdrawn == dict(currencies.WITHDRAWN)

    def test_minor_units(self) -> None:
        assert [currencies.minor_unit_digits(c) for c in ("EUR", "JPY", "KWD", "BGN")] == [2, 0, 3, 2]
        with pytest.raises(ValueError, match="not an ISO 4217"):
            currencies.minor_unit_digits("XAU")
        assert not set(currencies.ACTIVE) & set(currencies.WITHDRAWN)

    @pytest.mark.parametrize(
        ("value", "stored"),
        [("1.0842", "1.084200000000"), ("0.0000000000005", "0.000000000000"), ("1.00000000000049", "1.000000000000")],
    )
    def test_rates_are_stored_with_twelve_decimals(self, value: str, stored: str) -> None:
        if stored == "0.000000000000":
            with pytest.raises(ValueError, match="rounds to zero"):
                normalize_rate(Decimal(value))
        else:
            assert str(normalize_rate(Decimal(value))) == stored
