"""No planted secret ever appears in any output format.

The values are built by concatenation so that this file holds no literal secret shape.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.engine import ScanResult
from linter.output import FORMATS, render
from linter.redact import mask
from tests.conftest import run_scan

STRIPE = "sk_" + "live_" + "Qm7Rt2Vx9Lp4Hs6Kd1Nb8WcZ"
AWS_ID = "AK" + "IA" + "RT2VX7LP4HS6KD3N"
AWS_SECRET = "Wq7Lm2Np9Rt" + "4Vx8Kd3Hs6Bc1Fg5Jz0Ty" + "+/Ab3CeQ"
GITHUB = "gh" + "p_" + "Rt2Vx9Lp4Hs6Kd1Nb8Wc3Fg5Jz0TyQm7Aa1B"
SLACK = "xo" + "xb-" + "2345678901234-2345678901234-" + "Rt2Vx9Lp4Hs6Kd1Nb8Wc3Fg5"
SENDGRID = (
    "S" + "G." + "Rt2Vx9Lp4Hs6Kd1Nb8Wc3F" + "." + "Rt2Vx9Lp4Hs6Kd1Nb8Wc3Fg5Jz0TyQm7Aa1Bb2Cc3Dd"
)
GENERIC = "Hq7#Lm2!Np9" + "Rt4$Vx8"
DB_PASSWORD = "Pz4" + "Kd9Lw2Qx"
SUPPRESSED = "sk_" + "live_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2"
TEMPLATE_SECRET = "rk_" + "live_" + "Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9"
DOTENV_SECRET = "Jt5" + "Wm8Qr3Zx6Lp"
PEM_LINES = [
    "MIIEow" + "IBAAKCAQEAq7Lm2Np9Rt4Vx8Kd3Hs6Bc1Fg5Jz0TyQm7Rt2Vx9Lp4Hs6Kd1Nb8W",
    "c3Fg5Jz0" + "TyQm7Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4Oo5Pp6Qq7Rr8Ss9Tt",
]

PLANTED = [
    STRIPE,
    AWS_ID,
    AWS_SECRET,
    GITHUB,
    SLACK,
    SENDGRID,
    GENERIC,
    DB_PASSWORD,
    SUPPRESSED,
    TEMPLATE_SECRET,
    DOTENV_SECRET,
    *PEM_LINES,
]


def _pem(begin: str, end: str, sep: str) -> str:
    return sep.join([begin, *PEM_LINES, end])


def _write(root: Path) -> None:
    (root / "app.py").write_text(
        f'STRIPE_KEY = "{STRIPE}"\n'
        f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'
        f'AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'
        f'github = "{GITHUB}"\n'
        f'slack_token = "{SLACK}"\n'
        f'SENDGRID_API_KEY = "{SENDGRID}"\n'
        f'db_password = "{GENERIC}"\n'
        f'DATABASE_URL = "postgres://app:{DB_PASSWORD}@db.internal:5432/app"\n'
        f'OLD = "{SUPPRESSED}"  # prodready: ignore[secret-hardcoded] test fixture\n'
    )
    begin, end = "-----BEGIN " + "PRIVATE KEY-----", "-----END " + "PRIVATE KEY-----"
    (root / "tls.js").write_text(f'const key = "{_pem(begin, end, chr(92) + "n")}";\n')
    (root / "id_rsa").write_text(_pem(begin, end, "\n") + "\n")
    (root / "sa.json").write_text(
        '{"type": "service_account", "private_key": "'
        + _pem(begin, end, chr(92) + "n")
        + '", "client_email": "a@p.iam.gserviceaccount.com"}\n'
    )
    (root / ".env.example").write_text(f"PORT=8080\nSTRIPE_RESTRICTED_KEY={TEMPLATE_SECRET}\n")
    (root / ".env").write_text(f"SESSION_SECRET={DOTENV_SECRET}\n")


def _render(fmt: str, result: ScanResult) -> str:
    if fmt in ("text", "json"):
        return render(fmt, result, include_suppressed=True)
    return render(fmt, result)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = tmp_path_factory.mktemp("redact")
    _write(root)
    return run_scan(["."], cwd=root, select=["secret", "env"])


def test_every_planted_value_is_found(result: ScanResult) -> None:
    """Each planted value's line carries a finding, so its snippet is in every output."""
    lines = {(f.location.path, f.location.start_line) for f in result.findings}
    assert ("app.py", 9) in lines  # the suppressed one, kept as a suppressed finding
    assert {("app.py", n) for n in range(1, 10)} <= lines
    assert {("tls.js", 1), ("id_rsa", 1), ("sa.json", 1), (".env.example", 2), (".env", 1)} <= (
        lines
    )
    suppressed = [f for f in result.findings if f.suppression is not None]
    assert [(f.rule_id, f.location.start_line) for f in suppressed] == [("secret-hardcoded", 9)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_planted_value_in_any_format(result: ScanResult, fmt: str) -> None:
    out = _render(fmt, result)
    assert "secret-hardcoded" in out
    for value in PLANTED:
        assert value not in out, f"{fmt} output leaks {mask(value)}"
        # and no long piece of it either (a prefix of at most 8 characters is allowed)
        assert value[: len(value) // 2 + 4] not in out, f"{fmt} output leaks part of {mask(value)}"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_snippets_show_the_mask(result: ScanResult, fmt: str) -> None:
    out = _render(fmt, result)
    assert mask(STRIPE) in out
    assert mask(DB_PASSWORD) in out


def test_messages_never_hold_the_value(result: ScanResult) -> None:
    for f in result.findings:
        for value in PLANTED:
            assert value not in f.message
