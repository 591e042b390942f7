"""Secrets: values of secret-named environment variables and secret-shaped text never reach
any artifact, wherever a test puts them (output, assertion messages, node ids, import errors,
the command line)."""

from __future__ import annotations

from pathlib import Path

import pytest

ENV_SECRETS = {
    "MY_SERVICE_TOKEN": "tokA1b2C3d4E5f6",
    "DB_PASSWORD": "pw-Zq8Xv7Wu6",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
}
#: Secrets a test prints without any environment variable naming them.
SHAPED_SECRETS = [
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "AKIAIOSFODNN7EXAMPLE",
    "hunter2hunter2",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "s3cr3tUrlPass",
]

PROJECT = """
import os
import pytest

TOKEN = os.environ["MY_SERVICE_TOKEN"]

def test_prints_and_fails():
    print("token", TOKEN, "password", os.environ["DB_PASSWORD"])
    print("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 AKIAIOSFODNN7EXAMPLE")
    print("login password=hunter2hunter2")
    print("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
    print("url https://deploy:s3cr3tUrlPass@example.com/x")
    key = os.environ["AWS_SECRET_ACCESS_KEY"]
    assert key == TOKEN, f"{key} != {TOKEN}"

@pytest.mark.parametrize("value", [TOKEN])
def test_secret_in_its_id(value):
    assert not value
"""
BROKEN_IMPORT = """
import os
raise RuntimeError("cannot connect with " + os.environ["DB_PASSWORD"])
"""


def leaked(folder: Path) -> list[str]:
    """The secret values found in any file of the artifact folder."""
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    secrets = [*ENV_SECRETS.values(), *SHAPED_SECRETS]
    return [s for s in secrets if s.encode() in everything]


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV_SECRETS.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_secrets=PROJECT, test_broken_import=BROKEN_IMPORT)
    # The token on the command line too: it ends up in summary.json's invocation.
    result = pytester.runpytest("-k", f"not {ENV_SECRETS['MY_SERVICE_TOKEN']}_nothing")
    assert result.ret == 2  # the collection error interrupts the session
    result = pytester.runpytest(
        "--continue-on-collection-errors", "-k", f"not {ENV_SECRETS['MY_SERVICE_TOKEN']}x"
    )
    assert result.ret == 1
    # The secrets did reach pytest's own output: the artifacts are what must not hold them.
    assert ENV_SECRETS["DB_PASSWORD"] in result.stdout.str()
    return pytester.path / ".uok"


def test_no_secret_reaches_any_artifact(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _run(pytester, monkeypatch)
    assert leaked(folder) == []
    digest = (folder / "failure_digest.json").read_text()
    assert "[REDACTED]" in digest
    assert "password=[REDACTED]" in digest


@pytest.mark.parametrize(
    "target",
    ["pytest_uok.core.redact.Redactor.redact", "pytest_uok.core.redact.Redactor.scrub"],
    ids=["no-redaction", "no-final-scrub"],
)
def test_secret_check_catches_a_missing_redaction(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.setattr(target, lambda self, text: text)
    assert leaked(_run(pytester, monkeypatch)) != []
