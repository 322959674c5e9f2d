"""linter.envreads: every read form, with exact positions, writes and comments left out."""

from __future__ import annotations

from linter.envreads import (
    EnvRead,
    compose_env_reads,
    env_reads,
    go_env_reads,
    js_env_reads,
    python_env_reads,
)
from linter.model import ArtifactKind, Location
from linter.source import SourceFile


def _short(reads: tuple[EnvRead, ...]) -> list[tuple[str, int, int, bool, str | None]]:
    return [(r.name, r.line, r.col, r.required, r.default) for r in reads]


def test_python_forms() -> None:
    text = (
        "import os\n"
        "from os import environ, getenv\n"
        'A = os.environ["DB_URL"]\n'
        "B = os.environ.get('REDIS_URL')\n"
        'C = os.getenv("PORT", "8080")\n'
        '# D = os.getenv("COMMENTED")\n'
        'os.environ["WRITTEN"] = "x"\n'
        'if os.environ["CMP"] == "1":\n'
        "    E = environ['PLAIN']; F = getenv(\"G\", fallback)\n"
    )
    assert _short(python_env_reads(text)) == [
        ("DB_URL", 3, 17, True, None),
        ("REDIS_URL", 4, 21, True, None),
        ("PORT", 5, 16, False, "8080"),
        ("CMP", 8, 16, True, None),
        ("PLAIN", 9, 18, True, None),
        ("G", 9, 39, False, None),
    ]


def test_python_without_reads_is_empty() -> None:
    assert python_env_reads("def f(a: int) -> int:\n    return a\n") == ()


def test_js_forms_and_destructuring() -> None:
    text = (
        "const a = process.env.API_KEY;\n"
        "const b = process.env['SECRET_X'] || 'dflt';\n"
        "// const c = process.env.COMMENTED;\n"
        'process.env.WRITE = "1";\n'
        'const { DB_HOST, DB_PORT: port, DB_NAME = "app",\n'
        "  DB_USER } = process.env;\n"
        'if (process.env.NODE_ENV === "production") {}\n'
        'const v = import.meta.env.VITE_URL ?? "";\n'
    )
    assert _short(js_env_reads(text)) == [
        ("API_KEY", 1, 23, True, None),
        ("SECRET_X", 2, 24, False, "dflt"),
        ("DB_HOST", 5, 9, True, None),
        ("DB_PORT", 5, 18, True, None),
        ("DB_NAME", 5, 33, False, "app"),
        ("DB_USER", 6, 3, True, None),
        ("NODE_ENV", 7, 17, True, None),
        ("VITE_URL", 8, 27, False, ""),
    ]


def test_go_forms() -> None:
    text = 'x := os.Getenv("GO_VAR")\nv, ok := os.LookupEnv(`GO_OTHER`)\n// os.Getenv("NO")\n'
    assert _short(go_env_reads(text)) == [
        ("GO_VAR", 1, 17, True, None),
        ("GO_OTHER", 2, 24, True, None),
    ]


def test_compose_interpolation() -> None:
    text = (
        "services:\n"
        "  web:\n"
        '    image: "app:${TAG:-latest}"\n'
        "    environment:\n"
        "      - DB=${DB_URL}\n"
        "      - X=${REQ:?need it}\n"
        "      - Y=$PLAIN_VAR and $${ESCAPED}\n"
        "    # - Z=${COMMENTED}\n"
    )
    assert _short(compose_env_reads(text)) == [
        ("TAG", 3, 19, False, "latest"),
        ("DB_URL", 5, 14, True, None),
        ("REQ", 6, 13, True, None),
        ("PLAIN_VAR", 7, 12, True, None),
    ]


def test_positions_follow_source_lines_with_crlf() -> None:
    src = SourceFile("a.py", "/x/a.py", ArtifactKind.PYTHON, 'x = 1\r\ny = os.getenv("Q")\r\n')
    (read,) = env_reads(src)
    assert src.line(read.line)[read.col - 1 : read.end_col - 1] == "Q"
    assert read.location("a.py") == Location("a.py", 2, 16, 2, 17)


def test_dispatch_by_kind() -> None:
    text = 'os.getenv("A")\nprocess.env.B\n'
    for kind, names in (
        (ArtifactKind.PYTHON, ["A"]),
        (ArtifactKind.TYPESCRIPT, ["B"]),
        (ArtifactKind.YAML, []),
    ):
        src = SourceFile("f", "/x/f", kind, text)
        assert [r.name for r in env_reads(src)] == names
