"""A wire-level emulator of TikTok API for Business v1.3, numbers from the sandbox world.

It speaks what the real API speaks (``../shared/reference/platform-apis.md`` §C and its emulator checklist): paths
``/open_api/v1.3/…/`` with their trailing slash (none → 404), the ``Access-Token`` header, JSON-encoded query
parameters, and one envelope for every answer — ``{"code", "message", "request_id", "data"}`` — errors included,
always with HTTP 200. The advertiser consent page is ``/portal/auth``.

Sandbox rules, on top of the real ones:

* Token mode (``config.tiktok_token_mode``): ``long_term`` advertiser tokens never expire; ``rotating`` issues a 24 h
  access token and a 1 year refresh token, and ``tt_user/oauth2/refresh_token/`` rotates both (the old refresh token
  stops working; the old access token lives until it expires).
* Rate: ``config.tiktok_requests_per_second`` per app (TikTok's QPS limits are per application), answered with
  40100 "App reaches the QPS limit.".
* Faults (``state.faults``) apply to calls made with an access token, keyed by the advertiser the call is about:
  ``rate_limit`` → 40100, ``server_error`` → 50000 "System error.", ``revoke_token`` → the login's grant is revoked
  (40105 now and on every later call), ``expire_token`` → the token stops working (40105 for a long-term token, which
  only "expires" by being revoked; 40102 "expired" in the rotating mode, where a refresh brings a new one), ``slow`` →
  the answer is delayed.
* Reports with ``stat_time_day`` cover at most ``config.tiktok_report_max_days`` days (30 by default) → 40067.

The modules: ``app`` (the ASGI app and the per-call pipeline), ``context`` (what handlers are handed), ``oauth``
(consent page, token endpoints), ``accounts`` (advertisers), ``entities`` (campaigns, ad groups, ads: reads and
writes), ``reports`` (``report/integrated/get/``), ``params`` (JSON-encoded parameters, paging), ``errors`` (the
envelope and TikTok's codes) and ``quota`` (operation counting, the per-app QPS limit). A new endpoint is an
``async def handler(call, context)`` in the module of its resource, listed in that module's ``api_routes()``.
"""

from adpilot.sandbox.tiktok.app import create_tiktok_emulator

__all__ = ["create_tiktok_emulator"]
