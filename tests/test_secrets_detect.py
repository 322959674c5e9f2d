"""The secret detector: shape scoring, placeholders, options, inline allow, odd input."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.model import ArtifactKind, Confidence
from linter.source import SourceFile
from policies.secrets import detect
from tests.conftest import run_scan, triples

STRIPE = "sk_" + "live_" + "Qm7Rt2Vx9Lp4Hs6Kd1Nb8WcZ"
GENERIC = "Hq7#Lm2!Np9" + "Rt4$Vx8"


def _scan(text: str, path: str = "app.py", kind: ArtifactKind = ArtifactKind.PYTHON) -> list[str]:
    src = SourceFile(path, "/x/" + path, kind, text)
    return [f"{c.line}:{c.col} {c.category} {c.label}" for c in detect.scan_source(src)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Zq8vR2mLp4Tn7Wc1Ks6Hd3Fb", Confidence.HIGH),
        ("Xk9#mQ2!vLp", Confidence.MEDIUM),
        ("0123456789abcdef0123", Confidence.MEDIUM),
        ("short7!", None),  # under 8 characters
        ("correcthorsebattery", None),  # one word
        ("my_secret_key_name", None),  # an identifier
        ("DB_PASSWORD_2", None),  # an env var name
        ("Reset your password", None),  # prose
        ("https://vault.internal/token", None),  # a URL
        ("/run/secrets/db", None),  # a path
        ("12345678901234", None),  # a number
        ("${DB_PASSWORD}", None),
        ("{{ .Values.token }}", None),
        ("<your-api-key>", None),
        ("xxxxxxxxxxxxxxxx", None),
        ("example-Zq8vR2mLp4", None),
        ("AbAbAbAbAbAbAbAb", None),  # too little entropy
    ],
)
def test_secret_shape(value: str, expected: Confidence | None) -> None:
    assert detect.secret_shape(value) == expected


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("clientSecret", True),
        ("stripe.api_key", True),
        ("GITHUB_TOKEN", True),
        ("token_url", False),
        ("password_min_length", False),
        ("secretName", False),
        ("api_key_id", False),
        ("username", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert detect.is_secret_name(name) is secret


def test_file_without_needles_is_skipped_cheaply() -> None:
    assert detect.scan_source(SourceFile("m.py", "/x/m.py", ArtifactKind.PYTHON, "x = 1\n")) == ()


def test_comparison_and_call_are_not_assignments() -> None:
    text = f'if password == "{GENERIC}":\n    login(password=get("{GENERIC}"))\n'
    assert _scan(text) == []


def test_keyword_argument_and_annotation_are_assignments() -> None:
    text = f'connect(password="{GENERIC}")\ndb_password: str = "{GENERIC}"\n'
    assert _scan(text) == ["1:19 hardcoded secret", "2:21 hardcoded secret"]


def test_provider_inside_generic_assignment_is_reported_once() -> None:
    assert _scan(f'STRIPE_SECRET_KEY = "{STRIPE}"\n') == ["1:22 hardcoded Stripe live secret key"]


def test_private_key_needs_body_and_end() -> None:
    begin = "-----BEGIN " + "RSA PRIVATE KEY-----"
    body = "MIIEow" + "IBAAKCAQEAq7Lm2Np9Rt4Vx8Kd3Hs6Bc1Fg5Jz0TyQm7Rt2Vx9Lp4Hs6Kd1Nb8W"
    truncated = f"{begin}\n{body}\n"
    assert _scan(truncated, "k.pem", ArtifactKind.TEXT) == []
    full = f"{begin}\n{body}\n-----END RSA PRIVATE KEY-----\n"
    assert _scan(full, "k.pem", ArtifactKind.TEXT) == ["1:1 private-key RSA private key"]


def test_very_long_line_is_read_around_its_needles() -> None:
    """A key after the first 5,000 characters of a line used to be missed (only those were
    read): a minified bundle's line is read in windows around its needles."""
    text = "var a='" + "x" * 200_000 + f"';var token='{STRIPE}';\n"
    assert _scan(text, "bundle.min.js", ArtifactKind.JAVASCRIPT) == [
        "1:200021 hardcoded Stripe live secret key"
    ]
    assert _scan(f"var token='{STRIPE}';" + "x" * 200_000 + "\n", "b.js") == [
        "1:12 hardcoded Stripe live secret key"
    ]


def _repo(tmp_path: Path, files: dict[str, str], config: str | None = None) -> list[str]:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    cfg = None
    if config is not None:
        (tmp_path / ".prodready.yaml").write_text(config)
        cfg = str(tmp_path / ".prodready.yaml")
    result = run_scan(["."], cwd=tmp_path, select=["secret-hardcoded"], config_path=cfg)
    return triples(result)


def test_inline_allow_suppresses_with_reason(tmp_path: Path) -> None:
    text = (
        f'OLD = "{STRIPE}"  # prodready: ignore[secret-hardcoded] test fixture\nNEW = "{STRIPE}"\n'
    )
    (tmp_path / "app.py").write_text(text)
    result = run_scan(["."], cwd=tmp_path, select=["secret-hardcoded"])
    assert triples(result) == ["app.py:2:8 secret-hardcoded"]
    (sup,) = [f for f in result.findings if f.suppression is not None]
    assert sup.location.start_line == 1
    assert sup.suppression is not None and sup.suppression.justification == "test fixture"


def test_placeholder_option_allows_a_value(tmp_path: Path) -> None:
    files = {"a.py": f'db_password = "{GENERIC}"\nSTRIPE = "{STRIPE}"\n'}
    assert _repo(tmp_path, files) == ["a.py:1:16 secret-hardcoded", "a.py:2:11 secret-hardcoded"]
    config = "rules:\n  secret-hardcoded:\n    placeholders: ['^Hq7#', '[unclosed']\n"
    assert _repo(tmp_path, files, config) == ["a.py:2:11 secret-hardcoded"]


