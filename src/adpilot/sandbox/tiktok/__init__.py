"""The TikTok API for Business emulator (see ``entities`` for what it speaks)."""

from adpilot.sandbox.tiktok.entities import create_tiktok_emulator

__all__ = ["create_tiktok_emulator"]
