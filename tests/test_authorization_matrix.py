"""Every route of the API, anonymous (401), from another organization (404) and with too small a role (403).

The operations come from the live OpenAPI schema, so a new route is covered the moment it exists: a route without
authentication fails unless it is in PUBLIC_OPERATIONS, and an organization route fails until ORGANIZATION_OPERATIONS
says which permission it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from adpilot.organizations.permissions import MINIMUM_ROLE, Permission, Role, role_at_least
from tests.fixtures import OrgWorld

# Reachable without an access token, on purpose.
PUBLIC_OPERATIONS = {
    "sign_up",
    "log_in",
    "log_in_mfa",
    "refresh_session",
    "log_out",
    "verify_email",
    "resend_verification",
    "forgot_password",
    "reset_password",
    "get_client_config",
    "healthz",
    "readyz",
    "list_outbox_messages",
}

# operationId -> (the permission it needs, the least role holding it). The role is written out (not looked up) so
# that a change of MINIMUM_ROLE is a deliberate, reviewed change of this table too.
ORGANIZATION_OPERATIONS: dict[str, tuple[Permission, Role]] = {
    "get_organization": (Permission.organization_read, Role.viewer),
    "update_organization": (Permission.organization_update, Role.admin),
    "list_members": (Permission.members_read, Role.viewer),
    # Removing someone else needs members.manage; leaving (removing yourself) is open to every member.
    "remove_member": (Permission.members_manage, Role.admin),
    "change_member_role": (Permission.members_manage, Role.admin),
    "list_invitations": (Permission.members_manage, Role.admin),
    "create_invitation": (Permission.members_manage, Role.admin),
    "revoke_invitation": (Permission.members_manage, Role.admin),
    "list_audit_entries": (Permission.audit_read, Role.admin),
    "list_connections": (Permission.connections_read, Role.viewer),
    "get_connection": (Permission.connections_read, Role.viewer),
    "list_connection_accounts": (Permission.connections_read, Role.viewer),
    "list_platform_quotas": (Permission.connections_read, Role.viewer),
    "authorize_connection": (Permission.connections_manage, Role.manager),
    "complete_connection": (Permission.connections_manage, Role.manager),
    "set_managed_accounts": (Permission.connections_manage, Role.manager),
    "refresh_connection_accounts": (Permission.connections_manage, Role.manager),
    "disconnect_connection": (Permission.connections_manage, Role.manager),
    "list_ad_entities": (Permission.connections_read, Role.viewer),
    "sync_ad_account": (Permission.connections_sync, Role.member),
    "list_sync_runs": (Permission.connections_read, Role.viewer),
    "list_account_sync_status": (Permission.connections_read, Role.viewer),
    "list_metric_sync_runs": (Permission.connections_read, Role.viewer),
    "sync_ad_account_metrics": (Permission.connections_sync, Role.member),
    "get_analytics_summary": (Permission.analytics_read, Role.viewer),
    "get_analytics_timeseries": (Permission.analytics_read, Role.viewer),
    "get_analytics_breakdown": (Permission.analytics_read, Role.viewer),
    "get_analytics_pacing": (Permission.analytics_read, Role.viewer),
    "get_analytics_freshness": (Permission.analytics_read, Role.viewer),
    "export_analytics_csv": (Permission.analytics_read, Role.viewer),
    "export_analytics_xlsx": (Permission.analytics_read, Role.viewer),
    "export_analytics_report": (Permission.analytics_read, Role.viewer),
    "list_report_schedules": (Permission.analytics_read, Role.viewer),
    "get_report_schedule": (Permission.analytics_read, Role.viewer),
    "list_report_runs": (Permission.analytics_read, Role.viewer),
    "create_report_schedule": (Permission.reports_manage, Role.member),
    "update_report_schedule": (Permission.reports_manage, Role.member),
    "delete_report_schedule": (Permission.reports_manage, Role.member),
    "send_report_now": (Permission.reports_manage, Role.member),
    "get_branding": (Permission.analytics_read, Role.viewer),
    "get_report_logo": (Permission.analytics_read, Role.viewer),
    "put_report_logo": (Permission.organization_update, Role.admin),
    "delete_report_logo": (Permission.organization_update, Role.admin),
    "list_exchange_rates": (Permission.analytics_read, Role.viewer),
    "export_exchange_rates": (Permission.analytics_read, Role.viewer),
    "get_reference_rates_status": (Permission.analytics_read, Role.viewer),
    "put_exchange_rate": (Permission.exchange_rates_manage, Role.manager),
    "delete_exchange_rate": (Permission.exchange_rates_manage, Role.manager),
    "import_exchange_rates": (Permission.exchange_rates_manage, Role.manager),
    "list_drafts": (Permission.organization_read, Role.viewer),
    "create_draft": (Permission.drafts_edit, Role.member),
    "get_draft": (Permission.organization_read, Role.viewer),
    "save_draft": (Permission.drafts_edit, Role.member),
    "list_draft_versions": (Permission.organization_read, Role.viewer),
    "get_draft_version": (Permission.organization_read, Role.viewer),
    "get_draft_diff": (Permission.organization_read, Role.viewer),
    "validate_draft": (Permission.organization_read, Role.viewer),
    "submit_draft": (Permission.drafts_edit, Role.member),
    "approve_draft": (Permission.changes_approve, Role.manager),
    "request_draft_changes": (Permission.changes_approve, Role.manager),
    "reopen_draft": (Permission.drafts_edit, Role.member),
    "duplicate_draft": (Permission.drafts_edit, Role.member),
    "duplicate_campaign_to_draft": (Permission.drafts_edit, Role.member),
    "get_utm_template": (Permission.organization_read, Role.viewer),
    "set_utm_template": (Permission.organization_update, Role.admin),
    "preview_draft_urls": (Permission.organization_read, Role.viewer),
    "request_changes": (Permission.drafts_edit, Role.member),
    "preview_changes": (Permission.drafts_edit, Role.member),
    "get_change_options": (Permission.connections_read, Role.viewer),
    "import_changes": (Permission.drafts_edit, Role.member),
    "get_changes_import_template": (Permission.connections_read, Role.viewer),
    "list_changes": (Permission.connections_read, Role.viewer),
    "get_change": (Permission.connections_read, Role.viewer),
    "approve_change": (Permission.changes_approve, Role.manager),
    "reject_change": (Permission.changes_approve, Role.manager),
    "undo_change": (Permission.drafts_edit, Role.member),
    "list_entity_changes": (Permission.connections_read, Role.viewer),
}
# Organization routes whose dependency only checks membership; the service enforces the permission.
SERVICE_CHECKED = {"remove_member": Permission.members_read}
# Organization routes whose smallest valid request is refused on its content once the role was checked
# (operation id -> the problem code): an OAuth callback with a made-up state; an exchange rate whose path has random
# ids where currency codes and a day belong; a CSV import without a file; a random id where a version number belongs; a
# campaign duplication whose sample ad account id is no UUID; an empty request of changes; change options without the
# entity_id they need; a CSV import of changes without a file.
SAMPLE_REFUSED = {
    "put_report_logo": "logo-invalid",
    "create_report_schedule": "validation-error",
    "complete_connection": "connection-state-invalid",
    "put_exchange_rate": "validation-error",
    "delete_exchange_rate": "validation-error",
    "import_exchange_rates": "exchange-rates-csv-empty",
    "get_draft_version": "validation-error",
    "duplicate_campaign_to_draft": "validation-error",
    "request_changes": "validation-error",
    "preview_changes": "validation-error",
    "get_change_options": "validation-error",
    "import_changes": "changes-csv-invalid",
}

ROLES_BY_RANK = [Role.viewer, Role.member, Role.manager, Role.admin]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    schema: dict[str, Any]

    def url(self, organization_id: str | None = None, components: dict[str, Any] | None = None) -> str:
        """The path with the organization, a valid value of each enumerated parameter and random ids elsewhere."""
        url = self.path.replace("{organization_id}", organization_id or str(uuid4()))
        enums = {
            parameter["name"]: sample(parameter["schema"], components or {})
            for parameter in self.schema.get("parameters", [])
            if parameter["in"] == "path" and _is_enum(parameter["schema"], components or {})
        }
        while "{" in url:
            start, end = url.index("{"), url.index("}")
            url = url[:start] + str(enums.get(url[start + 1 : end], uuid4())) + url[end + 1 :]
        return url


def _is_enum(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return _is_enum(components.get(schema["$ref"].rsplit("/", 1)[-1], {}), components)
    return "enum" in schema


def operations(app: FastAPI) -> Iterator[Operation]:
    for path, items in app.openapi()["paths"].items():
        for method, operation in items.items():
            yield Operation(operation["operationId"], method.upper(), path, operation)


def sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value valid against a JSON schema (required properties only)."""
    if "$ref" in schema:
        return sample(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "enum" in schema:
        return schema["enum"][-1]
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        return sample(options[0], components)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: sample(properties[name], components) for name in schema.get("required", [])}
    if kind == "string":
        if schema.get("format") == "email":
            return f"sample{uuid4().hex[:8]}@example.com"
        return "x" * max(schema.get("minLength", 1), 1)
    if kind == "boolean":
        return False
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "array":
        return []
    raise AssertionError(f"no sample for schema {schema}")