def test_generic_option_and_tests(tmp_path: Path) -> None:
    files = {
        "a.py": f'db_password = "{GENERIC}"\n',
        "tests/test_a.py": f'db_password = "{GENERIC}"\nSTRIPE = "{STRIPE}"\n',
    }
    assert _repo(tmp_path, files) == [
        "a.py:1:16 secret-hardcoded",
        "tests/test_a.py:2:11 secret-hardcoded",
    ]
    on = "rules:\n  secret-hardcoded:\n    generic-in-tests: true\n"
    assert _repo(tmp_path, files, on) == [
        "a.py:1:16 secret-hardcoded",
        "tests/test_a.py:1:16 secret-hardcoded",
        "tests/test_a.py:2:11 secret-hardcoded",
    ]
    off = "rules:\n  secret-hardcoded:\n    generic: false\n"
    assert _repo(tmp_path, files, off) == ["tests/test_a.py:2:11 secret-hardcoded"]


def test_odd_files_give_notifications_not_tracebacks(tmp_path: Path) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01token=" + STRIPE.encode())
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 password=" + GENERIC.encode())
    (tmp_path / "empty.env").write_text("")
    (tmp_path / ".env").write_text("=\nexport\n'unterminated=\n")
    result = run_scan(["."], cwd=tmp_path, select=["secret", "env"])
    assert triples(result) == []
    assert not [n for n in result.notifications if n.code == "prodready-internal-error"]
    assert {"bin.dat", "latin1.txt"} <= {n.path for n in result.notifications}


def test_scan_is_shared_between_rules(tmp_path: Path) -> None:
    """One detector pass per file, whatever the number of secret rules enabled."""
    (tmp_path / "a.py").write_text(f'STRIPE = "{STRIPE}"\n')
    calls: list[str] = []
    original = detect.scan_source

    def counting(src: SourceFile) -> tuple[detect.Candidate, ...]:
        calls.append(src.path)
        return original(src)

    mp = pytest.MonkeyPatch()
    mp.setattr(detect, "scan_source", counting)
    try:
        result = run_scan(["."], cwd=tmp_path, select=["secret"])
    finally:
        mp.undo()
    assert triples(result) == ["a.py:1:11 secret-hardcoded"]
    assert calls == ["a.py"]


def test_every_provider_pattern_compiles_with_its_secret_group() -> None:
    # provider patterns are compiled on first use: a broken one must fail here, not in a scan
    from policies.secrets.detect import PROVIDERS

    for prov in PROVIDERS:
        assert "v" in prov.pattern.groupindex, prov.label
        assert prov.needles and all(n == n.lower() for n in prov.needles), prov.label


def test_line_windows_of_a_short_line_is_the_line() -> None:
    from policies.secrets.detect import line_windows

    assert line_windows("x" * 5000, [3]) == [(0, "x" * 5000)]


def test_line_windows_of_a_long_line_surround_its_needles() -> None:
    from policies.secrets.detect import LINE_CAP, MAX_WINDOWS, WINDOW, line_windows

    line = "".join(f"{i % 10}" for i in range(100_000))
    # two needles close together merge; one far away gets its own window
    got = line_windows(line, [50_001, 50_101, 90_001])
    assert [(lo, len(text)) for lo, text in got] == [
        (50_000 - WINDOW, 2 * WINDOW + 100),
        (90_000 - WINDOW, 2 * WINDOW),
    ]
    assert all(line[lo : lo + len(text)] == text for lo, text in got)
    # a needle near the start and the end: windows stop at the line's ends
    assert [lo for lo, _ in line_windows(line, [1, 100_000])] == [0, 100_000 - 1 - WINDOW]
    # needles every 500 characters: one merged span, read in overlapping pieces of LINE_CAP
    pieces = line_windows(line, range(1, 20_001, 500))
    assert all(len(text) <= LINE_CAP for _, text in pieces)
    covered = set()
    for lo, text in pieces:
        covered.update(range(lo, lo + len(text)))
    assert covered == set(range(0, 19_501 + WINDOW - 1))
    # at most MAX_WINDOWS windows (or pieces) on a line
    assert len(line_windows(line * 4, range(1, 400_000, 100))) == MAX_WINDOWS
    longer = line * 2
    assert len(line_windows(longer, range(1, 200_000, 2 * WINDOW + 7))) == MAX_WINDOWS


def test_a_key_deep_in_a_minified_line_is_found_and_shown_around_its_columns(
    tmp_path: Path,
) -> None:
    """A minified bundle: one 1.6 MB line with a Stripe key at character 800,014. Only the first
    5,000 characters of a line were read; the snippets showed the whole line (1.6 MB in SARIF,
    one 1.6 MB line in the text report)."""
    import json

    from linter.output import render

    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    line = "var a=1;" * 100_000 + 'const stripe="' + key + '";' + "var b=2;" * 100_000
    (tmp_path / "bundle.js").write_text(line + "\n")
    result = run_scan(["."], cwd=tmp_path, select=["secret-hardcoded"])
    assert triples(result) == ["bundle.js:1:800015 secret-hardcoded"]
    sarif = json.loads(render("sarif", result))
    snippet = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    text = snippet["snippet"]["text"]
    assert text.startswith("…") and text.endswith("…") and len(text) == 502
    assert 'const stripe="sk_live_' in text and key not in text
    report = render("text", result).splitlines()
    shown, caret = report[1], report[2]
    assert len(shown) < 520
    assert caret.index("^") == shown.index("sk_live_")
    assert json.loads(render("json", result))["findings"][0]["snippet"] == text
