"""The credential vault: MultiFernet encryption with keys newest first, rotation, and clear errors."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from adpilot.core.vault import CredentialVault, VaultDecryptionFailed, VaultKeyInvalid, generate_key

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class TestEncryption:
    def test_a_round_trip(self) -> None:
        vault = CredentialVault([NEW])
        token = vault.encrypt(b"ya29.secret-access-token")
        assert b"secret" not in token
        assert vault.decrypt(token) == b"ya29.secret-access-token"

    def test_each_encryption_differs(self) -> None:
        vault = CredentialVault([NEW])
        assert vault.encrypt(b"same") != vault.encrypt(b"same")

    def test_the_newest_key_encrypts_and_every_key_decrypts(self) -> None:
        old_token = CredentialVault([OLD]).encrypt(b"old")
        vault = CredentialVault([NEW, OLD])
        assert vault.decrypt(old_token) == b"old"
        assert CredentialVault([NEW]).decrypt(vault.encrypt(b"new")) == b"new"

    def test_a_token_of_an_unknown_key_is_a_clear_error(self) -> None:
        token = CredentialVault([OLD]).encrypt(b"x")
        with pytest.raises(VaultDecryptionFailed, match="no configured credential key"):
            CredentialVault([NEW]).decrypt(token)

    def test_an_altered_token_is_refused(self) -> None:
        vault = CredentialVault([NEW])
        token = bytearray(vault.encrypt(b"x"))
        token[-5] ^= 1
        with pytest.raises(VaultDecryptionFailed):
            vault.decrypt(bytes(token))


class TestRotation:
    def test_rotate_then_the_old_key_can_go(self) -> None:
        old_token = CredentialVault([OLD]).encrypt(b"refresh-token")
        both = CredentialVault([NEW, OLD])
        assert both.needs_rotation(old_token)
        rotated = both.rotate(old_token)
        assert not both.needs_rotation(rotated)
        assert CredentialVault([NEW]).decrypt(rotated) == b"refresh-token"
        with pytest.raises(VaultDecryptionFailed):
            CredentialVault([NEW]).decrypt(old_token)

    def test_rotating_a_token_of_a_removed_key_fails_clearly(self) -> None:
        token = CredentialVault([OLD]).encrypt(b"x")
        with pytest.raises(VaultDecryptionFailed):
            CredentialVault([NEW]).rotate(token)


class TestKeys:
    def test_generated_keys_are_valid_and_random(self) -> None:
        assert generate_key() != generate_key()
        CredentialVault([generate_key()])

    @pytest.mark.parametrize(
        "bad", ["", "short", "x" * 44, OLD[:-2]], ids=["empty", "short", "not-32-bytes", "truncated"]
    )
    def test_a_bad_key_says_which_one_without_repeating_it(self, bad: str) -> None:
        with pytest.raises(VaultKeyInvalid, match="credential key #2 of 2 is not a Fernet key") as error:
            CredentialVault([NEW, bad])
        if bad:
            assert bad not in str(error.value)

    def test_no_key_at_all(self) -> None:
        with pytest.raises(VaultKeyInvalid, match="at least one key"):
            CredentialVault([])

    def test_a_single_string_is_a_mistake(self) -> None:
        with pytest.raises(TypeError):
            CredentialVault(NEW)

    def test_surrounding_whitespace_is_ignored(self) -> None:
        assert CredentialVault([f" {NEW}\n"]).key_count == 1