async def call(
    client: httpx.AsyncClient, app: FastAPI, operation: Operation, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = operation.schema.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    payload = sample(body, app.openapi()["components"]["schemas"]) if body else None
    return await client.request(operation.method, url, json=payload, headers=headers)


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, including those of included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def required_permissions(app: FastAPI, operation_id: str) -> set[str]:
    """The permissions the route's ``require(...)`` dependencies check, read from the route itself."""
    route = next(r for r in api_routes(app.routes) if r.name == operation_id)
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        name = getattr(dependant.call, "__name__", "")
        if name.startswith("require_"):
            found.add(name.removeprefix("require_"))
        stack.extend(dependant.dependencies)
    return found


class TestTheTables:
    def test_every_organization_route_has_an_entry(self, app: FastAPI) -> None:
        org_routes = {op.operation_id for op in operations(app) if "{organization_id}" in op.path}
        assert org_routes == set(ORGANIZATION_OPERATIONS), (
            "add the new organization route to ORGANIZATION_OPERATIONS (or remove the stale entry)"
        )

    def test_public_operations_exist(self, app: FastAPI) -> None:
        assert {op.operation_id for op in operations(app)} >= PUBLIC_OPERATIONS

    @pytest.mark.parametrize("operation_id", sorted(ORGANIZATION_OPERATIONS))
    def test_minimum_role_matches_the_permission_matrix(self, operation_id: str) -> None:
        permission, role = ORGANIZATION_OPERATIONS[operation_id]
        assert MINIMUM_ROLE[permission] is role

    @pytest.mark.parametrize("operation_id", sorted(ORGANIZATION_OPERATIONS))
    def test_route_requires_the_permission_of_the_table(self, app: FastAPI, operation_id: str) -> None:
        permission = SERVICE_CHECKED.get(operation_id) or ORGANIZATION_OPERATIONS[operation_id][0]
        assert required_permissions(app, operation_id) == {permission.name}


class TestAnonymous:
    async def test_every_non_public_operation_is_unauthorized(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        failures = []
        for operation in operations(app):
            if operation.operation_id in PUBLIC_OPERATIONS:
                continue
            response = await call(client, app, operation, operation.url())
            if response.status_code != 401 or response.json().get("code") not in ("not-authenticated",):
                failures.append(f"{operation.method} {operation.path}: {response.status_code} {response.text[:200]}")
        assert not failures, "anonymous requests must get 401:\n" + "\n".join(failures)

    async def test_an_invalid_token_is_unauthorized(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        headers = {"Authorization": "Bearer not-a-token"}
        failures = []
        for operation in operations(app):
            if operation.operation_id in PUBLIC_OPERATIONS:
                continue
            response = await call(client, app, operation, operation.url(), headers)
            if response.status_code != 401:
                failures.append(f"{operation.method} {operation.path}: {response.status_code}")
        assert not failures, "\n".join(failures)

    async def test_public_operations_answer_without_a_token(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        for operation in operations(app):
            if operation.operation_id in PUBLIC_OPERATIONS:
                response = await call(client, app, operation, operation.url())
                assert response.status_code < 500, (operation.path, response.text)
                if response.status_code >= 400:
                    assert response.json()["code"] != "not-authenticated", (operation.path, response.text)


class TestOtherOrganization:
    async def test_every_organization_operation_is_not_found(
        self, client: httpx.AsyncClient, app: FastAPI, world: OrgWorld
    ) -> None:
        failures = []
        for operation in operations(app):
            if "{organization_id}" not in operation.path:
                continue
            response = await call(client, app, operation, operation.url(world.organization_id), world.outsider.headers)
            if response.status_code != 404 or response.json()["code"] != "organization-not-found":
                failures.append(f"{operation.method} {operation.path}: {response.status_code} {response.text[:200]}")
        assert not failures, "a non-member must get 404:\n" + "\n".join(failures)

    async def test_a_nonexistent_organization_is_not_found(
        self, client: httpx.AsyncClient, app: FastAPI, world: OrgWorld
    ) -> None:
        for operation in operations(app):
            if "{organization_id}" in operation.path:
                response = await call(client, app, operation, operation.url(), world.admin.headers)
                assert response.status_code == 404, (operation.path, response.text)


class TestRoles:
    async def test_roles_below_the_minimum_are_forbidden(
        self, client: httpx.AsyncClient, app: FastAPI, world: OrgWorld
    ) -> None:
        failures = []
        for operation in operations(app):
            if operation.operation_id not in ORGANIZATION_OPERATIONS:
                continue
            minimum = ORGANIZATION_OPERATIONS[operation.operation_id][1]
            for role in ROLES_BY_RANK:
                if role_at_least(role, minimum):
                    continue
                # Inner ids are random: the role is checked before the inner object is looked up (403, not 404).
                response = await call(
                    client, app, operation, operation.url(world.organization_id), world.as_role(role).headers
                )
                if response.status_code != 403 or response.json()["code"] != "permission-denied":
                    failures.append(f"{role} {operation.method} {operation.path}: {response.status_code}")
        assert not failures, "too small a role must get 403:\n" + "\n".join(failures)

    async def test_the_minimum_role_is_allowed(self, client: httpx.AsyncClient, app: FastAPI, world: OrgWorld) -> None:
        failures = []
        for operation in operations(app):
            if operation.operation_id not in ORGANIZATION_OPERATIONS:
                continue
            minimum = ORGANIZATION_OPERATIONS[operation.operation_id][1]
            url = operation.url(world.organization_id, app.openapi()["components"]["schemas"])
            response = await call(client, app, operation, url, world.as_role(minimum).headers)
            # Random inner ids may be "not found", but never because of the organization or the role.
            allowed = (
                response.status_code < 400
                or (response.status_code == 404 and response.json()["code"] != "organization-not-found")
                or (
                    response.status_code in (400, 422)
                    and response.json()["code"] == SAMPLE_REFUSED.get(operation.operation_id)
                )
            )
            if not allowed:
                failures.append(
                    f"{minimum} {operation.method} {operation.path}: {response.status_code} {response.text[:200]}"
                )
        assert not failures, "\n".join(failures)
