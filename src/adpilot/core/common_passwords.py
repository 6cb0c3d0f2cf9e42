"""The most common passwords, rejected at sign-up and reset whatever their length (lower-cased)."""

from __future__ import annotations

# Drawn from the most frequent entries of public breach corpora (top lists of NCSC and SecLists), restricted to
# those of 8+ characters since shorter ones already fail the length rule.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    """
    password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword 12345678 123456789
    1234567890 12345678910 123123123 987654321 11111111 111111111 1111111111 00000000 000000000 0000000000
    qwertyuiop qwerty123 qwerty1234 qwertyui 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx zaq12wsx qazwsxedc
    iloveyou iloveyou1 sunshine princess football baseball basketball superman batman123 trustno1 welcome1
    welcome123 letmein1 letmein123 abc12345 abcd1234 abcdefgh abc123456 aa123456 a1234567 asdfghjkl asdfasdf
    1234qwer qwer1234 q1w2e3r4 q1w2e3r4t5 monkey123 dragon123 master123 shadow123 michael1 jennifer charlie1
    computer internet starwars whatever freedom1 changeme changeme123 administrator admin123 admin1234 root1234
    secret123 football1 baseball1 jordan23 liverpool chelsea1 arsenal1 12qwaszx 147258369 159357456 88888888
    99999999 12344321 11223344 123321123 789456123 987654321 123654789 666666666 555555555 777777777
    passwort motdepasse contraseña senha1234 password! password@1 Password1! summer2024 winter2024 spring2025
    autumn2025 summer2025 winter2025 summer2026 winter2026 adpilot adpilot123 marketing marketing123
    """.lower().split()
)


def is_common_password(password: str) -> bool:
    return password.lower() in COMMON_PASSWORDS
