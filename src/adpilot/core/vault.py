"""The credential vault: symmetric encryption of secrets at rest with a list of Fernet keys, newest first.

The newest key encrypts; every key decrypts, so a key is rotated by putting a new one in front, re-encrypting every
stored secret (``rotate``) and only then dropping the old key. Keys come from the settings, never from the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class VaultKeyInvalid(ValueError):
    """A configured key is not a Fernet key (32 url-safe base64-encoded bytes)."""


class VaultDecryptionFailed(ValueError):
    """No configured key decrypts the ciphertext: its key was removed since, or it was altered."""


def generate_key() -> str:
    """A new random Fernet key, to put in front of the configured keys."""
    return Fernet.generate_key().decode()


class CredentialVault:
    """Encrypt with the first key, decrypt with any (``cryptography``'s MultiFernet: AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            raise TypeError("keys is a sequence of keys, newest first, not one string")
        if not keys:
            raise VaultKeyInvalid("the credential vault needs at least one key (generate one: adpilot keys generate)")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError) as exc:
                # The key itself is never repeated in the message: it is a secret.
                raise VaultKeyInvalid(
                    f"credential key #{position} of {len(keys)} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes); generate one with: adpilot keys generate"
                ) from exc
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)
        self.key_count = len(fernets)

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._all.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._all.decrypt(token)
        except InvalidToken as exc:
            raise VaultDecryptionFailed(
                "no configured credential key decrypts this secret (was its key removed before `adpilot keys rotate`?)"
            ) from exc

    def needs_rotation(self, token: bytes) -> bool:
        """Whether the ciphertext was encrypted with another key than the newest one."""
        try:
            self._primary.decrypt(token)
        except InvalidToken:
            return True
        return False

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext, encrypted with the newest key (its original timestamp is kept)."""
        try:
            return self._all.rotate(token)
        except InvalidToken as exc:
            raise VaultDecryptionFailed("no configured credential key decrypts this secret") from exc
