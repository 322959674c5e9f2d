"""Code security: disabled TLS verification, SQL built from strings, unsafe HTML."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.code.index import target_files
from linter.code.model import CodeFile, Value
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Finding, Location
from linter.model import Severity as S
from linter.policy import CheckContext, policy

CODE = frozenset(
    {ArtifactKind.PYTHON, ArtifactKind.JAVASCRIPT, ArtifactKind.TYPESCRIPT, ArtifactKind.GO}
)
JS = ("javascript", "typescript")


def _is_off(v: Value) -> bool:
    return v.is_false or (v.kind in ("num", "str") and v.text.strip() == "0")


def _tls_hits(f: CodeFile) -> Iterator[tuple[Location, str]]:
    seen: set[Location] = set()

    def once(loc: Location, what: str) -> Iterator[tuple[Location, str]]:
        if loc not in seen:
            seen.add(loc)
            yield loc, what

    values: list[Value] = [v for c in f.calls for v in c.all_values()]
    values += [a.value for a in f.assigns]
    for top in values:
        for key, v in top.props():
            if f.lang in JS and key == "rejectUnauthorized" and v.is_false:
                yield from once(v.loc, "`rejectUnauthorized: false`")
            if f.lang == "go" and key == "InsecureSkipVerify" and v.is_true:
                yield from once(v.loc, "`InsecureSkipVerify: true`")
    for c in f.calls:
        if f.lang == "go":
            skip = c.kw("InsecureSkipVerify")
            if skip is not None and skip.is_true:
                yield from once(skip.loc, "`InsecureSkipVerify: true`")
        if f.lang == "python":
            verify = c.kw("verify")
            if verify is not None and verify.is_false:
                yield from once(verify.loc, f"`verify=False` in `{c.callee}()`")
            ssl_kw = c.kw("ssl")
            if (
                ssl_kw is not None
                and ssl_kw.is_false
                and c.method in ("request", "get", "post", "connect")
            ):
                yield from once(ssl_kw.loc, f"`ssl=False` in `{c.callee}()`")
            reqs = c.kw("cert_reqs")
            if reqs is not None and "CERT_NONE" in reqs.text:
                yield from once(reqs.loc, "`cert_reqs=CERT_NONE`")
            if c.callee.endswith("_create_unverified_context"):
                yield from once(c.loc, "`ssl._create_unverified_context()`")
        # os.environ / process.env setter calls
        if (
            c.method in ("setdefault", "Setenv", "putenv")
            and len(c.args) >= 2
            and c.args[0].text == "NODE_TLS_REJECT_UNAUTHORIZED"
            and _is_off(c.args[1])
        ):
            yield from once(c.args[1].loc, "`NODE_TLS_REJECT_UNAUTHORIZED=0`")
    for a in f.assigns:
        t = a.target.replace('"', "'")
        v = a.value
        if "NODE_TLS_REJECT_UNAUTHORIZED" in t and _is_off(v):
            yield from once(v.loc, "`NODE_TLS_REJECT_UNAUTHORIZED=0`")
        elif t.endswith(("rejectUnauthorized",)) and v.is_false:
            yield from once(v.loc, "`rejectUnauthorized = false`")
        elif t.endswith("InsecureSkipVerify") and v.is_true:
            yield from once(v.loc, "`InsecureSkipVerify = true`")
        elif f.lang == "python" and t.endswith(".check_hostname") and v.is_false:
            yield from once(v.loc, "`check_hostname = False`")
        elif f.lang == "python" and t.endswith(".verify_mode") and "CERT_NONE" in v.text:
            yield from once(v.loc, "`verify_mode = CERT_NONE`")
        elif f.lang == "python" and t.endswith(".verify") and v.is_false:
            yield from once(v.loc, "`session.verify = False`")


@policy(
    id="code-tls-verify-disabled",
    kinds=CODE,
    severity=S.HIGH,
    summary="TLS certificate verification is disabled",
    fix="Remove the override and trust the right CA instead (`ca:` option, `REQUESTS_CA_BUNDLE`, "
    "`tls.Config{RootCAs: pool}`).",
    tags=("security",),
    cwe=(295,),
    section="Security",
    scope="repo",
)
def tls_verify_disabled(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports code that turns off certificate verification: `rejectUnauthorized: false` and
    `NODE_TLS_REJECT_UNAUTHORIZED = '0'` (JavaScript/TypeScript), `verify=False` in any call,
    `session.verify = False`, `ssl=False`, `cert_reqs=CERT_NONE`, `verify_mode = CERT_NONE`,
    `check_hostname = False`, `ssl._create_unverified_context()` (Python), and
    `InsecureSkipVerify: true` (Go). Python's `verify=False` is reported here rather than by
    bandit's B501, so one mistake gives one finding.

    ## Why is this bad
    Without verification anybody on the network path can impersonate the server and read or
    change the traffic — credentials, tokens and payment data included.

    ## Example
    ```js
    const agent = new https.Agent({ rejectUnauthorized: false });   // fails
    ```
    ```python
    requests.get(url, verify=False)   # fails
    ```
    """
    for f in target_files(index):
        yield from _tls_verify_disabled_in(ctx, f)


