"""The Google Ads emulator: Google's OAuth endpoints and the Ads REST API, on the sandbox world.

``create_google_emulator(state)`` builds the ASGI app (mounted at ``/sandbox/google``); :mod:`.app` maps the package:
``oauth``, ``accounts``, ``reports`` (search and searchStream), ``entities`` (mutates), ``errors``, ``quota``,
``context`` (what handlers are handed), and the GAQL subset in ``gaql``, ``fields`` and ``query``.
"""

from adpilot.sandbox.google.app import create_google_emulator
from adpilot.sandbox.google.errors import AdsError, GoogleApiError
from adpilot.sandbox.google.fields import CHANGE_STATUS_DAYS, CHANGE_STATUS_LIMIT, FIELDS
from adpilot.sandbox.google.oauth import SCOPE
from adpilot.sandbox.google.reports import PAGE_SIZE, STREAM_BATCH_SIZE

__all__ = [
    "CHANGE_STATUS_DAYS",
    "CHANGE_STATUS_LIMIT",
    "FIELDS",
    "PAGE_SIZE",
    "SCOPE",
    "STREAM_BATCH_SIZE",
    "AdsError",
    "GoogleApiError",
    "create_google_emulator",
]
