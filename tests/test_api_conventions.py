"""What every response of the API has in common: problem details, request ids, security headers, pagination."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from tests.fixtures import OrgWorld, sign_up


class TestProblemDetails:
    async def test_unknown_api_route_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "not-found"
        assert body["type"] == "https://adpilot.dev/problems/not-found"
        assert body["instance"] == "/api/v1/no-such-thing"
        assert body["request_id"] == response.headers["x-request-id"]

    async def test_unknown_api_route_never_falls_back_to_the_web_app(self, client: httpx.AsyncClient) -> None:
        for method in ("POST", "DELETE", "PATCH"):
            response = await client.request(method, "/api/v2/orgs")
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"

    async def test_wrong_method_is_a_405_problem_with_allow(self, client: httpx.AsyncClient) -> None:
        response = await client.delete("/api/v1/auth/login")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "method-not-allowed"

    async def test_malformed_json_is_a_400_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/auth/login", content=b'{"email": "a@example.com",', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "malformed-json"

    async def test_validation_errors_list_each_field(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/auth/signup", json={"email": "nope", "display_name": ""})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation-error"
        locations = {tuple(error["loc"]) for error in body["errors"]}
        assert ("body", "email") in locations
        assert ("body", "password") in locations
        assert ("body", "display_name") in locations
        assert all(error["msg"] and error["type"] for error in body["errors"])

    async def test_an_invalid_path_uuid_is_a_422(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.get("/api/v1/orgs/not-a-uuid", headers=user.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["path", "organization_id"]


class TestRequestIds:
    async def test_every_response_has_a_request_id(self, client: httpx.AsyncClient) -> None:
        for path in ("/healthz", "/api/v1/config", "/api/v1/me", "/api/v1/nothing", "/"):
            assert len((await client.get(path)).headers["x-request-id"]) >= 16, path

    async def test_an_incoming_request_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/me", headers={"X-Request-Id": "trace-abc.123"})
        assert response.headers["x-request-id"] == "trace-abc.123"
        assert response.json()["request_id"] == "trace-abc.123"

    async def test_an_unsafe_request_id_is_replaced(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
        assert response.headers["x-request-id"] != "bad id\twith spaces"


class TestSecurityHeaders:
    async def test_api_responses_carry_them(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/config")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"

    async def test_error_responses_carry_them(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    async def test_no_hsts_over_plain_http(self, client: httpx.AsyncClient) -> None:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


class TestPagination:
    async def test_page_size_over_100_is_invalid(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.get(
            f"/api/v1/orgs/{world.organization_id}/members", params={"limit": 101}, headers=world.admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]

    async def test_page_size_zero_is_invalid(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.get(
            f"/api/v1/orgs/{world.organization_id}/members", params={"limit": 0}, headers=world.admin.headers
        )
        assert response.status_code == 422

    async def test_an_invalid_cursor_is_a_400(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        for cursor in ("garbage", "W10", "WyIyMDI2LTAxLTAxIiwgIngiXQ"):  # not base64 JSON; []; naive date
            response = await client.get(
                f"/api/v1/orgs/{world.organization_id}/members", params={"cursor": cursor}, headers=world.admin.headers
            )
            assert response.status_code == 400, cursor
            assert response.json()["code"] == "invalid-cursor"


class TestOperations:
    async def test_metrics_expose_http_requests(self, client: httpx.AsyncClient) -> None:
        await client.get("/healthz")
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert "adpilot_http_requests_total" in response.text
        assert 'route="/healthz"' in response.text
        assert "adpilot_jobs" in response.text

    async def test_readyz(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}

    async def test_healthz(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}

    async def test_the_openapi_schema_is_served(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/openapi.json")
        assert response.status_code == 200
        assert response.json()["info"]["title"] == "adpilot API"

    async def test_client_config(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/api/v1/config")).json()
        assert body["environment"] == "test"
        assert body["outbox_enabled"] is True


class TestTextThatPostgresRejects:
    """Regressions found by schemathesis: NUL characters reached PostgreSQL and became 500s."""

    async def test_nul_in_the_audit_action_filter_is_a_422(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        for param in ("action", "target_type"):
            response = await client.get(
                f"/api/v1/orgs/{world.organization_id}/audit-log", params={param: "a\x00"}, headers=world.admin.headers
            )
            assert response.status_code == 422, param
            assert response.json()["errors"][0]["loc"] == ["query", param]

    async def test_nul_in_a_display_name_is_a_422(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.patch("/api/v1/me", json={"display_name": "Ada\x00"}, headers=user.headers)
        assert response.status_code == 422
        signup = await client.post(
            "/api/v1/auth/signup",
            json={"email": "nul@example.com", "password": "a-long-and-unusual-passphrase", "display_name": "\x00"},
        )
        assert signup.status_code == 422

    async def test_nul_in_an_organization_name_is_a_422(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        created = await client.post("/api/v1/orgs", json={"name": "Acme\x00"}, headers=world.admin.headers)
        assert created.status_code == 422
        renamed = await client.patch(
            f"/api/v1/orgs/{world.organization_id}", json={"name": "\x00"}, headers=world.admin.headers
        )
        assert renamed.status_code == 422

    async def test_a_naive_datetime_filter_is_a_422(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        url = f"/api/v1/orgs/{world.organization_id}/audit-log"
        naive = await client.get(url, params={"since": "2026-01-01T00:00:00"}, headers=world.admin.headers)
        assert naive.status_code == 422
        aware = await client.get(url, params={"since": "2026-01-01T00:00:00+01:00"}, headers=world.admin.headers)
        assert aware.status_code == 200


def _cursor(at: str, id_: str = "00000000-0000-0000-0000-000000000000") -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id_]).encode()).decode().rstrip("=")


class TestHostileInputIsA4xx:
    """Inputs found to reach a 500 by probing every operation; each is a 4xx problem document."""

    @pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
    async def test_a_cursor_with_an_out_of_range_time_is_invalid_on_every_cursor_paged_list(
        self, client: httpx.AsyncClient, world: OrgWorld, at: str
    ) -> None:
        org = f"/api/v1/orgs/{world.organization_id}"
        schedule = await client.post(
            f"{org}/report-schedules",
            json={
                "name": "Weekly",
                "frequency": "weekly",
                "weekday": 0,
                "hour": 8,
                "time_zone": "UTC",
                "recipients": [world.admin.email],
                "range_preset": "last_7_days",
                "compare": "previous_period",
            },
            headers=world.admin.headers,
        )
        assert schedule.status_code == 201, schedule.text
        lists = [
            "/api/v1/me/security-events",
            f"{org}/members",
            f"{org}/invitations",
            f"{org}/report-schedules",
            f"{org}/report-schedules/{schedule.json()['id']}/runs",
            f"{org}/ad-accounts/{uuid.uuid4()}/sync-runs",
            f"{org}/ad-accounts/{uuid.uuid4()}/metric-sync-runs",
        ]
        for url in lists:
            response = await client.get(url, params={"cursor": _cursor(at)}, headers=world.admin.headers)
            assert response.status_code == 400, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "invalid-cursor"

    async def test_audit_log_cursor_of_non_ascii_digits_is_invalid(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        for cursor in ("²", "١٢٣", "12³"):
            response = await client.get(
                f"/api/v1/orgs/{world.organization_id}/audit-log",
                params={"cursor": cursor},
                headers=world.admin.headers,
            )
            # The schema's cursor pattern (ASCII base64url or digits) refuses it before the audit log reads it.
            assert response.status_code == 422, cursor
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "validation-error"

    @pytest.mark.parametrize("param", ["since", "until"])
    async def test_audit_log_times_out_of_range_are_a_422(
        self, client: httpx.AsyncClient, world: OrgWorld, param: str
    ) -> None:
        for value in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
            response = await client.get(
                f"/api/v1/orgs/{world.organization_id}/audit-log", params={param: value}, headers=world.admin.headers
            )
            assert response.status_code == 422, (param, value, response.text)
            assert response.json()["errors"][0]["loc"] == ["query", param]
        in_range = await client.get(
            f"/api/v1/orgs/{world.organization_id}/audit-log",
            params={param: "0001-01-01T00:00:00-01:00"},
            headers=world.admin.headers,
        )
        assert in_range.status_code == 200

    async def test_nul_in_the_entity_browser_filters_is_a_422(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        url = f"/api/v1/orgs/{world.organization_id}/ad-accounts/{uuid.uuid4()}/entities"
        for param in ("name_contains", "parent_platform_id"):
            response = await client.get(url, params={param: "a\x00"}, headers=world.admin.headers)
            assert response.status_code == 422, param
            assert response.json()["errors"][0]["loc"] == ["query", param]

    async def test_nul_in_a_report_schedule_name_is_a_422(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.post(
            f"/api/v1/orgs/{world.organization_id}/report-schedules",
            json={
                "name": "Weekly\x00",
                "frequency": "weekly",
                "weekday": 0,
                "hour": 8,
                "time_zone": "UTC",
                "recipients": [world.admin.email],
                "range_preset": "last_7_days",
                "compare": "previous_period",
            },
            headers=world.admin.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "name"]


class TestUnexpectedErrors:
    async def test_a_500_is_a_problem_with_the_request_id_and_the_security_headers(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from adpilot.auth import auth_service

        user = await sign_up(client)

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(auth_service, "get_user", broken)
        response = await client.get("/api/v1/me", headers={**user.headers, "X-Request-ID": "req-500"})
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-request-id"] == "req-500"
        assert response.json()["request_id"] == "req-500"
        assert response.json()["code"] == "internal-error"
        assert "a bug" not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


class TestOptions:
    async def test_options_on_an_api_path_is_answered_by_the_api(self, client: httpx.AsyncClient) -> None:
        known = await client.options("/api/v1/me")
        assert known.status_code == 405
        assert known.headers["content-type"] == "application/problem+json"
        assert set(known.headers["allow"].split(", ")) >= {"GET", "PATCH"}
        unknown = await client.options("/api/v1/no-such-thing")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"


class TestDaysAreDays:
    @pytest.mark.parametrize("day", ["2026-01-05T00:00:00", "1767571200", "2026-01-05 00:00"])
    async def test_a_datetime_or_a_number_is_not_a_day(
        self, client: httpx.AsyncClient, world: OrgWorld, day: str
    ) -> None:
        rates = f"/api/v1/orgs/{world.organization_id}/exchange-rates"
        put = await client.put(f"{rates}/EUR/USD/{day}", json={"rate": "1.1"}, headers=world.admin.headers)
        assert put.status_code == 422, put.text
        assert put.json()["errors"][0]["loc"] == ["path", "day"]
        listed = await client.get(rates, params={"since": day}, headers=world.admin.headers)
        assert listed.status_code == 422, listed.text
        assert (await client.get(rates, params={"since": "2026-01-05"}, headers=world.admin.headers)).status_code == 200