def _tls_verify_disabled_in(ctx: CheckContext, f: CodeFile) -> Iterator[Finding]:
    for loc, what in _tls_hits(f):
        yield ctx.finding(loc, f"TLS certificate verification is disabled: {what}.")


_SQL = lazy(
    r"\b(select\s[\s\S]*\bfrom|insert\s+into|update\s+[\w.\"`\[\]]+\s+set|delete\s+from)\b", re.I
)
SQL_METHODS = frozenset(
    {
        "query",
        "execute",
        "exec",
        "raw",
        "$queryRawUnsafe",
        "$executeRawUnsafe",
        "queryRawUnsafe",
        "executeRawUnsafe",
        "run",
        "all",
        "prepare",
        "Query",
        "QueryRow",
        "QueryContext",
        "QueryRowContext",
        "Exec",
        "ExecContext",
        "Prepare",
        "PrepareContext",
        "Raw",
        "Select",
        "Get",
    }
)


def _built_sql(v: Value) -> bool:
    """A SQL statement assembled from strings and values (not a parameterised literal)."""
    if v.kind in ("template", "concat"):
        return bool(v.refs) and _SQL.search(" ".join(v.parts)) is not None
    if v.kind == "call" and v.callee in ("fmt.Sprintf", "util.format", "format") and v.args:
        first = v.args[0]
        return first.kind == "str" and _SQL.search(first.text) is not None and len(v.args) > 1
    return False


