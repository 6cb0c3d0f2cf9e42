"""The sandbox: a seeded, deterministic simulation of ad accounts and their performance, and wire-level emulators of
Google Ads, Meta and TikTok built on it, so the demo and the tests exercise the real adapters without touching a real
ad account. Only the demo command, the CLI and tests import this package.

The engine (``engine``), its clock (``clock``), token authority (``auth``), fault plan (``faults``), request quota
(``quota``) and the state that wires them together (``state``) are platform-neutral; each emulator lives in its own
module and is imported explicitly, so importing the package stays cheap.
Meta's emulator is the package ``meta``, one module per part of the Graph API (see its docstring).
The Google Ads emulator is the package ``google`` (its map is in ``google/app.py``).
TikTok's emulator is the package ``tiktok``: ``app`` (the pipeline) and one module per resource (see its docstring).
"""
