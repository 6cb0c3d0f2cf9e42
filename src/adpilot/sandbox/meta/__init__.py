"""A wire-level emulator of the Meta Graph / Marketing API, driven by the sandbox world.

It answers the way graph.facebook.com does (``platform-apis.md`` section B and its emulator checklist), so the real
Meta adapter runs against it unchanged. One module per part of the API:

* ``app``: the ASGI app and the pipeline every Graph request goes through (version, token, node, faults, quota,
  usage headers, dispatch);
* ``oauth``: the login dialog, ``/oauth/access_token``, ``/debug_token`` and the user token;
* ``accounts``: ``/me``, ``/me/permissions``, ``/me/adaccounts`` and ``/act_{id}``;
* ``entities_read`` / ``entities_write``: campaigns, ad sets and ads read (fields, ``effective_status``, object
  ``filtering`` on ``id``, ``effective_status`` and ``updated_time``, cursor paging) and created, updated, deleted;
* ``reports`` (served) and ``insights`` (computed): insights, synchronous and as async report runs;
* ``errors``: the Graph error envelope; ``quota``: the per-ad-account request rate and the sandbox's faults;
  ``usage``: the usage headers; ``graph``: Graph's shared conventions (fields, paging, times, money, statuses);
  ``context``: what every handler is handed.

Two liberties, both documented where they happen: ``estimated_time_to_regain_access`` is fractional minutes (Meta
sends whole minutes; the sandbox's per-second gate frees up in less than one), and the usage quotas are twice what
the per-second gate lets through, so percentages rise with use but a client that respects the gate never hits them.
"""

from adpilot.sandbox.meta.app import create_meta_emulator
from adpilot.sandbox.meta.context import MetaContext, MetaEmulatorOptions, emulator_options
from adpilot.sandbox.meta.errors import GraphError
from adpilot.sandbox.meta.graph import encode_cursor, meta_objective

__all__ = [
    "GraphError",
    "MetaContext",
    "MetaEmulatorOptions",
    "create_meta_emulator",
    "emulator_options",
    "encode_cursor",
    "meta_objective",
]
