"""The Google Ads emulator: Google's OAuth endpoints and the Ads REST API, on the sandbox world.

``create_google_emulator(state)`` builds the ASGI app (mounted at ``/sandbox/google``).
"""

from adpilot.sandbox.google.app import create_google_emulator

__all__ = ["create_google_emulator"]
