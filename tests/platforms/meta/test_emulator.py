"""The Meta emulator against the simulation's ground truth, and signing in through it."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adpilot.platforms.config import MetaAdsConfig
from adpilot.platforms.errors import PlatformAuthError, PlatformRejected, PlatformUnavailable
from adpilot.platforms.meta import currency_offset
from adpilot.platforms.meta.client import classify
from adpilot.platforms.types import Credentials, EntityLevel, EntityRef, EntityStatus, Money, Platform
from adpilot.sandbox.meta import emulator_options
from adpilot.sandbox.state import SandboxState
from tests.platforms.contract_kit import SandboxServer, as_tuples, batched_reads, batched_status_writes, collect
from tests.platforms.meta.kit import REDIRECT_URI, VERSION, EmulatedMeta, WireLog, build_adapter

# === the emulator against the simulation's ground truth ==============================================================


class TestEmulatorTruth:
    async def test_clicks_are_link_clicks_and_all_clicks_are_kept_apart(
        self, sandbox_server: SandboxServer, shared_sandbox: SandboxState
    ) -> None:
        emulator = EmulatedMeta(shared_sandbox, sandbox_server.base_url("meta"), account_index=0)
        credentials = emulator.token()
        since, until = emulator.sync_range
        # Like Meta, the emulator's ``clicks`` are all clicks, above the link clicks (likes, profile, "see more").
        answer = await emulator.client.get(
            f"{emulator.base_url}/{VERSION}/act_{emulator.account.account_id}/insights",
            params={
                "level": "campaign",
                "fields": "campaign_id,clicks,inline_link_clicks",
                "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
                "time_increment": "1",
                "limit": "500",
            },
            headers={"Authorization": f"Bearer {credentials.access_token}"},
        )
        assert answer.status_code == 200, answer.text
        raw = answer.json()["data"]
        assert raw and all(int(r["clicks"]) >= int(r["inline_link_clicks"]) for r in raw)
        assert sum(int(r["clicks"]) for r in raw) > sum(int(r["inline_link_clicks"]) for r in raw)

        # The adapter's clicks are the link clicks (comparable with Google's and TikTok's); all clicks stay apart.
        truth = {
            (m.entity_id, m.day): m
            for m in shared_sandbox.world.daily_metrics(
                Platform.meta, emulator.account.account_id, EntityLevel.campaign, since, until
            )
        }
        for level in (EntityLevel.campaign, EntityLevel.ad):
            rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
            assert rows and all(r.all_clicks is not None and r.all_clicks >= r.clicks for r in rows)
            assert sum(r.all_clicks or 0 for r in rows) > sum(r.clicks for r in rows)
        rows = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, since, until)
        assert {(r.entity_platform_id, r.day): (r.clicks, r.all_clicks) for r in rows} == {
            key: (m.clicks, m.all_clicks) for key, m in truth.items()
        }
        day = until
        hours = [h async for h in emulator.adapter.fetch_hourly_metrics(credentials, emulator.account, day)]
        by_day = {(r.entity_platform_id, r.day): r for r in rows}
        for campaign_id in {h.campaign_platform_id for h in hours}:
            own = [h for h in hours if h.campaign_platform_id == campaign_id]
            assert sum(h.clicks for h in own) == by_day[(campaign_id, day)].clicks
            assert sum(h.all_clicks or 0 for h in own) == by_day[(campaign_id, day)].all_clicks

    @pytest.mark.parametrize("account_index", [0, 1, 2])
    async def test_totals_equal_the_simulation_for_every_level_and_account(
        self, sandbox_server: SandboxServer, shared_sandbox: SandboxState, account_index: int
    ) -> None:
        emulator = EmulatedMeta(shared_sandbox, sandbox_server.base_url("meta"), account_index=account_index)
        credentials = emulator.token()
        # Every level synchronously; the most detailed one through a report run too.
        ranges = [(level, emulator.sync_range) for level in EntityLevel] + [(EntityLevel.ad, emulator.async_range)]
        for level, (since, until) in ranges:
            rows = await collect(emulator.adapter, credentials, emulator.account, level, since, until)
            assert as_tuples(rows) == emulator.expected_daily(level, since, until)
            assert {r.currency for r in rows} == {emulator.record.currency}
        await emulator.client.aclose()

    async def test_money_in_yen_has_no_minor_unit(
        self, sandbox_server: SandboxServer, shared_sandbox: SandboxState
    ) -> None:
        jpy_index = next(
            i
            for i, account_id in enumerate(shared_sandbox.world.logins(Platform.meta)[0].account_ids)
            if (account := shared_sandbox.world.account(Platform.meta, account_id)) and account.currency == "JPY"
        )
        emulator = EmulatedMeta(shared_sandbox, sandbox_server.base_url("meta"), account_index=jpy_index)
        credentials = emulator.token()
        rows = await collect(
            emulator.adapter, credentials, emulator.account, EntityLevel.campaign, *emulator.sync_range
        )
        assert rows and all(r.currency == "JPY" and r.spend_micros % 1_000_000 == 0 for r in rows)
        assert as_tuples(rows) == emulator.expected_daily(EntityLevel.campaign, *emulator.sync_range)
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        budgets = [e.daily_budget for e in entities if e.daily_budget is not None]
        assert budgets and all(b.currency == "JPY" and b.amount_micros % 1_000_000 == 0 for b in budgets)
        budgeted = sorted(
            (e for e in entities if e.daily_budget is not None), key=lambda e: e.level is not EntityLevel.campaign
        )
        ref = EntityRef(emulator.account, budgeted[0].level, budgeted[0].platform_id)
        await emulator.adapter.set_daily_budget(credentials, ref, Money(4_300 * 1_000_000, "JPY"))
        assert emulator.log.to(ref.platform_id, "POST")[-1].form == {"daily_budget": "4300"}
        assert emulator.daily_budget_of(ref) == 4_300_000_000
        with pytest.raises(PlatformRejected):
            await emulator.adapter.set_daily_budget(credentials, ref, Money(4_300_500_000, "JPY"))
        await emulator.client.aclose()

    async def test_conversions_count_the_canonical_type_only(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        since, until = emulator.sync_range
        rows = await collect(emulator.adapter, credentials, emulator.account, EntityLevel.campaign, since, until)
        truth = emulator.state.world.daily_metrics(
            Platform.meta, emulator.account.account_id, EntityLevel.campaign, since, until
        )
        assert sum(r.conversions for r in rows) == sum(m.conversions for m in truth) > 0
        assert sum(r.conversion_value_micros for r in rows) == sum(m.conversion_value_micros for m in truth)
        chosen = {r.extras.get("conversion_action_type") for r in rows if r.conversions}
        assert chosen <= {"omni_purchase", "lead", "omni_app_install"}

    async def test_pausing_a_campaign_shows_on_its_children(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        campaign = emulator.budgeted_campaign()
        await emulator.adapter.set_status(credentials, campaign, EntityStatus.paused)
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        children = [
            e
            for e in entities
            if e.campaign_platform_id == campaign.platform_id and e.level is not EntityLevel.campaign
        ]
        assert children
        ad_sets = [e for e in children if e.level is EntityLevel.ad_group and e.status is EntityStatus.active]
        assert ad_sets and all(e.platform_status == "CAMPAIGN_PAUSED" for e in ad_sets)

    async def test_a_removed_campaign_is_listed_removed_with_its_children(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        token = credentials.access_token
        base = f"{emulator.base_url}/{VERSION}"
        headers = {"Authorization": f"Bearer {token}"}
        act = f"act_{emulator.account.account_id}"
        created = await emulator.client.post(
            f"{base}/{act}/campaigns",
            data={"name": "Removal test", "objective": "OUTCOME_TRAFFIC", "status": "PAUSED",
                  "special_ad_categories": "[]", "daily_budget": "2500"},
            headers=headers,
        )  # fmt: skip
        assert created.status_code == 200, created.text
        campaign_id = created.json()["id"]
        ad_set = await emulator.client.post(
            f"{base}/{act}/adsets",
            data={"name": "Removal test — ad set", "campaign_id": campaign_id, "billing_event": "IMPRESSIONS",
                  "optimization_goal": "LINK_CLICKS", "targeting": '{"geo_locations":{"countries":["US"]}}'},
            headers=headers,
        )  # fmt: skip
        assert ad_set.status_code == 200, ad_set.text
        ref = EntityRef(emulator.account, EntityLevel.campaign, campaign_id)
        await emulator.adapter.set_status(credentials, ref, EntityStatus.removed)
        assert emulator.log.to(campaign_id, "POST")[-1].form == {"status": "DELETED"}
        listed = {e.platform_id: e.status for e in await emulator.adapter.list_entities(credentials, emulator.account)}
        assert listed[campaign_id] is listed[ad_set.json()["id"]] is EntityStatus.removed
        with pytest.raises(PlatformRejected):
            await emulator.adapter.set_status(credentials, ref, EntityStatus.active)

    async def test_creating_a_campaign_is_validated_like_meta(self, emulator: EmulatedMeta) -> None:
        token = emulator.token().access_token
        url = f"{emulator.base_url}/{VERSION}/act_{emulator.account.account_id}/campaigns"
        headers = {"Authorization": f"Bearer {token}"}
        valid = {
            "name": "Spring Sale",
            "objective": "OUTCOME_TRAFFIC",
            "status": "PAUSED",
            "special_ad_categories": "[]",
        }
        cases = [
            ({k: v for k, v in valid.items() if k != "special_ad_categories"}, "special_ad_categories"),
            ({**valid, "objective": "TRAFFIC"}, "objective"),
            (valid, "is_adset_budget_sharing_enabled"),  # no campaign budget and no declaration
        ]
        for form, blamed in cases:
            answer = await emulator.client.post(url, data=form, headers=headers)
            assert answer.status_code == 400
            error = classify(answer)
            assert isinstance(error, PlatformRejected) and blamed in error.field_errors, answer.text
        created = await emulator.client.post(
            url, data={**valid, "is_adset_budget_sharing_enabled": "false"}, headers=headers
        )
        assert created.status_code == 200 and created.json()["id"].isdigit()
        as_json = await emulator.client.post(
            url, json={**valid, "special_ad_categories": [], "daily_budget": "5000"}, headers=headers
        )
        assert as_json.status_code == 200, as_json.text
        entity = emulator.state.world.entity(Platform.meta, as_json.json()["id"])
        assert entity is not None
        assert entity.daily_budget_micros == 5000 * 1_000_000 // currency_offset(emulator.currency)

    async def test_a_failed_report_run_is_started_again(self, emulator: EmulatedMeta) -> None:
        emulator_options(emulator.state).fail_report_runs = 1
        since, until = emulator.async_range
        rows = await collect(emulator.adapter, emulator.token(), emulator.account, EntityLevel.campaign, since, until)
        assert as_tuples(rows) == emulator.expected_daily(EntityLevel.campaign, since, until)
        assert len(emulator.log.to(f"act_{emulator.account.account_id}/insights", "POST")) == 2

    async def test_report_runs_failing_for_good_are_unavailable(self, emulator: EmulatedMeta) -> None:
        emulator_options(emulator.state).fail_report_runs = 3
        with pytest.raises(PlatformUnavailable):
            await collect(
                emulator.adapter, emulator.token(), emulator.account, EntityLevel.campaign, *emulator.async_range
            )


class TestSignIn:
    async def test_denying_sends_the_person_back_with_meta_error(self, emulator: EmulatedMeta) -> None:
        location = httpx.URL((await emulator.consent("deny")).headers["location"])
        assert location.params["error"] == "access_denied"
        assert location.params["error_reason"] == "user_denied"
        assert location.params["error_description"] == "Permissions error."
        assert location.params["state"] == "state-123"
        assert "code" not in location.params

    async def test_the_dialog_url_is_meta_s(self, emulator: EmulatedMeta) -> None:
        url = httpx.URL(emulator.adapter.authorization_url(redirect_uri=REDIRECT_URI, state="s", code_challenge="x"))
        assert url.path.endswith(f"/{VERSION}/dialog/oauth")
        assert url.params["client_id"] == emulator.state.config.app_credentials[Platform.meta][0]
        assert url.params["scope"] == "ads_management,ads_read,business_management"
        assert url.params["state"] == "s" and url.params["redirect_uri"] == REDIRECT_URI
        assert "code_challenge" not in url.params

    async def test_a_code_works_once(self, emulator: EmulatedMeta) -> None:
        code = httpx.URL((await emulator.consent()).headers["location"]).params["code"]
        await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        assert caught.value.refreshable is False
        assert "used" in caught.value.detail

    async def test_a_wrong_app_secret_is_a_configuration_error_not_retried(self, emulator: EmulatedMeta) -> None:
        code = httpx.URL((await emulator.consent()).headers["location"]).params["code"]
        config = MetaAdsConfig(app_id=emulator.state.config.app_credentials[Platform.meta][0], app_secret="wrong",
                               graph_base_url=emulator.base_url, api_version=VERSION)  # fmt: skip
        log = WireLog()
        adapter, client, _ = build_adapter(config, None, emulator.fake, log)
        with pytest.raises(PlatformRejected) as caught:
            await adapter.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
        assert not isinstance(caught.value, PlatformAuthError)
        assert len(log.to("oauth/access_token")) == 1
        await client.aclose()

    async def test_refresh_exchanges_the_long_lived_token_for_a_new_one(self, emulator: EmulatedMeta) -> None:
        credentials = await emulator.connect()
        renewed = await emulator.adapter.refresh(credentials)
        assert renewed.access_token != credentials.access_token
        assert renewed.subject == credentials.subject and renewed.scopes == credentials.scopes
        assert renewed.expires_at is not None and credentials.expires_at is not None
        assert renewed.expires_at >= credentials.expires_at
        assert emulator.log.to("oauth/access_token")[-1].form["fb_exchange_token"] == credentials.access_token
        await emulator.adapter.list_ad_accounts(renewed)

    async def test_an_expired_token_cannot_be_refreshed(self, emulator: EmulatedMeta) -> None:
        expired = Credentials(access_token="EAAGexpired", expires_at=datetime.now(UTC) - timedelta(seconds=1))
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.refresh(expired)
        assert caught.value.refreshable is False
        assert not emulator.log.requests

    async def test_a_token_that_never_expires_is_kept(self, emulator: EmulatedMeta) -> None:
        system_user = Credentials(access_token="EAAGsystem", expires_at=None)
        assert await emulator.adapter.refresh(system_user) is system_user

    async def test_revoking_ends_the_grant(self, emulator: EmulatedMeta) -> None:
        credentials = await emulator.connect()
        await emulator.adapter.revoke(credentials)
        assert emulator.log.to("me/permissions", "DELETE")
        with pytest.raises(PlatformAuthError) as caught:
            await emulator.adapter.list_ad_accounts(credentials)
        assert caught.value.platform_code == "190/458"
        await emulator.adapter.revoke(credentials)  # nothing left to revoke: not an error

    async def test_debug_token_describes_the_token(self, emulator: EmulatedMeta) -> None:
        app_id, secret = emulator.state.config.app_credentials[Platform.meta]
        credentials = emulator.token()
        answer = await emulator.client.get(
            f"{emulator.base_url}/{VERSION}/debug_token",
            params={"input_token": credentials.access_token},
            headers={"Authorization": f"Bearer {app_id}|{secret}"},
        )
        data = answer.json()["data"]
        assert data["is_valid"] is True and data["user_id"] == emulator.login.login_id and data["app_id"] == app_id
        assert credentials.expires_at is not None and data["expires_at"] == int(credentials.expires_at.timestamp())


class TestBatchedReads:
    async def test_many_entities_are_read_fifty_ids_a_request_and_a_missing_one_is_absent(
        self, emulator: EmulatedMeta
    ) -> None:
        credentials = emulator.token()
        counts = await batched_reads(
            emulator.adapter, credentials, emulator.account, lambda: len(emulator.log.requests), "999999999999"
        )
        for ids, requests in counts.values():
            # The currency, a multiple-id read per 50 ids, and the chunk with the missing id once more without it.
            assert requests == 1 + math.ceil((ids + 1) / 50) + 1, counts
        reads = emulator.log.to("", "GET")
        assert reads and all(len(r.query["ids"].split(",")) <= 50 for r in reads)

    async def test_the_multiple_id_read_answers_as_graph_does(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        headers = {"Authorization": f"Bearer {credentials.access_token}"}
        entities = await emulator.adapter.list_entities(credentials, emulator.account)
        ids = [e.platform_id for e in entities[:3]]
        url = f"{emulator.base_url}/{VERSION}/"
        answer = await emulator.client.get(url, params={"ids": ",".join(ids), "fields": "id,name"}, headers=headers)
        assert answer.status_code == 200, answer.text
        assert sorted(answer.json()) == sorted(ids)
        assert all(answer.json()[i]["id"] == i and "name" in answer.json()[i] for i in ids)
        missing = await emulator.client.get(url, params={"ids": f"{ids[0]},42"}, headers=headers)
        assert missing.status_code == 400
        assert missing.json()["error"]["code"] == 803
        assert missing.json()["error"]["message"].endswith(": 42")
        many = ",".join(str(n) for n in range(51))
        too_many = await emulator.client.get(url, params={"ids": many}, headers=headers)
        assert too_many.status_code == 400 and "Maximum: 50" in too_many.json()["error"]["message"]

    async def test_statuses_are_one_write_each(self, emulator: EmulatedMeta) -> None:
        credentials = emulator.token()
        counts = await batched_status_writes(
            emulator.adapter, credentials, emulator.account, lambda: len(emulator.log.requests)
        )
        assert all(requests == ids for ids, requests in counts.values()), counts
