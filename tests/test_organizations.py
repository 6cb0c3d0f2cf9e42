"""Organizations, members, roles and invitations, through the API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.fixtures import (
    LoggedIn,
    OrgWorld,
    add_member,
    create_organization,
    link_token,
    outbox,
    sign_up,
    unique_email,
    verify_email,
)


def org_url(world: OrgWorld, suffix: str = "") -> str:
    return f"/api/v1/orgs/{world.organization_id}{suffix}"


async def audit_actions(client: httpx.AsyncClient, world: OrgWorld, action: str) -> list[dict[str, object]]:
    response = await client.get(org_url(world, "/audit-log"), params={"action": action}, headers=world.admin.headers)
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def invite(client: httpx.AsyncClient, world: OrgWorld, email: str, role: str = "member") -> httpx.Response:
    return await client.post(
        org_url(world, "/invitations"), json={"email": email, "role": role}, headers=world.admin.headers
    )


async def invitation_token(client: httpx.AsyncClient, email: str) -> str:
    """The link of the newest invitation mailed to ``email`` (compared case-insensitively)."""
    messages = [
        m
        for m in await outbox(client)
        if m["recipient"].lower() == email.lower() and m["subject"].startswith("You are invited")
    ]
    return link_token(messages[0]["body_text"], "/invitations/accept")


async def accept(client: httpx.AsyncClient, user: LoggedIn, token: str) -> httpx.Response:
    return await client.post("/api/v1/invitations/accept", json={"token": token}, headers=user.headers)


class TestCreate:
    async def test_the_creator_becomes_admin(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.post("/api/v1/orgs", json={"name": "  Initech  "}, headers=user.headers)
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == "Initech"
        assert body["role"] == "admin"
        assert body["require_mfa"] is False
        members = await client.get(f"/api/v1/orgs/{body['id']}/members", headers=user.headers)
        assert [(m["email"], m["role"]) for m in members.json()["items"]] == [(user.email, "admin")]

    async def test_blank_name_is_invalid(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        response = await client.post("/api/v1/orgs", json={"name": "   "}, headers=user.headers)
        assert response.status_code == 422

    async def test_creation_is_audited(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        [entry] = await audit_actions(client, world, "organization.created")
        assert entry["actor_user_id"] == str(world.admin.user_id)
        assert entry["after"] == {"name": "Acme"}


class TestList:
    async def test_lists_each_organization_with_my_role(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await create_organization(client, world.viewer, "Zeta Corp")
        response = await client.get("/api/v1/orgs", headers=world.viewer.headers)
        assert [(o["name"], o["role"]) for o in response.json()["items"]] == [
            ("Acme", "viewer"),
            ("Zeta Corp", "admin"),
        ]

    async def test_without_organizations_the_list_is_empty(self, client: httpx.AsyncClient) -> None:
        user = await sign_up(client)
        assert (await client.get("/api/v1/orgs", headers=user.headers)).json() == {"items": []}


class TestUpdate:
    async def test_rename(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.patch(org_url(world), json={"name": "Acme Global"}, headers=world.admin.headers)
        assert response.status_code == 200
        assert response.json()["name"] == "Acme Global"
        assert (await client.get(org_url(world), headers=world.viewer.headers)).json()["name"] == "Acme Global"

    async def test_rename_is_audited_with_before_and_after(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await client.patch(org_url(world), json={"name": "Acme Global"}, headers=world.admin.headers)
        [entry] = await audit_actions(client, world, "organization.updated")
        assert entry["before"] == {
            "name": "Acme",
            "require_mfa": False,
            "time_zone": "UTC",
            "reporting_currency": "USD",
            "report_recipient_domains": [],
            "changes_require_approval": "members",
        }
        assert entry["after"] == {
            "name": "Acme Global",
            "require_mfa": False,
            "time_zone": "UTC",
            "reporting_currency": "USD",
            "report_recipient_domains": [],
            "changes_require_approval": "members",
        }
        assert entry["actor_email"] == world.admin.email
        assert entry["ip"] == "127.0.0.1"

    async def test_no_change_writes_no_entry(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        await client.patch(org_url(world), json={"name": "Acme"}, headers=world.admin.headers)
        assert await audit_actions(client, world, "organization.updated") == []


class TestMembers:
    async def test_limit_one_walks_every_member_with_the_cursor(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            response = await client.get(org_url(world, "/members"), params=params, headers=world.viewer.headers)
            assert response.status_code == 200
            body = response.json()
            assert len(body["items"]) == 1
            seen.append(body["items"][0]["email"])
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert pages == 4
        assert seen == [world.admin.email, world.manager.email, world.member.email, world.viewer.email]

    async def test_a_full_page_has_no_cursor(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.get(org_url(world, "/members"), headers=world.viewer.headers)
        assert len(response.json()["items"]) == 4
        assert response.json()["next_cursor"] is None

    async def test_change_role(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.patch(
            org_url(world, f"/members/{world.viewer.user_id}"), json={"role": "manager"}, headers=world.admin.headers
        )
        assert response.status_code == 200
        assert response.json()["role"] == "manager"
        [entry] = await audit_actions(client, world, "member.role_changed")
        assert (entry["before"], entry["after"]) == ({"role": "viewer"}, {"role": "manager"})
        # The new role applies at once: a manager may not invite (admin), but can read the organization.
        assert (await client.get(org_url(world), headers=world.viewer.headers)).json()["role"] == "manager"

    async def test_change_role_of_a_non_member_is_not_found(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.patch(
            org_url(world, f"/members/{world.outsider.user_id}"), json={"role": "viewer"}, headers=world.admin.headers
        )
        assert response.status_code == 404
        assert response.json()["code"] == "member-not-found"

    async def test_an_unknown_role_is_invalid(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.patch(
            org_url(world, f"/members/{world.viewer.user_id}"), json={"role": "owner"}, headers=world.admin.headers
        )
        assert response.status_code == 422

    async def test_the_last_admin_cannot_be_demoted(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.patch(
            org_url(world, f"/members/{world.admin.user_id}"), json={"role": "manager"}, headers=world.admin.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "last-admin"

    async def test_the_last_admin_cannot_be_removed(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.delete(org_url(world, f"/members/{world.admin.user_id}"), headers=world.admin.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "last-admin"

    async def test_an_admin_can_step_down_when_another_admin_remains(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        await client.patch(
            org_url(world, f"/members/{world.manager.user_id}"), json={"role": "admin"}, headers=world.admin.headers
        )
        response = await client.patch(
            org_url(world, f"/members/{world.admin.user_id}"), json={"role": "viewer"}, headers=world.admin.headers
        )
        assert response.status_code == 200

    async def test_an_admin_removes_a_member(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.delete(org_url(world, f"/members/{world.member.user_id}"), headers=world.admin.headers)
        assert response.status_code == 204
        assert (await client.get(org_url(world), headers=world.member.headers)).status_code == 404
        [entry] = await audit_actions(client, world, "member.removed")
        assert entry["target_id"] == str(world.member.user_id)

    async def test_a_member_can_leave(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.delete(org_url(world, f"/members/{world.viewer.user_id}"), headers=world.viewer.headers)
        assert response.status_code == 204
        assert (await client.get(org_url(world), headers=world.viewer.headers)).status_code == 404
        assert (await client.get("/api/v1/orgs", headers=world.viewer.headers)).json()["items"] == []

    async def test_a_member_cannot_remove_someone_else(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await client.delete(
            org_url(world, f"/members/{world.viewer.user_id}"), headers=world.manager.headers
        )
        assert response.status_code == 403


class TestInvitations:
    async def test_an_unverified_account_must_verify_its_email_before_joining(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        email = unique_email("unverified")
        await invite(client, world, email)
        token = await invitation_token(client, email)
        user = await sign_up(client, email, verified=False)
        refused = await accept(client, user, token)
        assert refused.status_code == 403
        assert refused.json()["code"] == "email-not-verified"
        assert "verification" in refused.json()["detail"]
        await verify_email(client, email)
        assert (await accept(client, user, token)).status_code == 200

    async def test_create_sends_the_link_and_lists_it_as_pending(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        email = unique_email("guest")
        response = await invite(client, world, email, "manager")
        assert response.status_code == 201
        assert response.json()["status"] == "pending"
        assert response.json()["role"] == "manager"
        [message] = await outbox(client, email)
        assert message["subject"] == "You are invited to Acme on adpilot"
        listed = await client.get(org_url(world, "/invitations"), headers=world.admin.headers)
        assert listed.json()["items"][0]["email"] == email

    async def test_the_web_app_the_email_and_the_invitation_agree_on_its_lifetime(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        days = (await client.get("/api/v1/config")).json()["invitation_expiry_days"]
        email = unique_email("guest")
        invitation = (await invite(client, world, email)).json()
        [message] = await outbox(client, email)
        assert f"expires in {days} days" in message["body_text"]
        lifetime = datetime.fromisoformat(invitation["expires_at"]) - datetime.fromisoformat(invitation["created_at"])
        assert round(lifetime / timedelta(days=1)) == days

    async def test_list_is_paginated_newest_first(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        first = await client.get(org_url(world, "/invitations"), params={"limit": 2}, headers=world.admin.headers)
        body = first.json()
        assert len(body["items"]) == 2
        rest = await client.get(
            org_url(world, "/invitations"),
            params={"limit": 2, "cursor": body["next_cursor"]},
            headers=world.admin.headers,
        )
        emails = [i["email"] for i in body["items"] + rest.json()["items"]]
        assert len(emails) == len(set(emails)) == 3
        assert rest.json()["next_cursor"] is None
        assert all(i["status"] == "accepted" for i in rest.json()["items"])

    async def test_accepting_joins_with_the_invited_role(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        email = unique_email("guest")
        await invite(client, world, email, "manager")
        user = await sign_up(client, email)
        response = await accept(client, user, await invitation_token(client, email))
        assert response.status_code == 200
        assert response.json()["role"] == "manager"
        assert (await client.get(org_url(world), headers=user.headers)).json()["role"] == "manager"

    async def test_the_invitee_email_is_matched_case_insensitively(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        email = unique_email("Guest")
        await invite(client, world, email.upper())
        user = await sign_up(client, email)
        assert (await accept(client, user, await invitation_token(client, email))).status_code == 200

    async def test_another_email_cannot_accept(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        email = unique_email("guest")
        await invite(client, world, email)
        intruder = await sign_up(client)
        response = await accept(client, intruder, await invitation_token(client, email))
        assert response.status_code == 409
        assert response.json()["code"] == "invitation-email-mismatch"

    async def test_accepted_twice_is_a_conflict(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        email = unique_email("guest")
        await invite(client, world, email)
        user = await sign_up(client, email)
        token = await invitation_token(client, email)
        await accept(client, user, token)
        again = await accept(client, user, token)
        assert again.status_code == 409
        assert again.json()["code"] == "invitation-unusable"

    async def test_an_expired_invitation_is_a_conflict(
        self, client: httpx.AsyncClient, world: OrgWorld, superuser_sql: object
    ) -> None:
        email = unique_email("guest")
        invitation_id = (await invite(client, world, email)).json()["id"]
        await superuser_sql(
            "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = :id",  # type: ignore[operator]
            id=invitation_id,
        )
        user = await sign_up(client, email)
        response = await accept(client, user, await invitation_token(client, email))
        assert response.status_code == 409
        assert response.json()["code"] == "invitation-unusable"
        listed = await client.get(org_url(world, "/invitations"), headers=world.admin.headers)
        assert listed.json()["items"][0]["status"] == "expired"

    async def test_a_revoked_invitation_cannot_be_accepted(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        email = unique_email("guest")
        invitation_id = (await invite(client, world, email)).json()["id"]
        revoked = await client.delete(org_url(world, f"/invitations/{invitation_id}"), headers=world.admin.headers)
        assert revoked.status_code == 204
        user = await sign_up(client, email)
        response = await accept(client, user, await invitation_token(client, email))
        assert response.status_code == 409
        again = await client.delete(org_url(world, f"/invitations/{invitation_id}"), headers=world.admin.headers)
        assert again.status_code == 409

    async def test_revoking_an_unknown_invitation_is_not_found(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        response = await client.delete(
            org_url(world, "/invitations/00000000-0000-0000-0000-000000000001"), headers=world.admin.headers
        )
        assert response.status_code == 404

    async def test_another_organizations_invitation_is_not_found(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        other = await client.post(
            f"/api/v1/orgs/{world.other_organization_id}/invitations",
            json={"email": unique_email(), "role": "viewer"},
            headers=world.outsider.headers,
        )
        response = await client.delete(
            org_url(world, f"/invitations/{other.json()['id']}"), headers=world.admin.headers
        )
        assert response.status_code == 404

    async def test_inviting_a_member_is_a_conflict(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        response = await invite(client, world, world.viewer.email.upper())
        assert response.status_code == 409
        assert response.json()["code"] == "already-member"

    async def test_a_garbled_token_is_a_bad_request(self, client: httpx.AsyncClient, world: OrgWorld) -> None:
        for token in ("not-a-valid-token", "AAAAAAAAAAAAAAAAAAAAAA.secret-part"):
            response = await accept(client, world.outsider, token)
            assert response.status_code == 400, token
            assert response.json()["code"] == "invalid-invitation-token"

    async def test_a_member_added_through_the_helper_has_the_role(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        user = await add_member(client, world.admin, world.organization_id, "viewer")
        assert (await client.get(org_url(world), headers=user.headers)).json()["role"] == "viewer"


# What each role may do, written out (not derived from MINIMUM_ROLE) so that the answer is checked against the
# documented matrix of docs/permissions.md, not against itself.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    "viewer": {"organization.read", "members.read", "connections.read", "analytics.read"},
    "member": {
        "organization.read",
        "members.read",
        "connections.read",
        "analytics.read",
        "connections.sync",
        "reports.manage",
        "drafts.edit",
    },
}
ROLE_PERMISSIONS["manager"] = ROLE_PERMISSIONS["member"] | {
    "reports.manage_all",
    "exchange_rates.manage",
    "changes.approve",
    "changes.publish",
    "connections.manage",
}
ROLE_PERMISSIONS["admin"] = ROLE_PERMISSIONS["manager"] | {
    "organization.update",
    "members.manage",
    "audit.read",
    "billing.manage",
}

# The web app's test fixtures build organizations with the same permissions; this keeps them in step.
FRONTEND_FIXTURE = Path(__file__).parents[1] / "frontend" / "src" / "test" / "rolePermissions.json"


class TestPermissionsInTheAnswer:
    @pytest.mark.parametrize("role", ["viewer", "member", "manager", "admin"])
    async def test_get_lists_exactly_the_permissions_of_my_role(
        self, client: httpx.AsyncClient, world: OrgWorld, role: str
    ) -> None:
        response = await client.get(org_url(world), headers=world.as_role(role).headers)
        assert response.status_code == 200
        permissions = response.json()["permissions"]
        assert len(permissions) == len(set(permissions))
        assert set(permissions) == ROLE_PERMISSIONS[role]

    async def test_the_list_carries_my_permissions_in_each_organization(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        await create_organization(client, world.viewer, "Zeta Corp")
        response = await client.get("/api/v1/orgs", headers=world.viewer.headers)
        assert {o["name"]: set(o["permissions"]) for o in response.json()["items"]} == {
            "Acme": ROLE_PERMISSIONS["viewer"],
            "Zeta Corp": ROLE_PERMISSIONS["admin"],
        }

    async def test_accepting_an_invitation_answers_with_the_invited_roles_permissions(
        self, client: httpx.AsyncClient, world: OrgWorld
    ) -> None:
        email = unique_email("manager")
        assert (await invite(client, world, email, "manager")).status_code == 201
        token = await invitation_token(client, email)
        invitee = await sign_up(client, email)
        response = await accept(client, invitee, token)
        assert response.status_code == 200
        assert set(response.json()["permissions"]) == ROLE_PERMISSIONS["manager"]

    def test_the_web_app_fixture_matches_the_matrix(self) -> None:
        fixture = json.loads(FRONTEND_FIXTURE.read_text())
        assert {role: set(permissions) for role, permissions in fixture.items()} == ROLE_PERMISSIONS
