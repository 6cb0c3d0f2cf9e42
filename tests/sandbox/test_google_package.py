"""The Google Ads emulator's package shape: small modules, and an app that serves exactly the routes they declare."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi.routing import APIRoute

import adpilot.sandbox.google as google_emulator
from adpilot.sandbox.google import accounts, entities, oauth, reports
from adpilot.sandbox.google.app import create_google_emulator
from adpilot.sandbox.google.context import GoogleContext
from adpilot.sandbox.state import SandboxState

MAX_LINES = 800


def test_every_module_of_the_emulator_is_small() -> None:
    names = [info.name for info in pkgutil.iter_modules(google_emulator.__path__)]
    assert {"app", "oauth", "accounts", "reports", "entities", "errors", "quota", "gaql"} <= set(names)
    for name in names:
        source = Path(str(importlib.import_module(f"adpilot.sandbox.google.{name}").__file__))
        lines = len(source.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{source.name} has {lines} lines"


def test_the_app_serves_the_routes_the_modules_declare() -> None:
    state = SandboxState.demo()
    app = create_google_emulator(state)
    served = {
        (method, route.path) for route in app.routes if isinstance(route, APIRoute) for method in route.methods or ()
    }
    context = GoogleContext(state=state, client_id="id", client_secret="secret")
    declared = {(method, route.path) for route in oauth.routes(context) for method in route.methods or ()}
    declared |= {
        (route.method, f"/{{version}}/{route.path}")
        for module in (accounts, reports, entities)
        for route in module.api_routes(context)
    }
    assert served == declared
    assert ("POST", "/{version}/customers/{customer_id}/googleAds:searchStream") in served
    assert ("POST", "/{version}/customers/{customer_id}/campaignBudgets:mutate") in served
    assert ("GET", "/o/oauth2/v2/auth") in served
