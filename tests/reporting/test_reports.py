"""Scheduled reports: DST-correct slots, the schedules API, the scheduler across tenants, and runs that reach a real
SMTP server with the PDF attached, retry after a failure (visible in the run history) and are never sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller

from adpilot.config import get_settings
from adpilot.db import Database
from adpilot.platforms.types import EntityLevel, Platform
from adpilot.reporting.schemas.query import Compare, Preset
from adpilot.reporting.schemas.reports import ReportFilters, ReportFrequency
from adpilot.reporting.service.reports import next_run_after, report_query, report_service
from tests.campaigns.test_entity_sync import run_jobs
from tests.fixtures import OrgWorld, outbox
from tests.metrics.helpers import add_ad_account, daily_row, ingest
from tests.test_mail import CollectingHandler, decoded_text, free_port

pytestmark = pytest.mark.usefixtures("database")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestNextRun:
    def test_daily_keeps_the_local_hour_across_spring_forward(self) -> None:
        # Berlin: CET (UTC+1) until 29 March 2026 02:00, CEST (UTC+2) after.
        first = next_run_after(ReportFrequency.daily, None, None, 9, "Europe/Berlin", utc(2026, 3, 28, 7, 0))
        assert first == utc(2026, 3, 28, 8, 0)
        second = next_run_after(ReportFrequency.daily, None, None, 9, "Europe/Berlin", first)
        assert second == utc(2026, 3, 29, 7, 0)

    def test_an_hour_the_clocks_skip_runs_just_after_the_gap(self) -> None:
        slot = next_run_after(ReportFrequency.daily, None, None, 2, "Europe/Berlin", utc(2026, 3, 28, 12, 0))
        assert slot == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the first instant after 02:00 CET

    def test_weekly_across_fall_back_and_a_repeated_hour(self) -> None:
        # New York leaves EDT (UTC-4) for EST (UTC-5) on Sunday 1 November 2026 at 02:00.
        monday = next_run_after(ReportFrequency.weekly, 0, None, 8, "America/New_York", utc(2026, 10, 27, 0, 0))
        assert monday == utc(2026, 11, 2, 13, 0)  # 08:00 EST
        sunday = next_run_after(ReportFrequency.weekly, 6, None, 1, "America/New_York", utc(2026, 10, 31, 0, 0))
        assert sunday == utc(2026, 11, 1, 5, 0)  # the first 01:00 (EDT)
        again = next_run_after(ReportFrequency.weekly, 6, None, 1, "America/New_York", sunday)
        assert again == utc(2026, 11, 8, 6, 0)  # a week later, 01:00 EST: the repeated hour is not sent twice

    def test_monthly_on_the_31st_uses_the_last_day_of_shorter_months(self) -> None:
        after = utc(2026, 1, 31, 12, 0)
        slot = next_run_after(ReportFrequency.monthly, None, 31, 6, "Asia/Tokyo", after)
        assert slot == utc(2026, 2, 27, 21, 0)  # 28 February 06:00 JST
        assert next_run_after(ReportFrequency.monthly, None, 31, 6, "Asia/Tokyo", slot) == utc(2026, 3, 30, 21, 0)

    def test_the_range_is_relative_to_the_local_date_of_the_slot(self) -> None:
        # 23:30 UTC on 31 May is already 1 June in Auckland: last month is May.
        slot = utc(2026, 5, 31, 23, 30)
        local = slot.astimezone(ZoneInfo("Pacific/Auckland")).date()
        query = report_query(Preset.last_month, Compare.none, ReportFilters(), local)
        assert (query.since, query.until) == (date(2026, 5, 1), date(2026, 5, 31))


def schedules_url(world: OrgWorld, organization_id: str | None = None) -> str:
    return f"/api/v1/orgs/{organization_id or world.organization_id}/report-schedules"


SCHEDULE = {
    "name": "Weekly client report",
    "frequency": "weekly",
    "weekday": 0,
    "hour": 8,
    "time_zone": "Europe/Berlin",
    "recipients": ["client@example.com", "Boss@Example.com", "boss@example.com"],
    "range_preset": "last_7_days",
    "compare": "previous_period",
    "attach_csv": True,
}


class TestSchedulesApi:
    async def test_create_read_update_delete_audited(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        created = await client.post(schedules_url(world), json=SCHEDULE, headers=world.manager.headers)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["recipients"] == ["client@example.com", "Boss@example.com"]  # distinct, case-insensitively
        next_run = datetime.fromisoformat(body["next_run_at"])
        assert next_run.astimezone(ZoneInfo("Europe/Berlin")).hour == 8
        assert next_run.astimezone(ZoneInfo("Europe/Berlin")).weekday() == 0

        listed = await client.get(schedules_url(world), headers=world.viewer.headers)
        assert [s["id"] for s in listed.json()["items"]] == [body["id"]]

        patched = await client.patch(
            f"{schedules_url(world)}/{body['id']}",
            json={"frequency": "monthly", "month_day": 31, "enabled": False},
            headers=world.manager.headers,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["weekday"] is None and patched.json()["month_day"] == 31
        assert patched.json()["next_run_at"] is None  # disabled

        enabled = await client.patch(
            f"{schedules_url(world)}/{body['id']}", json={"enabled": True}, headers=world.manager.headers
        )
        assert enabled.json()["next_run_at"] is not None

        deleted = await client.delete(f"{schedules_url(world)}/{body['id']}", headers=world.manager.headers)
        assert deleted.status_code == 204
        gone = await client.get(f"{schedules_url(world)}/{body['id']}", headers=world.viewer.headers)
        assert gone.status_code == 404 and gone.json()["code"] == "report-schedule-not-found"

        audit = await client.get(f"/api/v1/orgs/{world.organization_id}/audit-log", headers=world.admin.headers)
        actions = [entry["action"] for entry in audit.json()["items"]]
        for action in ("report_schedule.created", "report_schedule.updated", "report_schedule.deleted"):
            assert action in actions

    async def test_the_audit_log_names_the_schedule(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        created = await client.post(schedules_url(world), json=SCHEDULE, headers=world.admin.headers)
        assert created.status_code == 201, created.text
        sent = await client.post(f"{schedules_url(world)}/{created.json()['id']}/send-now", headers=world.admin.headers)
        assert sent.status_code == 202, sent.text
        # Only this entry on the page, and it records no name: the name comes from the schedule itself.
        audit = await client.get(
            f"/api/v1/orgs/{world.organization_id}/audit-log",
            params={"action": "report_schedule.sent_now", "limit": 1},
            headers=world.admin.headers,
        )
        [entry] = audit.json()["items"]
        assert entry["action_label"] == "Sent a scheduled report now"
        assert entry["target_name"] == "Weekly client report"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"weekday": None}, "weekday"),
            ({"time_zone": "Mars/Olympus"}, "time_zone"),
            ({"recipients": [f"r{i}@example.com" for i in range(51)]}, "recipients"),
            ({"recipients": ["not-an-email"]}, "recipients"),
            ({"recipients": []}, "recipients"),
            ({"hour": 24}, "hour"),
            ({"frequency": "daily"}, "weekday"),
            ({"filters": {"platforms": ["myspace"]}}, "filters"),
        ],
    )
    async def test_invalid_schedules_are_refused(
        self, client: httpx.AsyncClient, world: OrgWorld, change: dict[str, Any], field: str
    ) -> None:
        response = await client.post(schedules_url(world), json={**SCHEDULE, **change}, headers=world.manager.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"

    async def test_an_update_that_breaks_the_day_rule_is_refused(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        created = (await client.post(schedules_url(world), json=SCHEDULE, headers=world.manager.headers)).json()
        response = await client.patch(
            f"{schedules_url(world)}/{created['id']}", json={"frequency": "monthly"}, headers=world.manager.headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid-report-schedule"

    async def test_another_organization_cannot_see_or_send_it(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        created = (await client.post(schedules_url(world), json=SCHEDULE, headers=world.manager.headers)).json()
        other = schedules_url(world, world.other_organization_id)
        for method, path in (("GET", ""), ("GET", "/runs"), ("POST", "/send-now"), ("DELETE", "")):
            response = await client.request(method, f"{other}/{created['id']}{path}", headers=world.outsider.headers)
            assert response.status_code == 404, (method, path, response.text)
        assert (await client.get(other, headers=world.outsider.headers)).json()["items"] == []


class TestRecipientsAndOwnership:
    async def test_a_member_sends_only_inside_the_organization(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        outside = await client.post(
            schedules_url(world),
            json={**SCHEDULE, "recipients": [world.viewer.email, "someone@elsewhere.example"]},
            headers=world.member.headers,
        )
        assert outside.status_code == 403, outside.text
        assert outside.json()["code"] == "report-recipients-outside"
        assert outside.json()["recipients"] == ["someone@elsewhere.example"]
        inside = await client.post(
            schedules_url(world),
            json={**SCHEDULE, "recipients": [world.viewer.email, world.admin.email.upper()], "time_zone": "UTC"},
            headers=world.member.headers,
        )
        assert inside.status_code == 201, inside.text
        assert inside.json()["time_zone"] == "UTC"

        # An admin allows a client's domain: members may then address it, and adding other outsiders still fails.
        allowed = await client.patch(
            f"/api/v1/orgs/{world.organization_id}",
            json={"report_recipient_domains": ["Client.Example"]},
            headers=world.admin.headers,
        )
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["report_recipient_domains"] == ["client.example"]
        schedule = f"{schedules_url(world)}/{inside.json()['id']}"
        added = await client.patch(
            schedule, json={"recipients": [world.viewer.email, "cmo@client.example"]}, headers=world.member.headers
        )
        assert added.status_code == 200, added.text
        refused = await client.patch(
            schedule, json={"recipients": ["cmo@client.example", "x@other.example"]}, headers=world.member.headers
        )
        assert refused.status_code == 403
        assert refused.json()["recipients"] == ["x@other.example"]

    async def test_a_manager_sends_anywhere(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        created = await client.post(schedules_url(world), json=SCHEDULE, headers=world.manager.headers)
        assert created.status_code == 201, created.text

    async def test_a_member_changes_only_their_own_schedules(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        managers = (await client.post(schedules_url(world), json=SCHEDULE, headers=world.manager.headers)).json()
        url = f"{schedules_url(world)}/{managers['id']}"
        for method, path, body in (
            ("PATCH", "", {"recipients": [world.member.email]}),
            ("POST", "/send-now", None),
            ("DELETE", "", None),
        ):
            response = await client.request(method, f"{url}{path}", json=body, headers=world.member.headers)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "report-schedule-not-yours"
        assert (await client.get(url, headers=world.member.headers)).json()["recipients"] == managers["recipients"]

        own = (
            await client.post(
                schedules_url(world),
                json={**SCHEDULE, "recipients": [world.member.email]},
                headers=world.member.headers,
            )
        ).json()
        renamed = await client.patch(
            f"{schedules_url(world)}/{own['id']}", json={"name": "Mine"}, headers=world.member.headers
        )
        assert renamed.status_code == 200
        # A manager edits anyone's schedule; an admin too.
        for user, name in ((world.manager, "Manager's"), (world.admin, "Admin's")):
            response = await client.patch(
                f"{schedules_url(world)}/{own['id']}", json={"name": name}, headers=user.headers
            )
            assert response.status_code == 200

        audit = await client.get(
            f"/api/v1/orgs/{world.organization_id}/audit-log",
            params={"target_type": "report_schedule"},
            headers=world.admin.headers,
        )
        updates = [e for e in audit.json()["items"] if e["action"] == "report_schedule.updated"]
        assert len(updates) == 3


# --- sending ---------------------------------------------------------------------------------------------------------


class FlakyHandler(CollectingHandler):
    """Refuses the first ``failures`` messages (a transient SMTP error), then accepts."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failures > 0:
            self.failures -= 1
            return "451 Requested action aborted: local error in processing"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyHandler]:
    handler = FlakyHandler(failures=0)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("ADPILOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ADPILOT_SMTP_PORT", str(port))
    monkeypatch.setenv("ADPILOT_SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    yield handler
    controller.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


async def seed(database: Database, organization_id: str, today: date) -> None:
    target = await add_ad_account(database, organization_id, Platform.meta, name="Shop account")
    days = [today - timedelta(days=i) for i in range(1, 15)]
    rows = [daily_row(EntityLevel.campaign, "m1", d, name="Spring sale", spend_micros=20_000_000) for d in days]
    await ingest(database, target, EntityLevel.campaign, min(days), max(days), rows)


async def make_due(client: httpx.AsyncClient, world: OrgWorld, superuser_sql: Any, **changes: Any) -> dict[str, Any]:
    created = await client.post(schedules_url(world), json={**SCHEDULE, **changes}, headers=world.manager.headers)
    assert created.status_code == 201, created.text
    await superuser_sql(
        "UPDATE report_schedules SET next_run_at = now() - interval '2 minutes' WHERE id = :id",
        id=UUID(created.json()["id"]),
    )
    return dict(created.json())


async def runs(client: httpx.AsyncClient, world: OrgWorld, schedule_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{schedules_url(world)}/{schedule_id}/runs", headers=world.viewer.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def queue_due(database: Database) -> int:
    async with database.transaction() as session:
        return await report_service.queue_due_runs(session)


def attachments(message: Message) -> dict[str, tuple[str, bytes]]:
    found = {}
    for part in message.walk():
        if part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_filename() or ""] = (part.get_content_type(), payload)
    return found


class TestSending:
    async def test_a_due_report_reaches_a_real_smtp_server_with_the_pdf_attached(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        database: Database,
        superuser_sql: Any,
        smtp: FlakyHandler,
    ) -> None:
        # The report's week is the schedule's, so "today" is Berlin's (a day ahead of UTC before midnight UTC).
        today = datetime.now(ZoneInfo(str(SCHEDULE["time_zone"]))).date()
        await seed(database, world.organization_id, today)
        schedule = await make_due(client, world, superuser_sql)
        # The other organization's due schedule is queued by the same pass, in its own tenant.
        other = await client.post(
            schedules_url(world, world.other_organization_id), json=SCHEDULE, headers=world.outsider.headers
        )
        await superuser_sql(
            "UPDATE report_schedules SET next_run_at = now() - interval '1 minute' WHERE id = :id",
            id=UUID(other.json()["id"]),
        )

        assert await queue_due(database) == 2
        assert await queue_due(database) == 0  # each slot once
        [run] = await runs(client, world, schedule["id"])
        assert run["status"] == "queued" and run["trigger"] == "schedule"
        jobs = await superuser_sql(
            "SELECT args->>'run_id' FROM procrastinate_jobs WHERE task_name = 'analytics.send_report'"
        )
        assert run["id"] in {row[0] for row in jobs}
        moved = (await client.get(f"{schedules_url(world)}/{schedule['id']}", headers=world.viewer.headers)).json()
        assert datetime.fromisoformat(moved["next_run_at"]) > datetime.now(UTC)

        await report_service.run_report(UUID(world.organization_id), UUID(run["id"]))

        assert sorted(r for recipients, _ in smtp.messages for r in recipients) == [
            "Boss@example.com",
            "client@example.com",
        ]
        _, message = smtp.messages[0]
        assert message["Subject"].startswith("Weekly client report: Acme")
        files = attachments(message)
        [pdf_name] = [name for name in files if name.endswith(".pdf")]
        content_type, pdf = files[pdf_name]
        assert content_type == "application/pdf" and pdf.startswith(b"%PDF")
        [csv_name] = [name for name in files if name.endswith(".csv")]
        assert b"Spring sale" in files[csv_name][1]
        [body] = [p for p in message.walk() if p.get_content_type() == "text/plain" and not p.get_filename()]
        assert "Spend: $140.00" in decoded_text(body)

        [done] = await runs(client, world, schedule["id"])
        assert done["status"] == "succeeded"
        assert done["attempts"] == 1 and done["delivered_count"] == 2 and done["recipients_count"] == 2
        assert done["pdf_bytes"] == len(pdf)
        assert (date.fromisoformat(done["since"]), date.fromisoformat(done["until"])) == (
            today - timedelta(days=7),
            today - timedelta(days=1),
        )

        # The job delivered twice (a redelivery) sends nothing more.
        await report_service.run_report(UUID(world.organization_id), UUID(run["id"]))
        assert len(smtp.messages) == 2

    async def test_a_failure_is_retried_with_backoff_and_visible(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        database: Database,
        superuser_sql: Any,
        smtp: FlakyHandler,
    ) -> None:
        schedule = await make_due(client, world, superuser_sql, recipients=["one@example.com"], attach_csv=False)
        await queue_due(database)
        [run] = await runs(client, world, schedule["id"])
        smtp.failures = 1

        await report_service.run_report(UUID(world.organization_id), UUID(run["id"]))
        [failed] = await runs(client, world, schedule["id"])
        assert failed["status"] == "queued" and failed["attempts"] == 1
        assert "451" in failed["error"]
        assert smtp.messages == []
        retries = await superuser_sql(
            "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = 'analytics.send_report' "
            "AND scheduled_at IS NOT NULL AND args->>'run_id' = :id",
            id=run["id"],
        )
        assert retries and retries[0][0] > datetime.now(UTC) + timedelta(seconds=30)

        await report_service.run_report(UUID(world.organization_id), UUID(run["id"]))
        [done] = await runs(client, world, schedule["id"])
        assert done["status"] == "succeeded" and done["attempts"] == 2 and done["error"] is None
        assert len(smtp.messages) == 1

    async def test_after_the_last_attempt_the_run_fails_for_good(
        self,
        client: httpx.AsyncClient,
        world: OrgWorld,
        database: Database,
        superuser_sql: Any,
        smtp: FlakyHandler,
    ) -> None:
        schedule = await make_due(client, world, superuser_sql, recipients=["one@example.com"], attach_csv=False)
        await queue_due(database)
        [run] = await runs(client, world, schedule["id"])
        smtp.failures = 100
        for _ in range(4):
            await report_service.run_report(UUID(world.organization_id), UUID(run["id"]))
        [failed] = await runs(client, world, schedule["id"])
        assert failed["status"] == "failed" and failed["attempts"] == 4 and failed["finished_at"]
        await report_service.run_report(UUID(world.organization_id), UUID(run["id"]))
        assert (await runs(client, world, schedule["id"]))[0]["attempts"] == 4

    async def test_send_now_without_smtp_lands_in_the_outbox_listing_the_attachments(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database
    ) -> None:
        created = (
            await client.post(
                schedules_url(world),
                json={**SCHEDULE, "recipients": ["outbox@example.com"]},
                headers=world.manager.headers,
            )
        ).json()
        sent = await client.post(f"{schedules_url(world)}/{created['id']}/send-now", headers=world.manager.headers)
        assert sent.status_code == 202, sent.text
        assert sent.json()["trigger"] == "manual" and sent.json()["status"] == "queued"
        again = await client.post(f"{schedules_url(world)}/{created['id']}/send-now", headers=world.manager.headers)
        assert again.status_code == 409 and again.json()["code"] == "report-run-in-flight"

        await report_service.run_report(UUID(world.organization_id), UUID(sent.json()["id"]))
        [message] = await outbox(client, "outbox@example.com")
        kinds = sorted(a["content_type"] for a in message["attachments"])
        assert kinds == ["application/pdf", "text/csv"]
        assert all(a["size"] > 0 for a in message["attachments"])


class TestThroughTheJobQueue:
    async def test_send_now_is_delivered_by_the_worker_and_its_retry(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, smtp: FlakyHandler
    ) -> None:
        created = await client.post(
            schedules_url(world),
            json={**SCHEDULE, "recipients": ["queue@example.com"], "attach_csv": False},
            headers=world.manager.headers,
        )
        smtp.failures = 1
        sent = await client.post(
            f"{schedules_url(world)}/{created.json()['id']}/send-now", headers=world.manager.headers
        )
        assert sent.status_code == 202

        await run_jobs(database)

        [run] = await runs(client, world, created.json()["id"])
        assert run["status"] == "succeeded" and run["attempts"] == 2, run
        [(recipients, message)] = smtp.messages
        assert recipients == ["queue@example.com"]
        assert any(part.get_content_type() == "application/pdf" for part in message.walk())

    async def test_a_run_whose_worker_died_is_taken_over_by_its_watchdog(
        self, client: httpx.AsyncClient, world: OrgWorld, database: Database, superuser_sql: Any, smtp: FlakyHandler
    ) -> None:
        schedule = await make_due(client, world, superuser_sql, recipients=["late@example.com"], attach_csv=False)
        await queue_due(database)
        [run] = await runs(client, world, schedule["id"])
        organization_id, run_id = UUID(world.organization_id), UUID(run["id"])

        # The watchdog of a run that is not running does nothing: the run waits for its own job.
        await report_service.run_report(organization_id, run_id, takeover=True)
        assert (await runs(client, world, schedule["id"]))[0]["status"] == "queued"

        # An attempt started (its watchdog is queued with it) by a worker that then died.
        await superuser_sql(
            "UPDATE report_runs SET status = 'running', attempts = 1, started_at = now() - interval '10 minutes' "
            "WHERE id = :id",
            id=run_id,
        )
        await report_service.run_report(organization_id, run_id)  # a redelivery while it may still be alive
        await report_service.run_report(organization_id, run_id, takeover=True)
        assert smtp.messages == []
        watchdogs = await superuser_sql(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'analytics.send_report' "
            "AND args->>'takeover' = 'true'"
        )
        assert watchdogs == [(0,)]  # no attempt started yet

        await superuser_sql(
            "UPDATE report_runs SET started_at = now() - interval '31 minutes' WHERE id = :id", id=run_id
        )
        await report_service.run_report(organization_id, run_id, takeover=True)
        [done] = await runs(client, world, schedule["id"])
        assert done["status"] == "succeeded" and done["attempts"] == 2
        assert [r for r, _ in smtp.messages] == [["late@example.com"]]
        watchdogs = await superuser_sql(
            "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = 'analytics.send_report' "
            "AND args->>'takeover' = 'true'"
        )
        assert len(watchdogs) == 1 and watchdogs[0][0] > datetime.now(UTC) + timedelta(minutes=30)
