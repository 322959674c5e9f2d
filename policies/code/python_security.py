"""Python security findings from bandit (run in-process, see ``linter/code/bandit_run.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from linter.code.bandit_run import RULE_BY_ID, bandit_issues
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Severity
from linter.policy import CheckContext, Policy, policy

_QUOTED = lazy(r"'(.*)'$")
_CONF = {"LOW": Confidence.LOW, "MEDIUM": Confidence.MEDIUM, "HIGH": Confidence.HIGH}
PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})


def _check(rule_id: str) -> Callable[[CheckContext, RepoIndex], Iterable[Finding]]:
    tests = frozenset(RULE_BY_ID[rule_id].tests)

    def check(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
        seen: set[tuple[str, int, int]] = set()
        for issue in bandit_issues(index):
            where = (issue.location.path, issue.location.start_line, issue.location.start_col)
            if issue.test_id not in tests or where in seen:
                continue
            seen.add(where)
            text = issue.text.rstrip(".")
            redact: tuple[str, ...] = ()
            if issue.test_id in PASSWORD_TESTS:
                m = _QUOTED.search(text)
                redact = (m.group(1),) if m and m.group(1) else ()
                text = "Possible hardcoded password"
            yield ctx.finding(
                issue.location,
                f"{text} (bandit {issue.test_id}).",
                confidence=_CONF.get(issue.confidence.upper(), Confidence.MEDIUM),
                redact=redact,
                properties={
                    "bandit_test_id": issue.test_id,
                    "bandit_severity": issue.severity.lower(),
                    "bandit_confidence": issue.confidence.lower(),
                },
            )

    return check


def _bandit_policy(
    rule_id: str,
    *,
    severity: Severity,
    summary: str,
    fix: str,
    cwe: int,
    doc: str,
    tags: tuple[str, ...] = ("security",),
) -> Policy:
    fn = _check(rule_id)
    tests = ", ".join(RULE_BY_ID[rule_id].tests)
    fn.__doc__ = (
        doc
        + f"\n\n## Where it comes from\nbandit test(s) {tests}, run in-process on the Python files"
        " that contain a literal those tests need; the bandit test id is in the finding's "
        "`properties.bandit_test_id`. `# nosec` comments are honoured."
    )
    return policy(
        id=rule_id,
        kinds={ArtifactKind.PYTHON},
        severity=severity,
        summary=summary,
        fix=fix,
        tags=tags,
        cwe=(cwe,),
        section="Security",
        scope="repo",
    )(fn)


py_sql_injection = _bandit_policy(
    "py-sql-injection",
    severity=Severity.HIGH,
    summary="SQL built from strings in Python (bandit B608/B610/B611)",
    fix='Use parameters: `cur.execute("SELECT … WHERE id = %s", (uid,))`, or the ORM.',
    cwe=89,
    doc="""## What it does
Reports SQL statements assembled with `%`, `+`, `.format()` or f-strings and Django's
`extra()`/`RawSQL` with interpolated values.

## Why is this bad
A value spliced into SQL text can change the statement: SQL injection.

## Example
```python
cur.execute("SELECT * FROM users WHERE id = '%s'" % uid)   # fails
cur.execute("SELECT * FROM users WHERE id = %s", (uid,))   # passes
```""",
)

py_hardcoded_password = _bandit_policy(
    "py-hardcoded-password",
    severity=Severity.HIGH,
    summary="Hardcoded password in Python (bandit B105/B106/B107)",
    fix="Read the value from the environment or a secret store.",
    cwe=259,
    doc="""## What it does
Reports string literals assigned to, passed as, or defaulted for names that look like
passwords, tokens or secrets. The literal never appears in the output.

## Why is this bad
A credential in source is in every clone, fork, CI log and image layer, and cannot be rotated
without a release.

## Example
```python
DB_PASSWORD = "hunter2"                  # fails
DB_PASSWORD = os.environ["DB_PASSWORD"]  # passes
```""",
)

py_flask_debug = _bandit_policy(
    "py-flask-debug",
    severity=Severity.HIGH,
    summary="Flask app run with debug=True (bandit B201)",
    fix="Never enable debug in deployed code; read it from configuration that defaults to off.",
    cwe=94,
    doc="""## What it does
Reports `app.run(debug=True)` in a module that imports Flask.

## Why is this bad
The Werkzeug debugger lets anyone who can reach an error page run Python code on the server.

