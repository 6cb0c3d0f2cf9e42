"""The demo workspace: created once, logged into through the real API, and refused with a clear reason."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from adpilot.config import get_settings
from adpilot.db import Database
from adpilot.demo import DEMO_ORGANIZATION, DemoSettingsInvalid, seed_demo


class TestSeedDemo:
    async def test_the_demo_user_logs_in_and_administers_the_demo_organization(
        self, database: Database, client: httpx.AsyncClient
    ) -> None:
        settings = get_settings()
        login = await seed_demo(database, settings)
        assert login.created is True
        response = await client.post("/api/v1/auth/login", json={"email": login.email, "password": login.password})
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        me = (await client.get("/api/v1/me", headers=headers)).json()
        assert me["email_verified"] is True
        [organization] = (await client.get("/api/v1/orgs", headers=headers)).json()["items"]
        assert (organization["name"], organization["role"]) == (DEMO_ORGANIZATION, "admin")

    async def test_seeding_twice_keeps_one_workspace(self, database: Database, client: httpx.AsyncClient) -> None:
        settings = get_settings()
        await seed_demo(database, settings)
        again = await seed_demo(database, settings)
        assert again.created is False
        response = await client.post("/api/v1/auth/login", json={"email": again.email, "password": again.password})
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        assert len((await client.get("/api/v1/orgs", headers=headers)).json()["items"]) == 1

    async def test_a_common_password_is_refused_with_the_setting_named(self, database: Database) -> None:
        settings = get_settings().model_copy(update={"demo_password": SecretStr("password123")})
        with pytest.raises(DemoSettingsInvalid, match="ADPILOT_DEMO_PASSWORD"):
            await seed_demo(database, settings)

    async def test_an_invalid_email_is_refused_with_the_setting_named(self, database: Database) -> None:
        settings = get_settings().model_copy(update={"demo_email": "not-an-email"})
        with pytest.raises(DemoSettingsInvalid, match="ADPILOT_DEMO_EMAIL"):
            await seed_demo(database, settings)
