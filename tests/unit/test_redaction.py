"""Redaction: a corpus of secret shapes is caught, ordinary agent output is left alone."""

from __future__ import annotations

import pytest

from orc.core.services.redaction import Redactor, redact

# (text, the secret that must disappear, rule expected)
SECRETS = [
    (
        "export OPENAI_API_KEY=sk-proj-AbCdEf0123456789AbCdEf0123456789xyz",
        "sk-proj-AbCdEf0123456789AbCdEf0123456789xyz",
        "openai-key",
    ),
    (
        "key sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "openai-key",
    ),
    (
        "ANTHROPIC_API_KEY=sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0-_abcdEFGH",
        "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0-_abcdEFGH",
        "anthropic-key",
    ),
    (
        "git remote set-url origin https://ghp_1234567890abcdefghijABCDEFGHIJ123456@github.com/x",
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",
        "github-token",
    ),
    (
        "token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
        "github-token",
    ),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password-assignment",
    ),
    (
        "SLACK_BOT=xoxb-2048-1234567890-AbCdEfGhIjKlMnOpQrStUv",
        "xoxb-2048-1234567890-AbCdEfGhIjKlMnOpQrStUv",
        "slack-token",
    ),
    (
        "posting to https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "slack-webhook",
    ),
    (
        "maps key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW ok",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
        "google-api-key",
    ),
    (
        "jwt: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "jwt",
    ),
    (
        "curl -H 'Authorization: Bearer abc123DEF456ghi789JKL012mno'",
        "abc123DEF456ghi789JKL012mno",
        "authorization-header",
    ),
    ("DB: password=hunter2hunter2", "hunter2hunter2", "password-assignment"),
    (
        'config = {"password": "correct horse battery staple"}',
        "correct horse battery staple",
        "password-assignment",
    ),
    ("DB_PASSWORD='s3cr3t!'", "s3cr3t!", "password-assignment"),
    ("client_secret: 8f7d6e5c4b3a", "8f7d6e5c4b3a", "password-assignment"),
    ("postgres://admin:Pa55w0rdX@db.internal:5432/shop", "Pa55w0rdX", "url-password"),
    (
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        "huggingface-token",
    ),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
]

PRIVATE_KEY = """here it is:
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDtQ0sQ1mZ9nGf3QWQxl1Qf3E6C0z1Q2m5a0Y4b6H8a9wAAAJgS0rT7EtK0
-----END OPENSSH PRIVATE KEY-----
and that was all"""

ORDINARY = [
    "Refactored the login flow; the password reset email now links to /reset.",
    "Commit 3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a: fix token refresh race",
    "max_tokens=4096 and input_tokens: 1532 (cache hits 12)",
    "↓ 1.2k tokens · esc to interrupt",
    "uuid 123e4567-e89b-12d3-a456-426614174000 assigned to eng-2",
    "The bearer of this message is the PM.",
    "Run `pytest -q tests/test_login.py` then ask-the-pm about sk-learn upgrades",
    "def check_password(user, candidate):",
    "if password is None: raise ValueError('missing')",
    "See https://docs.python.org/3/library/secrets.html for token_hex()",
    "export PATH=/usr/local/bin:$PATH",
    "tokenizer: unicode61 remove_diacritics 2",
    "● eng-1 · fake agent\n> /work 3\n✓ done (working)",
]


@pytest.mark.parametrize(
    "text, secret, rule", SECRETS, ids=[s[2] + str(i) for i, s in enumerate(SECRETS)]
)
def test_secret_shapes_are_redacted(text: str, secret: str, rule: str) -> None:
    redactor = Redactor()
    out = redactor(text)
    assert secret not in out
    assert f"[REDACTED:{rule}]" in out
    assert redactor.total == 1, (out, redactor.counts)


def test_assignment_keeps_the_name_so_the_reader_knows_what_was_there() -> None:
    out, count = redact("password=hunter2hunter2 user=alice")
    assert out == "password=[REDACTED:password-assignment] user=alice"
    assert count == 1


def test_private_key_block_is_redacted_whole_and_surrounding_text_kept() -> None:
    out, count = redact(PRIVATE_KEY)
    assert count == 1
    assert out == "here it is:\n[REDACTED:private-key]\nand that was all"


def test_private_key_cut_off_by_the_capture_is_still_redacted_to_the_end() -> None:
    text = "tail of a pane\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9\nQ2m5a0Y4"
    out, count = redact(text)
    assert (out, count) == ("tail of a pane\n[REDACTED:private-key]", 1)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == (text, 0)


def test_counts_add_up_across_texts_and_disabled_redactor_changes_nothing() -> None:
    redactor = Redactor()
    for text, _, _ in SECRETS:
        redactor(text)
    assert redactor.total == len(SECRETS)
    off = Redactor(enabled=False)
    assert off(SECRETS[0][0]) == SECRETS[0][0] and off.total == 0


def test_secrets_on_several_lines_among_non_ascii_text() -> None:
    text = (
        "İstanbul ünïcödé line\n"
        "all good here\n"
        "password=hunter2hunter2\n"
        "漢字 auth_token: abcdef123456\n"
        f"{SECRETS[3][0]}\n"
        "last line"
    )
    redactor = Redactor()
    out = redactor(text)
    assert out.splitlines() == [
        "İstanbul ünïcödé line",
        "all good here",
        "password=[REDACTED:password-assignment]",
        "漢字 auth_token: [REDACTED:password-assignment]",
        SECRETS[3][0].replace(SECRETS[3][1], "[REDACTED:github-token]"),
        "last line",
    ]
    assert redactor.total == 3


def test_a_fragment_of_a_secret_seen_before_is_redacted_elsewhere() -> None:
    key = "sk-proj-" + "Q7w8E9r0T1y2U3i4" * 5
    redactor = Redactor()
    assert redactor(f"key: {key}") == "key: [REDACTED:openai-key]"
    tail = key[60:]  # what a 60-column pane shows on the wrapped row
    quoted = redactor.fragments(f"still for 3s: {tail}")
    assert quoted == "still for 3s: [REDACTED:fragment]"
    assert redactor.fragments("still for 3s: continuing the build") == (
        "still for 3s: continuing the build"
    )
    assert redactor.counts == {"openai-key": 1, "fragment": 1}