## Example
```python
app.run(debug=True)   # fails
```""",
)

py_shell_injection = _bandit_policy(
    "py-shell-injection",
    severity=Severity.HIGH,
    summary="Command run through a shell (bandit B602/B604/B605/B609)",
    fix="Pass an argument list without a shell: `subprocess.run(['convert', path], check=True)`.",
    cwe=78,
    doc="""## What it does
Reports `subprocess` calls with `shell=True`, `os.system`/`os.popen` and similar calls that
start a shell, and wildcard injection in shell commands.

## Why is this bad
Any value that reaches the command line can add commands of its own (`; rm -rf /`).

## Example
```python
subprocess.call(f"convert {path}", shell=True)   # fails
subprocess.run(["convert", path], check=True)     # passes
```""",
)

py_code_exec = _bandit_policy(
    "py-code-exec",
    severity=Severity.HIGH,
    summary="eval/exec of dynamic code (bandit B102/B307)",
    fix="Parse data with `ast.literal_eval`/`json.loads`; never evaluate input as code.",
    cwe=95,
    doc="""## What it does
Reports calls to `exec()` and `eval()`.

## Why is this bad
Evaluated input runs with the service's privileges: remote code execution.

## Example
```python
value = eval(request.args["expr"])   # fails
```""",
)

py_unsafe_deserialization = _bandit_policy(
    "py-unsafe-deserialization",
    severity=Severity.HIGH,
    summary="Unsafe deserialization: pickle, marshal, yaml.load (bandit B301/B302/B506/B614)",
    fix="Use JSON, or `yaml.safe_load`; never unpickle data from outside the process.",
    cwe=502,
    doc="""## What it does
Reports `pickle`/`marshal` loads, `yaml.load` without a safe loader and `torch.load`.

## Why is this bad
Unpickling (or full YAML loading) constructs arbitrary objects: a crafted payload runs code.

## Example
```python
data = pickle.loads(request.data)   # fails
data = json.loads(request.data)     # passes
```""",
)

py_weak_hash = _bandit_policy(
    "py-weak-hash",
    severity=Severity.MEDIUM,
    summary="MD5/SHA-1 used for security (bandit B303/B324)",
    fix="Use SHA-256 or better; pass `usedforsecurity=False` where it is not security-relevant.",
    cwe=327,
    doc="""## What it does
Reports MD5, MD4 and SHA-1 hashes (hashlib, cryptography) not marked
`usedforsecurity=False`.

## Why is this bad
Collisions for these hashes are practical: signatures, tokens or integrity checks built on
them can be forged.

## Example
```python
hashlib.md5(token).hexdigest()   # fails
```""",
)

py_tls_weak_protocol = _bandit_policy(
    "py-tls-weak-protocol",
    severity=Severity.MEDIUM,
    summary="SSL/TLS with an insecure protocol version (bandit B502/B503/B504)",
    fix="Use `ssl.create_default_context()` (TLS 1.2+), never SSLv2/3 or TLS 1.0/1.1.",
    cwe=327,
    doc="""## What it does
Reports `ssl.wrap_socket`/`SSLContext` and pyOpenSSL uses with SSLv2/SSLv3/TLSv1/TLSv1.1, with
bad defaults, or with no version. Disabled certificate verification is reported by
`code-tls-verify-disabled` instead.

## Why is this bad
Old protocol versions have practical attacks (POODLE, BEAST): traffic can be decrypted.

## Example
```python
ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_SSLv3)   # fails
```""",
)

py_xss = _bandit_policy(
    "py-xss",
    severity=Severity.MEDIUM,
    summary="Template escaping disabled or bypassed (bandit B308/B701/B702/B703/B704)",
    fix="Keep autoescape on (`select_autoescape()`), and never mark untrusted text safe.",
    cwe=79,
    doc="""## What it does
Reports Jinja2 environments with `autoescape=False`, Mako templates, Django `mark_safe` /
`SafeString` and `markupsafe.Markup` over non-constant values.

## Why is this bad
Unescaped user input in HTML is cross-site scripting.

## Example
```python
env = jinja2.Environment(autoescape=False)   # fails
```""",
)

py_request_without_timeout = _bandit_policy(
    "py-request-without-timeout",
    severity=Severity.MEDIUM,
    summary="HTTP request without a timeout (bandit B113)",
    fix="Always pass `timeout=` (e.g. `requests.get(url, timeout=5)`).",
    cwe=400,
    tags=("security", "reliability"),
    doc="""## What it does
Reports `requests`/`httpx` calls made without a `timeout`.

## Why is this bad
`requests` waits forever by default: one slow upstream hangs worker threads until the
service stops answering its own health checks.

## Example
```python
requests.get(url)              # fails
requests.get(url, timeout=5)   # passes
```""",
)