@policy(
    id="code-sql-string-concat",
    kinds={ArtifactKind.JAVASCRIPT, ArtifactKind.TYPESCRIPT, ArtifactKind.GO},
    severity=S.HIGH,
    summary="SQL statement built by string concatenation or interpolation",
    fix="Use placeholders and pass values separately: `db.query('SELECT … WHERE id = $1', [id])`, "
    '`db.Query("SELECT … WHERE id = ?", id)`.',
    tags=("security",),
    cwe=(89,),
    section="Security",
    scope="repo",
)
def sql_string_concat(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports a query call (`query`, `execute`, `raw`, `$queryRawUnsafe`, Go `Query`/`Exec`/
    `QueryRow` …) whose SQL argument — or the variable it passes, when assigned in the same
    file — is a template literal with `${…}`, a `+` concatenation or a `fmt.Sprintf` that mixes
    SQL text with values. Python is covered by the bandit adapter (`py-sql-injection`, B608).

    ## Why is this bad
    A value spliced into SQL text is SQL: a quote in the input changes the statement, and an
    attacker reads or destroys data (SQL injection).

    ## Example
    ```js
    db.query(`SELECT * FROM users WHERE id = ${req.params.id}`);   // fails
    db.query('SELECT * FROM users WHERE id = $1', [req.params.id]); // passes
    ```
    """
    for f in target_files(index):
        yield from _sql_string_concat_in(ctx, f)


def _sql_string_concat_in(ctx: CheckContext, f: CodeFile) -> Iterator[Finding]:
    built = {a.target: a.value for a in f.assigns if _built_sql(a.value)}
    for c in f.calls:
        if c.method not in SQL_METHODS or not c.args:
            continue
        v = c.args[0]
        if _built_sql(v):
            yield ctx.finding(
                v.loc, f"SQL passed to `{c.callee}()` is built from strings and values."
            )
        elif v.kind == "name" and v.text in built:
            b = built[v.text]
            yield ctx.finding(
                b.loc,
                f"SQL in `{v.text}` is built from strings and values, then run by `{c.callee}()`.",
                related=[v.loc],
            )


_SANITIZED = lazy(r"sanitiz|purify|escape|encode|xss|textContent", re.I)
HTML_SINKS = ("innerHTML", "outerHTML")


def _dynamic(v: Value) -> bool:
    if v.kind in ("str", "num", "bool", "null"):
        return False
    if v.kind == "call" and _SANITIZED.search(v.callee):
        return False
    return not (v.kind == "obj" and not any(x.kind not in ("str",) for _, x in v.items))


@policy(
    id="code-unsafe-html",
    kinds={ArtifactKind.JAVASCRIPT, ArtifactKind.TYPESCRIPT, ArtifactKind.GO},
    severity=S.MEDIUM,
    summary="Dynamic HTML written without escaping (XSS)",
    fix="Render text (`textContent`, JSX children, html/template), or sanitize with DOMPurify "
    "before inserting HTML.",
    tags=("security",),
    cwe=(79,),
    section="Security",
    scope="repo",
)
def unsafe_html(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports HTML sinks fed with non-constant values: `el.innerHTML = …`/`outerHTML`,
    `dangerouslySetInnerHTML={{ __html: … }}`, `document.write(…)`, `insertAdjacentHTML(…)`
    (JavaScript/TypeScript), and Go's `template.HTML(…)` of a non-constant string. Values passed
    through a sanitizer (`DOMPurify.sanitize`, `escape…`) pass. Python templates are covered
    by the bandit adapter (`py-xss`).

    ## Why is this bad
    A value inserted as HTML can contain `<script>` or event-handler attributes: cross-site
    scripting runs an attacker's code in the user's session.

    ## Example
    ```jsx
    <div dangerouslySetInnerHTML={{ __html: comment.body }} />   // fails
    <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(comment.body) }} />  // passes
    ```
    """
    for f in target_files(index):
        yield from _unsafe_html_in(ctx, f)


def _unsafe_html_in(ctx: CheckContext, f: CodeFile) -> Iterator[Finding]:
    for a in f.assigns:
        if a.target.endswith(HTML_SINKS) and _dynamic(a.value):
            yield ctx.finding(a.loc, f"`{a.target}` is assigned a dynamic value without escaping.")
        elif a.target == "dangerouslySetInnerHTML":
            inner = a.value.get("__html")
            if inner is not None and _dynamic(inner):
                yield ctx.finding(
                    a.loc, "`dangerouslySetInnerHTML` renders a dynamic value as raw HTML."
                )
    for c in f.calls:
        if f.lang in JS and c.callee in ("document.write", "document.writeln") and c.args:
            if _dynamic(c.args[0]):
                yield ctx.finding(c.loc, f"`{c.callee}()` writes a dynamic value as HTML.")
        elif f.lang in JS and c.method == "insertAdjacentHTML" and len(c.args) >= 2:
            if _dynamic(c.args[1]):
                yield ctx.finding(c.loc, "`insertAdjacentHTML()` inserts a dynamic value as HTML.")
        elif f.lang == "go" and c.callee == "template.HTML" and c.args and _dynamic(c.args[0]):
            yield ctx.finding(
                c.loc, "`template.HTML()` marks a dynamic value as safe HTML (no escaping)."
            )
