"""Drafts through the API: versions and conflicts, the review workflow and its roles, audit, other organizations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adpilot.platforms.types import Platform
from tests.campaigns.test_entity_sync import connect_sandbox
from tests.drafts.documents import valid_ad, valid_document
from tests.fixtures import LoggedIn, OrgWorld
from tests.sandbox_fixtures import SandboxServer


def url(world: OrgWorld, path: str = "", organization_id: str | None = None) -> str:
    return f"/api/v1/orgs/{organization_id or world.organization_id}/drafts{path}"


@pytest.fixture
async def accounts(client: httpx.AsyncClient, world: OrgWorld, sandbox_platforms: SandboxServer) -> dict[Platform, str]:
    """A managed sandbox ad account per platform."""
    found: dict[Platform, str] = {}
    for platform in (Platform.google, Platform.meta):
        connection = await connect_sandbox(client, world, platform, manage=1, metrics=False)
        found[platform] = next(a["id"] for a in connection["accounts"] if a["managed"])
    return found


async def create(
    client: httpx.AsyncClient, world: OrgWorld, document: dict[str, Any], user: LoggedIn | None = None
) -> dict[str, Any]:
    response = await client.post(url(world), json={"document": document}, headers=(user or world.member).headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def save(
    client: httpx.AsyncClient, world: OrgWorld, draft: dict[str, Any], document: dict[str, Any], base: int | None = None
) -> httpx.Response:
    return await client.put(
        url(world, f"/{draft['id']}"),
        json={"base_version": base or draft["current_version"], "document": document},
        headers=world.member.headers,
    )


async def step(
    client: httpx.AsyncClient, world: OrgWorld, draft: dict[str, Any], action: str, user: LoggedIn, **body: Any
) -> httpx.Response:
    return await client.post(url(world, f"/{draft['id']}/{action}"), json=body or None, headers=user.headers)


async def test_a_draft_is_created_saved_as_versions_and_diffed(client: httpx.AsyncClient, world: OrgWorld) -> None:
    document = valid_document({Platform.google: None})
    draft = await create(client, world, document)
    assert draft["status"] == "draft"
    assert draft["current_version"] == 1
    assert draft["platforms"] == ["google"]
    # Saving returns the problems as warnings: the missing ad account is one.
    assert any(p["path"] == "targets[0].ad_account_id" for p in draft["problems"])

    edited = valid_document(
        {Platform.google: None},
        name="Spring sale v2",
        ad_groups=[
            {"name": "Bouquets", "ads": [valid_ad(headlines=["Fresh flowers daily", "Order by noon", "Tulips"])]}
        ],
    )
    saved = await save(client, world, draft, edited)
    assert saved.status_code == 200, saved.text
    assert saved.json()["current_version"] == 2
    assert saved.json()["name"] == "Spring sale v2"

    versions = (await client.get(url(world, f"/{draft['id']}/versions"), headers=world.viewer.headers)).json()
    assert [v["number"] for v in versions["items"]] == [2, 1]
    first = await client.get(url(world, f"/{draft['id']}/versions/1"), headers=world.viewer.headers)
    assert first.json()["document"]["name"] == "Spring sale"

    diff = (
        await client.get(url(world, f"/{draft['id']}/diff?from_version=1&to_version=2"), headers=world.viewer.headers)
    ).json()
    assert {(c["path"], c["before"], c["after"]) for c in diff["changes"]} == {
        ("name", "Spring sale", "Spring sale v2"),
        ("ad_groups[0].ads[0].headlines[2]", "Same-day delivery", "Tulips"),
    }
    missing = await client.get(url(world, f"/{draft['id']}/versions/9"), headers=world.viewer.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "draft-version-not-found"


async def test_a_stale_save_is_a_conflict(client: httpx.AsyncClient, world: OrgWorld) -> None:
    draft = await create(client, world, valid_document({Platform.meta: None}))
    assert (await save(client, world, draft, valid_document({Platform.meta: None}, name="A"))).status_code == 200
    stale = await save(client, world, draft, valid_document({Platform.meta: None}, name="B"), base=1)
    assert stale.status_code == 409
    assert stale.json()["code"] == "draft-version-conflict"
    assert stale.json()["current_version"] == 2
    current = (await client.get(url(world, f"/{draft['id']}"), headers=world.member.headers)).json()
    assert current["document"]["name"] == "A"


async def test_an_unknown_field_is_refused(client: httpx.AsyncClient, world: OrgWorld) -> None:
    document = valid_document({Platform.google: None}, budget_euros=3)
    response = await client.post(url(world), json={"document": document}, headers=world.member.headers)
    assert response.status_code == 422


async def test_text_the_database_cannot_store_is_refused(client: httpx.AsyncClient, world: OrgWorld) -> None:
    nul = valid_document({Platform.meta: None}, platform_overrides={"meta": {"special_ad_categories": ["a\x00"]}})
    response = await client.post(url(world), json={"document": nul}, headers=world.member.headers)
    assert response.status_code == 422
    surrogate = b'{"document": {"name": "\\ud800"}}'
    response = await client.post(
        url(world), content=surrogate, headers={**world.member.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422


async def test_submitting_with_blocking_problems_is_refused_with_each_field(
    client: httpx.AsyncClient, world: OrgWorld
) -> None:
    document = valid_document(
        {Platform.google: None}, ad_groups=[{"name": "G", "ads": [valid_ad(headlines=["x" * 31])]}]
    )
    draft = await create(client, world, document)
    response = await step(client, world, draft, "submit", world.member)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "draft-invalid"
    paths = {p["path"] for p in body["problems"]}
    assert {"targets[0].ad_account_id", "ad_groups[0].ads[0].headlines", "ad_groups[0].ads[0].headlines[0]"} <= paths
    assert all(p["severity"] == "error" for p in body["problems"])


async def test_the_review_workflow_with_its_roles(
    client: httpx.AsyncClient, world: OrgWorld, accounts: dict[Platform, str]
) -> None:
    document = valid_document(accounts)
    draft = await create(client, world, document)
    assert [p for p in draft["problems"] if p["severity"] == "error"] == []

    # A viewer writes nothing; a member cannot approve.
    assert (await step(client, world, draft, "submit", world.viewer)).status_code == 403
    submitted = await step(client, world, draft, "submit", world.member)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "in_review"
    assert (await step(client, world, draft, "approve", world.member)).status_code == 403
    assert (await step(client, world, draft, "submit", world.member)).json()["code"] == "draft-transition-not-allowed"

    # The manager asks for changes on a field.
    comments = [{"path": "ad_groups[0].ads[0].headlines[0]", "message": "Say what is fresh."}]
    sent_back = await step(client, world, draft, "request-changes", world.manager, comments=comments)
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "changes_requested"
    assert [(c["path"], c["message"], c["version"]) for c in sent_back.json()["comments"]] == [
        ("ad_groups[0].ads[0].headlines[0]", "Say what is fresh.", 1)
    ]
    # Only approved drafts go further; a draft sent back cannot be approved.
    assert (await step(client, world, draft, "approve", world.manager)).status_code == 409

    # The member edits (back to draft), submits again, the manager approves.
    edited = valid_document(
        accounts,
        ad_groups=[
            {
                "name": "Bouquets",
                "ads": [valid_ad(headlines=["Fresh tulips daily", "Order by noon", "Same-day delivery"])],
            }
        ],
    )
    saved = await save(client, world, draft, edited)
    assert saved.json()["status"] == "draft"
    assert (await step(client, world, draft, "submit", world.member)).json()["status"] == "in_review"
    approved = await step(client, world, draft, "approve", world.manager)
    assert approved.json()["status"] == "approved"

    # Editing an approved draft sends it back to draft; so does reopening one.
    saved = await save(client, world, approved.json(), valid_document(accounts, name="Spring sale, final"))
    assert saved.json()["status"] == "draft"
    assert (await step(client, world, draft, "submit", world.member)).json()["status"] == "in_review"
    assert (await step(client, world, draft, "reopen", world.member)).json()["status"] == "draft"

    audit = (
        await client.get(
            f"/api/v1/orgs/{world.organization_id}/audit-log?target_type=draft", headers=world.admin.headers
        )
    ).json()
    actions = [entry["action"] for entry in audit["items"] if entry["target_id"] == draft["id"]]
    assert actions[::-1] == [
        "draft.created",
        "draft.submitted",
        "draft.changes_requested",
        "draft.saved",
        "draft.submitted",
        "draft.approved",
        "draft.saved",
        "draft.submitted",
        "draft.reopened",
    ]
    assert {entry["target_name"] for entry in audit["items"] if entry["target_id"] == draft["id"]} == {
        "Spring sale, final"
    }


async def test_lists_filter_by_status_and_platform(client: httpx.AsyncClient, world: OrgWorld) -> None:
    google = await create(client, world, valid_document({Platform.google: None}, name="G"))
    meta = await create(client, world, valid_document({Platform.meta: None}, name="M"))
    everything = (await client.get(url(world), headers=world.viewer.headers)).json()
    assert [d["id"] for d in everything["items"]] == [meta["id"], google["id"]]
    assert {d["updated_by_user_id"] for d in everything["items"]} == {str(world.member.user_id)}
    # A manager's save makes the manager the one who last saved it.
    response = await client.put(
        url(world, f"/{google['id']}"),
        json={"base_version": 1, "document": valid_document({Platform.google: None}, name="G2")},
        headers=world.manager.headers,
    )
    assert response.status_code == 200, response.text
    listed = (await client.get(url(world, "?platform=google"), headers=world.viewer.headers)).json()
    assert [(d["name"], d["updated_by_user_id"]) for d in listed["items"]] == [("G2", str(world.manager.user_id))]
    only_meta = (await client.get(url(world, "?platform=meta"), headers=world.viewer.headers)).json()
    assert [d["id"] for d in only_meta["items"]] == [meta["id"]]
    in_review = (await client.get(url(world, "?status=in_review"), headers=world.viewer.headers)).json()
    assert in_review["items"] == []
    named = (await client.get(url(world, "?name_contains=m"), headers=world.viewer.headers)).json()
    assert [d["id"] for d in named["items"]] == [meta["id"]]
    # LIKE wildcards are matched literally.
    wildcard = (await client.get(url(world, "?name_contains=%25"), headers=world.viewer.headers)).json()
    assert wildcard["items"] == []
    first_page = (await client.get(url(world, "?limit=1"), headers=world.viewer.headers)).json()
    second = (
        await client.get(url(world, f"?limit=1&cursor={first_page['next_cursor']}"), headers=world.viewer.headers)
    ).json()
    assert [d["id"] for d in first_page["items"] + second["items"]] == [meta["id"], google["id"]]


async def test_duplicating_a_draft_copies_its_current_document(client: httpx.AsyncClient, world: OrgWorld) -> None:
    draft = await create(client, world, valid_document({Platform.tiktok: None}))
    copy = await step(client, world, draft, "duplicate", world.member)
    assert copy.status_code == 201, copy.text
    assert copy.json()["id"] != draft["id"]
    assert copy.json()["name"] == "Copy of Spring sale"
    assert copy.json()["status"] == "draft"
    assert copy.json()["document"]["ad_groups"] == draft["document"]["ad_groups"]


async def test_a_target_account_must_be_the_organizations_and_on_its_platform(
    client: httpx.AsyncClient, world: OrgWorld, accounts: dict[Platform, str]
) -> None:
    wrong = valid_document({Platform.meta: accounts[Platform.google]})
    response = await client.post(url(world), json={"document": wrong}, headers=world.member.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "draft-target-invalid"


async def test_another_organizations_draft_is_not_found(client: httpx.AsyncClient, world: OrgWorld) -> None:
    draft = await create(client, world, valid_document({Platform.google: None}))
    other = world.outsider
    for method, path in (
        ("GET", f"/{draft['id']}"),
        ("GET", f"/{draft['id']}/versions"),
        ("GET", f"/{draft['id']}/versions/1"),
        ("GET", f"/{draft['id']}/diff"),
        ("GET", f"/{draft['id']}/validation"),
        ("GET", f"/{draft['id']}/utm-preview"),
        ("POST", f"/{draft['id']}/submit"),
        ("POST", f"/{draft['id']}/duplicate"),
        ("POST", f"/{draft['id']}/reopen"),
    ):
        response = await client.request(method, url(world, path, world.other_organization_id), headers=other.headers)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "draft-not-found", (method, path)
    listed = (await client.get(url(world, organization_id=world.other_organization_id), headers=other.headers)).json()
    assert listed["items"] == []


async def test_utm_preview_per_platform(client: httpx.AsyncClient, world: OrgWorld) -> None:
    settings = f"/api/v1/orgs/{world.organization_id}/draft-settings/utm-template"
    template = "utm_source={platform}&utm_campaign={campaign}"
    assert (await client.put(settings, json={"template": template}, headers=world.manager.headers)).status_code == 403
    refused = await client.put(settings, json={"template": "utm_source={source}"}, headers=world.admin.headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "utm-template-invalid"
    assert (await client.put(settings, json={"template": template}, headers=world.admin.headers)).status_code == 200
    assert (await client.get(settings, headers=world.viewer.headers)).json()["template"] == template

    draft = await create(
        client, world, valid_document({Platform.google: None, Platform.meta: None, Platform.tiktok: None})
    )
    preview = (await client.get(url(world, f"/{draft['id']}/utm-preview"), headers=world.viewer.headers)).json()
    assert preview["template"] == template
    assert {(u["platform"], u["path"], u["final_url"]) for u in preview["urls"]} == {
        (
            p,
            "ad_groups[0].ads[0].final_url",
            f"https://flowers.example.com/spring?utm_source={p}&utm_campaign=Spring%20sale",
        )
        for p in ("google", "meta", "tiktok")
    }
    # The draft's own template wins over the organization's.
    own = valid_document({Platform.meta: None}, utm_template="utm_medium=paid&utm_content={ad}")
    saved = (await save(client, world, draft, own)).json()
    preview = (await client.get(url(world, f"/{saved['id']}/utm-preview"), headers=world.viewer.headers)).json()
    assert [u["final_url"] for u in preview["urls"]] == [
        "https://flowers.example.com/spring?utm_medium=paid&utm_content=Spring%20ad"
    ]
