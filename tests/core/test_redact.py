"""Secrets never reach artifacts, and excerpts stay bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.redact import Redactor, is_secret_name, redact_environment


def test_secret_names() -> None:
    for name in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "API_KEY", "NPM_AUTH"):
        assert is_secret_name(name), name
    for name in ("HOME", "PATH", "CI", "LANG", "KEYBOARD_LAYOUT_X"):
        assert not is_secret_name(name), name


def test_values_of_secret_variables_are_removed() -> None:
    redactor = Redactor({"MY_TOKEN": "s3cr3t-value-123", "HOME": "/home/me"})
    out = redactor.redact("connecting with s3cr3t-value-123 from /home/me")
    assert "s3cr3t-value-123" not in out
    assert "/home/me" in out


def test_secret_shapes_are_removed_without_the_environment() -> None:
    redactor = Redactor({})
    text = (
        "password=hunter22 token: abcdefgh AKIAABCDEFGHIJKLMNOP "
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789 https://user:pw12345@example.invalid/x "
        "Authorization: Bearer abc.def.ghijklmnop"
    )
    out = redactor.redact(text)
    for secret in ("hunter22", "abcdefgh", "AKIAABCDEFGHIJKLMNOP", "ghp_abc", "pw12345", "ghijklmnop"):
        assert secret not in out, secret
    assert "password=[REDACTED]" in out


def test_excerpt_is_bounded_and_says_so() -> None:
    redactor = Redactor({}, max_chars=100)
    text, cut = redactor.excerpt("a" * 10_000)
    assert cut
    assert len(text) < 160
    assert "characters truncated" in text
    assert redactor.excerpt("short") == ("short", False)


@given(st.text(), st.integers(min_value=1, max_value=500))
def test_excerpt_never_keeps_a_planted_secret(noise: str, limit: int) -> None:
    secret = "Zq9-planted-secret-Zq9"
    redactor = Redactor({"SERVICE_TOKEN": secret}, max_chars=limit)
    text, _ = redactor.excerpt(noise + secret + noise)
    assert secret not in text


def test_environment_allow_list_redacts_secret_names() -> None:
    env = {"CI": "true", "GITHUB_TOKEN": "x" * 20, "OTHER": "y"}
    assert redact_environment(env, ["CI", "GITHUB_TOKEN", "MISSING"]) == {
        "CI": "true",
        "GITHUB_TOKEN": "[REDACTED]",
    }
