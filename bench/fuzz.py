"""``make fuzz``: coverage-guided fuzzing of the YAML, Dockerfile and env front ends with atheris.

    python bench/fuzz.py yaml|dockerfile|env|suppress [-max_total_time=120] [libFuzzer flags]

A crash (any exception but the front end's own ParseError) is written by libFuzzer to
``tests/fixtures/fuzz/<target>/`` (``-artifact_prefix``), where ``tests/test_fuzz.py`` replays it
forever after. Without atheris (``pip install atheris``), this prints how to get it and exits 2;
the hypothesis property tests in ``tests/test_fuzz.py`` cover the same front ends in ``make test``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRASHES = ROOT / "tests" / "fixtures" / "fuzz"


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def fuzz_yaml(data: bytes) -> None:
    from linter.model import ArtifactKind
    from linter.parsers.yaml import ParseError, parse_yaml
    from linter.source import SourceFile

    for path in ("f.yaml", "f.json"):
        with contextlib.suppress(ParseError):
            parse_yaml(SourceFile(path, "/" + path, ArtifactKind.YAML, _text(data)))


def fuzz_dockerfile(data: bytes) -> None:
    from linter.model import ArtifactKind
    from linter.parsers.dockerfile import parse_dockerfile
    from linter.parsers.yaml import ParseError
    from linter.source import SourceFile

    try:
        art = parse_dockerfile(SourceFile("Dockerfile", "/D", ArtifactKind.DOCKERFILE, _text(data)))
    except ParseError:
        return
    for ins in art.instructions:
        art.loc(ins)


def fuzz_env(data: bytes) -> None:
    from linter.model import ArtifactKind
    from linter.parsers.envfile import parse_env
    from linter.source import SourceFile

    env = parse_env(SourceFile(".env", "/.env", ArtifactKind.ENV_FILE, _text(data)))
    for e in env.entries:
        env.name_loc(e)
        env.value_loc(e)


#: the fuzzer cannot find ``prodready:`` by itself (a substring test is not a comparison it
#: traces): the input also follows the start of each kind of directive
_DIRECTIVE_STARTS = ("", "# prodready: ignore[", "// prodready:", "<!-- prodready: ignore[a-b]")


def fuzz_suppress(data: bytes) -> None:
    from linter.model import ArtifactKind, Location
    from linter.source import SourceFile
    from linter.suppress import parse_annotation, parse_directives

    text = _text(data)
    for start in _DIRECTIVE_STARTS:
        parse_directives(SourceFile("a.py", "/a.py", ArtifactKind.PYTHON, start + text))
    parse_annotation(text, Location("a.yaml", 1, 1, 1, 2), 1, 2)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "yaml": fuzz_yaml,
    "dockerfile": fuzz_dockerfile,
    "env": fuzz_env,
    "suppress": fuzz_suppress,
}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in TARGETS:
        print(f"usage: {argv[0]} {'|'.join(TARGETS)} [libFuzzer flags]", file=sys.stderr)
        return 2
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        print(
            "atheris is not installed: `pip install atheris` (a binary wheel exists for CPython "
            "3.11 on x86-64 Linux). The hypothesis tests in tests/test_fuzz.py fuzz the same "
            "front ends in `make test`.",
            file=sys.stderr,
        )
        return 2
    name = argv[1]
    target = TARGETS[name]
    out = CRASHES / name
    out.mkdir(parents=True, exist_ok=True)
    flags = [a for a in argv[2:]]
    if not any(a.startswith("-artifact_prefix=") for a in flags):
        flags.append(f"-artifact_prefix={out}{os.sep}")
    with atheris.instrument_imports():
        import linter.parsers.dockerfile
        import linter.parsers.envfile
        import linter.parsers.fastyaml
        import linter.parsers.yaml
        import linter.suppress  # noqa: F401
    atheris.Setup([argv[0], *flags], target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv))
