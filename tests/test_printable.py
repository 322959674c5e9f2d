"""Text from the repo is printed with its control characters escaped (linter/output/printable.py):
file names, snippets, messages, notifications, in the text and Markdown reports and the
checklist."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.config import Config
from linter.engine import ScanOptions, ScanResult, scan
from linter.model import Confidence, Finding, Location, Severity
from linter.output import render
from linter.output.printable import printable

EVIL_DIR = "a\nb"
EVIL_FILE = "p\x1b[31mod.yaml"
POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n"
    '  containers: [{name: a, image: "nginx:latest"}]\n'
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain/path.yaml", "plain/path.yaml"),
        ("a\nb", "a\\nb"),
        ("x\r\n", "x\\r\\n"),
        ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
        ("nul\x00", "nul\\0"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),
        ("tab\tstays", "tab\tstays"),
        ("unicode é ✓ stays", "unicode é ✓ stays"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_unchanged_text_is_the_same_object() -> None:
    text = "services/api/k8s/deploy.yaml"
    assert printable(text) is text


@pytest.fixture
def evil_repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / EVIL_DIR).mkdir()
    (tmp_path / EVIL_DIR / EVIL_FILE).write_text(POD)
    return tmp_path


def _scan(root: Path) -> ScanResult:
    return scan(ScanOptions(paths=[str(root)], base=str(root), select=["k8s-image-tag-mutable"]))


def test_text_report_escapes_a_file_name_with_a_newline_and_an_escape_sequence(
    evil_repo: Path,
) -> None:
    out = render("text", _scan(evil_repo))
    assert out.splitlines()[:4] == [
        "a\\nb/p\\x1b[31mod.yaml:5:33: k8s-image-tag-mutable [medium] Image `nginx:latest` of "
        "container `a` uses the mutable tag `latest`.",
        '  5 |   containers: [{name: a, image: "nginx:latest"}]',
        "    |                                 ^^^^^^^^^^^^^^",
        "  fix: Pin the image to an immutable version tag (`app:1.4.2`) or a digest "
        "(`app@sha256:…`).",
    ]
    assert "\x1b" not in out


def test_markdown_report_escapes_the_file_name(evil_repo: Path) -> None:
    out = render("markdown", _scan(evil_repo))
    assert "| medium | `k8s-image-tag-mutable` | `a\\nb/p\\x1b[31mod.yaml:5` | " in out
    assert "\x1b" not in out


def test_snippet_caret_stays_under_the_columns_after_a_control_character() -> None:
    line = "x = '\x1b[31m' + 'ghp_secret'"
    start = line.index("'ghp") + 1
    finding = Finding(
        "secret-hardcoded",
        "a token",
        Severity.HIGH,
        Confidence.HIGH,
        Location("app.py", 3, start, 3, start + len("'ghp_secret'")),
    )
    result = ScanResult([finding], [], [], {("app.py", 3): line}, "/r", "/r", Config())
    out = render("text", result).splitlines()
    assert out[1:3] == [
        "  3 | x = '\\x1b[31m' + 'ghp_secret'",
        "    |                  ^^^^^^^^^^^^",
    ]


def test_checklist_escapes_the_file_name_and_links_it_percent_encoded(
    evil_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linter.checklist.cli import run_checklist

    monkeypatch.chdir(evil_repo)
    text = run_checklist((".",), "text", None, None, None)
    assert "a\\nb/p\\x1b[31mod.yaml:5  k8s-image-tag-mutable" in text
    assert "\x1b" not in text
    md = run_checklist((".",), "markdown", None, None, "https://example.test/blob/x/")
    assert (
        "[`a\\nb/p\\x1b[31mod.yaml:5`](https://example.test/blob/x/a%0Ab/p%1B%5B31mod.yaml#L5)"
        in md
    )
    assert "\x1b" not in md


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Pod/<b>x</b> has `a => b`", "Pod/&lt;b&gt;x&lt;/b&gt; has `a => b`"),
        ("`<img src=x onerror=alert(1)>` & co", "`<img src=x onerror=alert(1)>` &amp; co"),
        ("a | b `c|d`", "a \\| b `c\\|d`"),
        ("odd ` <i>x</i>", "odd ` &lt;i&gt;x&lt;/i&gt;"),  # no code span is certain
        ("``<i>`x`</i>``", "``&lt;i&gt;`x`&lt;/i&gt;``"),  # a double run: the same
        ("two\nlines\r", "two lines "),
        ("esc \x1b[2J `\x1b`", "esc \\x1b[2J `\\x1b`"),
    ],
)
def test_markdown_text(text: str, shown: str) -> None:
    from linter.output.printable import markdown_text

    assert markdown_text(text) == shown


def test_markdown_reports_show_repo_html_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value quoted from the repo outside a code span (an object name) is escaped; in a code
    span (a container name) it stays as written, which GFM shows literally. In a PR comment or
    a job summary, neither renders."""
    from linter.checklist.cli import run_checklist

    (tmp_path / ".git").mkdir()
    (tmp_path / "pod.yaml").write_text(
        'apiVersion: v1\nkind: Pod\nmetadata: {name: "<b>x</b>"}\nspec:\n'
        '  containers: [{name: "<img src=x onerror=alert(1)>", image: "nginx:latest"}]\n'
    )
    monkeypatch.chdir(tmp_path)
    result = scan(ScanOptions(paths=["."], select=["k8s-missing-liveness-probe"]))
    rows = [line for line in render("markdown", result).splitlines() if line.startswith("| med")]
    assert rows == [
        "| medium | `k8s-missing-liveness-probe` | `pod.yaml:5` | Container "
        "`<img src=x onerror=alert(1)>` of Pod/&lt;b&gt;x&lt;/b&gt; has no liveness probe. |"
    ]
    md = run_checklist((".",), "markdown", None, None, None)
    assert "Container `<img src=x onerror=alert(1)>` of Pod/&lt;b&gt;x&lt;/b&gt; has no" in md
    assert "<b>" not in md.replace("`<img src=x onerror=alert(1)>`", "")


def test_clip_keeps_short_lines_and_cuts_long_ones_around_the_column() -> None:
    from linter.output.printable import SNIPPET_MAX, clip

    assert clip(None, 3) == (None, 0)
    assert clip("x" * SNIPPET_MAX, 400) == ("x" * SNIPPET_MAX, 0)
    line = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    head, removed = clip(line, 5)  # near the start: no cut before
    assert (head, removed) == (line[:SNIPPET_MAX] + "…", 0)
    mid, removed = clip(line, 5_000)
    assert mid == "…" + line[4_879 : 4_879 + SNIPPET_MAX] + "…"
    assert mid[5_000 - removed - 1] == line[4_999]  # the column, shifted by what was cut
    tail, removed = clip(line, 9_990)  # near the end: the last SNIPPET_MAX characters
    assert tail == "…" + line[-SNIPPET_MAX:]
    assert tail[9_990 - removed - 1] == line[9_989]
