import httpx

from tests.fixtures import OrgWorld


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_world(client: httpx.AsyncClient, world: OrgWorld) -> None:
    response = await client.get(f"/api/v1/orgs/{world.organization_id}/members", headers=world.admin.headers)
    assert len(response.json()["items"]) == 4
    cross = await client.get(f"/api/v1/orgs/{world.organization_id}", headers=world.outsider.headers)
    assert cross.status_code == 404
