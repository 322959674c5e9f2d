"""Views of a checklist :class:`Report`: text, Markdown (``$GITHUB_STEP_SUMMARY``, PR comments),
one self-contained HTML page (no network assets, no scripts) and JSON."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from linter.checklist.evaluate import STATUS_ORDER, ItemResult, Report, Status
from linter.jsonout import dumps_pretty
from linter.model import Finding
from linter.output.printable import markdown_text, printable

FORMATS = ("text", "markdown", "html", "json")
#: findings listed per item in Markdown/HTML before "… and N more"
MAX_LISTED = 20
ICONS = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.PARTIAL: "🔎",
    Status.NOT_APPLICABLE: "➖",
    Status.MANUAL: "✋",
}


def _where(f: Finding) -> str:
    return f"{f.location.path}:{f.location.start_line}"


def _counts_text(report_counts: Any, icons: bool = False) -> str:
    parts = []
    for s in STATUS_ORDER:
        if report_counts[s]:
            parts.append(f"{ICONS[s] + ' ' if icons else ''}{report_counts[s]} {s.label}")
    return " · ".join(parts)


def _rules_note(r: ItemResult) -> str:
    notes = []
    if r.unknown and r.status is not Status.MANUAL:
        notes.append(f"not installed: {', '.join(r.unknown)}")
    if r.disabled and r.status is not Status.MANUAL:
        notes.append(f"disabled: {', '.join(r.disabled)}")
    if r.suppressed:
        notes.append(f"{r.suppressed} suppressed")
    return f" ({'; '.join(notes)})" if notes else ""


# -- text ------------------------------------------------------------------------------------
def render_text(report: Report) -> str:
    out = [
        f"{report.title}: {report.root}",
        f"Overall {report.score.label} of decided items pass · {_counts_text(report.counts)}",
        "",
    ]
    for sec in report.sections:
        out.append(f"{sec.title} — {sec.score.label}")
        for r in sec.items:
            out.append(f"  {r.status.label.upper():15} {r.item.title}")
            out.append(f"  {'':15} {printable(r.reason)}{_rules_note(r)}")
            for f in r.findings:
                out.append(
                    f"  {'':15}   {printable(_where(f))}  {f.rule_id}  {printable(f.message)}"
                )
        out.append("")
    return "\n".join(out)


# -- markdown --------------------------------------------------------------------------------
def _md(text: str) -> str:
    return markdown_text(text)


def _md_loc(f: Finding, link_base: str | None) -> str:
    where = markdown_text(printable(f"`{_where(f)}`"))  # (a newline in the path: shown as \\n)
    if link_base is None:
        return where
    # the path in the URL percent-encoded: a space or a parenthesis would end the link
    return f"[{where}]({link_base}{quote(f.location.path)}#L{f.location.start_line})"


def _md_evidence(r: ItemResult, link_base: str | None) -> str:
    text = _md(r.reason + _rules_note(r))
    lines = [
        f"{_md_loc(f, link_base)} `{f.rule_id}` {_md(f.message)}" for f in r.findings[:MAX_LISTED]
    ]
    if len(r.findings) > MAX_LISTED:
        lines.append(f"… and {len(r.findings) - MAX_LISTED} more")
    return "<br>".join([text, *lines])


def render_markdown(report: Report, link_base: str | None = None) -> str:
    out = [
        f"## {_md(report.title)}",
        "",
        f"**{_md(report.root)}**: {report.score.label} of decided items pass — "
        f"{_counts_text(report.counts, icons=True)}",
        "",
        "| section | score | " + " | ".join(s.label for s in STATUS_ORDER) + " |",
        "|---|---|" + "---|" * len(STATUS_ORDER),
    ]
    for sec in report.sections:
        counts = sec.counts
        out.append(
            f"| [{_md(sec.title)}](#{sec.id}) | {sec.score.label} | "
            + " | ".join(str(counts[s]) for s in STATUS_ORDER)
            + " |"
        )
    for sec in report.sections:
        out += [
            "",
            f'<a id="{sec.id}"></a>',
            "",
            f"### {_md(sec.title)} — {sec.score.label}",
            "",
            "| status | item | evidence |",
            "|---|---|---|",
        ]
        for r in sec.items:
            out.append(
                f"| {ICONS[r.status]} {r.status.label} | {_md(r.item.title)} | "
                f"{_md_evidence(r, link_base)} |"
            )
    out += [
        "",
        f"<sub>Checklist: {_md(report.source)} · {report.files_scanned} files scanned · "
        "score = pass / (pass + fail)</sub>",
    ]
    return "\n".join(out) + "\n"


# -- html ------------------------------------------------------------------------------------
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.status{white-space:nowrap;font-weight:600;border-radius:1em;padding:.05rem .6rem;
display:inline-block}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}
.partial{background:#fff8c5;color:#7d4e00}.not-applicable{background:#eaeef2;color:#57606a}
.manual{background:#ddf4ff;color:#0550ae}ul.findings{margin:.3rem 0;padding-left:1.2rem}
.meta{color:#57606a}
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_loc(f: Finding, link_base: str | None) -> str:
    where = f"<code>{_h(printable(_where(f)))}</code>"
    if link_base is None:
        return where
    href = f"{link_base}{quote(f.location.path)}#L{f.location.start_line}"
    return f'<a href="{_h(href)}">{where}</a>'


def _badge(status: Status) -> str:
    return f'<span class="status {status.value}">{_h(status.label)}</span>'


def render_html(report: Report, link_base: str | None = None) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(report.title)}: {_h(report.root)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(report.title)}</h1>",
        f'<p class="meta">{_h(report.root)} · {report.files_scanned} files scanned · '
        f"checklist: {_h(report.source)}</p>",
        f'<p id="overall"><strong>Overall: {_h(report.score.label)}</strong> of decided items '
        f"pass — {_h(_counts_text(report.counts))}</p>",
        '<table id="summary"><thead><tr><th>section</th><th>score</th>'
        + "".join(f"<th>{_h(s.label)}</th>" for s in STATUS_ORDER)
        + "</tr></thead><tbody>",
    ]
    for sec in report.sections:
        counts = sec.counts
        out.append(
            f'<tr><td><a href="#{_h(sec.id)}">{_h(sec.title)}</a></td>'
            f"<td>{_h(sec.score.label)}</td>"
            + "".join(f"<td>{counts[s]}</td>" for s in STATUS_ORDER)
            + "</tr>"
        )
    out.append("</tbody></table>")
    for sec in report.sections:
        out += [
            f'<section id="{_h(sec.id)}">',
            f"<h2>{_h(sec.title)} — {_h(sec.score.label)}</h2>",
            "<table><thead><tr><th>status</th><th>item</th><th>evidence</th></tr></thead><tbody>",
        ]
        for r in sec.items:
            ev = _h(r.reason + _rules_note(r))
            if r.findings:
                lis = [
                    f"<li>{_html_loc(f, link_base)} <code>{_h(f.rule_id)}</code> "
                    f"{_h(f.message)}</li>"
                    for f in r.findings[:MAX_LISTED]
                ]
                if len(r.findings) > MAX_LISTED:
                    lis.append(f"<li>… and {len(r.findings) - MAX_LISTED} more</li>")
                ev += '<ul class="findings">' + "".join(lis) + "</ul>"
            out.append(
                f'<tr id="{_h(sec.id)}--{_h(r.item.id)}" data-status="{r.status.value}">'
                f"<td>{_badge(r.status)}</td><td>{_h(r.item.title)}</td><td>{ev}</td></tr>"
            )
        out += ["</tbody></table>", "</section>"]
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# -- json ------------------------------------------------------------------------------------
def _score_json(score: Any) -> dict[str, Any]:
    return {"passed": score.passed, "failed": score.failed, "percent": score.percent}


def report_json(report: Report) -> dict[str, Any]:
    return {
        "title": report.title,
        "checklist": report.source,
        "root": report.root,
        "files_scanned": report.files_scanned,
        "score": _score_json(report.score),
        "counts": {s.value: report.counts[s] for s in STATUS_ORDER},
        "sections": [
            {
                "id": sec.id,
                "title": sec.title,
                "score": _score_json(sec.score),
                "items": [
                    {
                        "id": r.item.id,
                        "title": r.item.title,
                        "kind": r.item.kind,
                        "rules": list(r.item.rules),
                        "status": r.status.value,
                        "reason": r.reason,
                        "checked": list(r.checked),
                        "not_installed": list(r.unknown),
                        "disabled": list(r.disabled),
                        "suppressed": r.suppressed,
                        "findings": [
                            {
                                "rule": f.rule_id,
                                "path": f.location.path,
                                "line": f.location.start_line,
                                "column": f.location.start_col,
                                "severity": f.severity.label,
                                "message": f.message,
                            }
                            for f in r.findings
                        ],
                    }
                    for r in sec.items
                ],
            }
            for sec in report.sections
        ],
    }


def render(fmt: str, report: Report, link_base: str | None = None) -> str:
    if fmt == "text":
        return render_text(report)
    if fmt == "markdown":
        return render_markdown(report, link_base)
    if fmt == "html":
        return render_html(report, link_base)
    if fmt == "json":
        return dumps_pretty(report_json(report))
    raise ValueError(f"unknown checklist format {fmt}")
