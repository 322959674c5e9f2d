"""The secret detector shared by every secrets policy.

One pass per file, memoised on the repo index, so the five secret rules read each file's text once:

1. file prefilter: a handful of lowercase needles (`secret`, `token`, `sk_live_`, `-----begin` …);
   a file with none of them (most code) costs one ``lower()`` and a few substring searches;
2. line prefilter: only lines holding a needle reach the regular expressions;
3. provider patterns with their real shapes, generic ``name = "value"`` assignments scored by
   entropy and shape, connection-string passwords, default credentials, private-key blocks and
   service-account JSON.

Candidates carry the literal value so that policies can pass it to ``redact=``; nothing here
formats a message. Option-dependent filtering (extra placeholders) is left to the policies.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import cached_property
from itertools import accumulate
from typing import TYPE_CHECKING

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.literals import Literals
from linter.model import ENV_READ_KINDS, ArtifactKind, Confidence
from linter.source import SourceFile

if TYPE_CHECKING:
    from linter.index import RepoIndex

K = ArtifactKind

HARDCODED = "hardcoded"
PRIVATE_KEY = "private-key"
SERVICE_ACCOUNT = "service-account"
CONNECTION_STRING = "connection-string"
DEFAULT_CREDENTIAL = "default-credential"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A literal that looks like a secret, at its columns on a line."""

    category: str  # one of the constants above
    label: str  # what it is: "Stripe live secret key", "password", ...
    value: str  # the literal secret (for redact=); never printed
    line: int  # 1-based
    col: int  # 1-based start of the finding (the value, or the key holding it)
    end_col: int  # exclusive
    name: str = ""  # the variable/key it is assigned to, when there is one
    generic: bool = False  # scored by entropy/shape rather than a provider's fixed shape
    confidence: Confidence = Confidence.HIGH
    extra_redact: tuple[str, ...] = ()  # more literals to mask (e.g. private-key body lines)

    @property
    def redact(self) -> tuple[str, ...]:
        return (self.value, *self.extra_redact)


# -- provider patterns ----------------------------------------------------------------------
@dataclass(frozen=True)
class Provider:
    """A provider's secret format: needles that gate a line, then its regex."""

    label: str
    needles: tuple[str, ...]  # lowercase substrings one of which the line must hold
    rx: str  # group "v" is the secret

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Compiled when a line first holds one of its needles (most runs need few of them)."""
        return re.compile(self.rx)


def _p(label: str, needles: tuple[str, ...], rx: str) -> Provider:
    return Provider(label, needles, rx)


PROVIDERS: tuple[Provider, ...] = (
    _p(
        "AWS access key id",
        ("akia", "asia", "abia", "acca"),
        r"(?<![A-Za-z0-9])(?P<v>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])",
    ),
    _p("Google API key", ("aiza",), r"(?<![\w-])(?P<v>AIza[0-9A-Za-z_\-]{35})(?![\w-])"),
    _p(
        "Stripe live secret key",
        ("_live_",),
        r"(?<![A-Za-z0-9_])(?P<v>(?:sk|rk)_live_[0-9A-Za-z]{24,247})(?![A-Za-z0-9_])",
    ),
    _p(
        "Stripe webhook signing secret",
        ("whsec_",),
        r"(?<![A-Za-z0-9_])(?P<v>whsec_[0-9A-Za-z+/=]{32,})(?![A-Za-z0-9_])",
    ),
    _p(
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        r"(?<![A-Za-z0-9_])(?P<v>gh[pousr]_[0-9A-Za-z]{36})(?![A-Za-z0-9_])",
    ),
    _p(
        "GitHub fine-grained token",
        ("github_pat_",),
        r"(?<![A-Za-z0-9_])(?P<v>github_pat_[0-9A-Za-z_]{82})(?![A-Za-z0-9_])",
    ),
    _p("GitLab token", ("glpat-",), r"(?<![\w-])(?P<v>glpat-[0-9A-Za-z_\-]{20,})(?![\w-])"),
    _p(
        "Slack token",
        ("xox",),
        r"(?<![\w-])(?P<v>xox[bpare]-(?:[0-9]{10,13}-){1,3}[0-9A-Za-z]{24,34})(?![\w-])",
    ),
    _p(
        "Slack webhook URL",
        ("hooks.slack.com",),
        r"(?P<v>https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/"
        r"[A-Za-z0-9]{24})(?![A-Za-z0-9])",
    ),
    _p("Twilio API key", ("sk",), r"(?<![A-Za-z0-9_])(?P<v>SK[0-9a-f]{32})(?![A-Za-z0-9_])"),
    _p(
        "SendGrid API key",
        ("sg.",),
        r"(?<![\w.-])(?P<v>SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43})(?![\w-])",
    ),
    _p("npm token", ("npm_",), r"(?<![A-Za-z0-9_])(?P<v>npm_[0-9A-Za-z]{36})(?![A-Za-z0-9_])"),
    _p(
        "JSON Web Token",
        ("eyj",),
        r"(?<![\w-])(?P<v>eyJ[0-9A-Za-z_-]{8,}\.ey[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{16,})",
    ),
)

#: words in a variable/key name that make its value a secret
SECRET_NAME_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authkey",
    "signingkey",
    "encryptionkey",
    "masterkey",
    "credential",
)
#: a name whose last word is one of these holds metadata about a secret, not the secret
NON_SECRET_LAST_WORDS = frozenset(
    [
        "id",
        "ids",
        "name",
        "names",
        "url",
        "urls",
        "uri",
        "endpoint",
        "path",
        "paths",
        "file",
        "files",
        "dir",
        "env",
        "var",
        "vars",
        "header",
        "headers",
        "type",
        "types",
        "length",
        "len",
        "size",
        "min",
        "max",
        "policy",
        "regex",
        "pattern",
        "field",
        "label",
        "prompt",
        "placeholder",
        "hint",
        "format",
        "prefix",
        "suffix",
        "count",
        "expiry",
        "expires",
        "expiration",
        "ttl",
        "timeout",
        "version",
        "ref",
        "source",
        "provider",
        "mode",
        "enabled",
        "required",
        "hash",
        "question",
        "description",
        "help",
        "text",
        "message",
        "msg",
        "title",
        "error",
        "location",
        "method",
        "strategy",
        "algorithm",
        "alg",
        "kind",
        "class",
        "scheme",
        "store",
        "manager",
        "service",
        "generator",
        "validator",
        "namespace",
        "selector",
        "selectors",
        "annotation",
        "annotations",
        "mount",
        "volume",
        "reset",
        "confirm",
        "confirmation",
        "changed",
        "required",
        "rule",
        "rules",
        "key_id",
        "param",
        "params",
        "arn",
    ]
)
#: a secret-looking assignment needs one of these in the name
NAME_NEEDLES = ("pass", "pwd", "secret", "token", "key", "cred")
#: the file prefilter: a file holding none of these is never looked at again. The words that
#: surround virtually every real secret, plus the token prefixes that often stand alone
#: (`Stripe("sk_live_…")`, `Bearer eyJ…`, bare `AKIA…` ids); "key" also covers `PRIVATE KEY`
#: blocks, `private_key`, AWS/Google/SendGrid/Twilio key names. Each needle costs one substring
#: search of the file (in a run on many files, one RE2 pass finds them all: linter/literals.py).
FILE_NEEDLES: tuple[str, ...] = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "://",
    "_live_",
    "eyj",
    "akia",
)
_FILE_NEEDLES = Literals(FILE_NEEDLES, lowered=True)
#: the line prefilter (only in files that passed): a line holding none of these is skipped
LINE_NEEDLES: tuple[str, ...] = (
    *NAME_NEEDLES,
    "://",
    "jwt",
    "_live_",
    "whsec_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "sg.",
    "npm_",
    "eyj",
    "aiza",
    "akia",
    "asia",
)

DEFAULT_PASSWORDS = frozenset(
    [
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "admin",
        "admin123",
        "administrator",
        "root",
        "toor",
        "secret",
        "123456",
        "12345678",
        "123456789",
        "qwerty",
        "letmein",
        "guest",
        "postgres",
        "mysql",
        "welcome",
        "welcome1",
        "test123",
        "pass1234",
        "abc123",
    ]
)
#: values that stand in for a secret (whole value, case-insensitive)
PLACEHOLDER_VALUES = frozenset(
    [
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "secret",
        "password",
        "passwd",
        "pwd",
        "token",
        "key",
        "apikey",
        "api_key",
        "value",
        "string",
        "str",
        "empty",
        "required",
        "optional",
        "todo",
        "tbd",
        "fixme",
        "xxx",
        "n/a",
        "na",
        "unset",
        "default",
        "mypass",
        "mypassword",
        "mysecret",
        "mytoken",
        "mykey",
    ]
)
#: a value containing one of these (case-insensitive) is a placeholder
PLACEHOLDER_WORDS = (
    "example",
    "sample",
    "dummy",
    "fake",
    "placeholder",
    "your",
    "redacted",
    "…",
    "change",
    "xxxx",
    "****",
    "....",
    "<",
    "todo",
    "fixme",
    "insert",
    "replace",
    "mock",
    "test",
)
_REF = lazy(r"\$\{|\$\(|\{\{|#\{|%\(|%s|^\$[A-Za-z_]|^\{[A-Za-z_][\w.]*\}$|^%[A-Za-z_]+%$")
_REPEATED = lazy(r"^(.)\1*$")
_WORDY = lazy(
    r"^(?:[A-Za-z]+(?:[_.:\-/][A-Za-z]+)*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:[_.\-][a-z0-9]+)+)$"
)
_CAMEL = lazy(r"(?<=[a-z0-9])(?=[A-Z])")
_NAME_SPLIT = lazy(r"[^A-Za-z0-9]+")

# name = "value" (code, JSON, YAML with quotes); also `name: Type = "value"` (Python annotations)
_QUOTED_ASSIGN = lazy(
    r"""(?<![\w.\-])(?P<name>[A-Za-z_][\w.\-]*)["']?\]?
    (?:\s*:\s*[A-Za-z_][\w\[\],|. ]{0,60}?)?
    \s*(?::=|=>|=|:)\s*
    (?:[rbuRB]{1,2}(?=["']))?
    (?P<q>["'`])(?P<value>[^"'`\\\n]{1,300})(?P=q)""",
    re.VERBOSE,
)
# name: value / NAME=value (YAML, .env, properties, shell) — unquoted
_BARE_ASSIGN = lazy(
    r"""^\s*(?:-\s+)?(?:export\s+)?(?P<name>[A-Za-z_][\w.\-]*)\s*(?:=|:)[ \t]*
    (?P<value>[^\s"'`\#{\[!&*|>@%][^\s"'`()\[\]{}]{0,299}?)\s*(?:\s\#.*)?$""",
    re.VERBOSE,
)
BARE_KINDS = frozenset(
    {
        K.YAML,
        K.COMPOSE,
        K.ENV_FILE,
        K.ENV_TEMPLATE,
        K.TEXT,
        K.GO_MOD,
        K.SHELL,
        K.GITLAB_CI,
        K.GHA_WORKFLOW,
    }
)
_JWT_CALL = lazy(
    r"""\bjwt\.(?:sign|verify|encode|decode)\(\s*[^,()]+?,\s*(?P<q>["'`])(?P<value>[^"'`\\\n]{1,300})(?P=q)"""
)
_URL_CRED = lazy(
    r"""(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]{1,30})://(?P<user>[^\s:/?#@'"`]*):(?P<pw>[^\s@/?#'"`]+)@(?P<host>[^\s/?#:'"`,;)\]]+)"""
)
_PEM_BEGIN = lazy(
    r"-----BEGIN (?P<kind>(?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
)
_PEM_BODY_TOKEN = lazy(
    r"\\[nr]|[ \t\r\n\"',+]+|(?P<hdr>[A-Za-z][\w-]*:[^\\\n]*)|(?P<b64>[A-Za-z0-9+/=]+)"
)
_SA_TYPE = lazy(r"""["']?type["']?\s*[:=]\s*["']service_account["']""")
_SA_KEY = lazy(
    r"""(?P<key>["']?private_key["']?)\s*[:=]\s*(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
)
CODE_KINDS = frozenset({K.PYTHON, K.JAVASCRIPT, K.TYPESCRIPT, K.GO})
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "host.docker.internal")
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc", ".html")
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testdata", "fixtures"})


# -- shape helpers --------------------------------------------------------------------------
def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    other = any(not c.isalnum() for c in value)
    return lower + upper + digit + other


def is_placeholder(value: str) -> bool:
    """Empty, a reference (`${VAR}`, `{{ x }}`, `%s`), `<your-key>`, `xxx…`, `example`, `test`…"""
    v = value.strip().strip("\"'")
    if not v:
        return True
    low = v.lower()
    if low in PLACEHOLDER_VALUES or _REPEATED.match(v) or _REF.search(v):
        return True
    if any(w in low for w in PLACEHOLDER_WORDS):
        return True
    stripped = re.sub(r"[\W_]", "", v)
    return bool(stripped) and len(set(stripped.lower())) == 1


def is_reference(value: str) -> bool:
    return bool(_REF.search(value))


def name_words(name: str) -> list[str]:
    parts = _NAME_SPLIT.split(_CAMEL.sub("_", name))
    return [p.lower() for p in parts if p]


def is_secret_name(name: str) -> bool:
    words = name_words(name)
    if not words:
        return False
    if words[-1] in NON_SECRET_LAST_WORDS or "existing" in words:
        return False  # `existingSecret`, `existingPasswordSecretKey`: names of other objects
    if len(words) >= 2 and "_".join(words[-2:]) in NON_SECRET_LAST_WORDS:
        return False
    joined = "".join(words)
    return any(w in joined for w in SECRET_NAME_WORDS)


def is_password_name(name: str) -> bool:
    joined = "".join(name_words(name))
    return any(w in joined for w in ("password", "passwd", "pwd", "pass", "secret")) and (
        is_secret_name(name)
    )


def secret_shape(value: str) -> Confidence | None:
    """Does a value assigned to a secret-looking name look like a real secret? How sure?"""
    n = len(value)
    if n < 8 or n > 300 or is_placeholder(value):
        return None
    if any(c.isspace() for c in value) or value.isdigit():
        return None
    if value.startswith(("/", "./", "../", "~/", "http:", "https:", "file:")) or "://" in value:
        return None
    if _WORDY.match(value):
        return None
    ent = entropy(value)
    classes = char_classes(value)
    if n >= 16 and classes >= 2 and ent >= 3.0:
        return Confidence.HIGH if ent >= 3.5 and classes >= 3 else Confidence.MEDIUM
    if classes >= 3 and ent >= 2.5:
        return Confidence.MEDIUM
    return None


def is_test_path(path: str) -> bool:
    parts = path.lower().split("/")
    if any(p in _TEST_DIRS for p in parts[:-1]):
        return True
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.startswith("conftest")
        or any(m in name for m in ("_test.", ".test.", ".spec.", "_spec."))
    )


def is_doc_path(path: str) -> bool:
    return path.lower().endswith(_DOC_SUFFIXES)


# -- the scan -------------------------------------------------------------------------------
class _Offsets:
    """Offset → (line, col), with the same line breaks as ``SourceFile.lines``."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *accumulate(len(part) for part in text.splitlines(True))]

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _jwt_ok(token: str) -> bool:
    head = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        data = json.loads(decoded)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "alg" in data


def _provider_hits(line: str, low: str, n: int) -> list[Candidate]:
    out: list[Candidate] = []
    for prov in PROVIDERS:
        if not any(nd in low for nd in prov.needles):
            continue
        for m in prov.pattern.finditer(line):
            value = m.group("v")
            if is_placeholder(value) and prov.label != "Slack webhook URL":
                continue
            if prov.label == "JSON Web Token" and not _jwt_ok(value):
                continue
            if prov.label == "Slack webhook URL" and is_placeholder(value.rsplit("/", 1)[-1]):
                continue
            start = m.start("v")
            out.append(Candidate(HARDCODED, prov.label, value, n, start + 1, m.end("v") + 1))
    return out


def _assignment_hits(
    line: str, n: int, bare: bool, taken: list[tuple[int, int]], code: bool = False
) -> list[Candidate]:
    out: list[Candidate] = []
    matches = list(_QUOTED_ASSIGN.finditer(line))
    if bare:
        bm = _BARE_ASSIGN.match(line)
        if bm is not None:
            matches.append(bm)
    for m in matches:
        name, value = m.group("name"), m.group("value")
        start, end = m.start("value"), m.end("value")
        if any(s <= start < e for s, e in taken):
            continue  # a provider pattern already reported this value
        if not is_secret_name(name):
            continue
        if _is_default(value) and not (code and _names_itself(name, value)):
            out.append(
                Candidate(
                    DEFAULT_CREDENTIAL, "default password", value, n, start + 1, end + 1, name
                )
            )
            continue
        conf = secret_shape(value)
        if conf is None:
            continue
        words = name_words(name)
        if "aws" in words and "secret" in words and re.fullmatch(r"[A-Za-z0-9/+]{40}", value):
            out.append(
                Candidate(HARDCODED, "AWS secret access key", value, n, start + 1, end + 1, name)
            )
            continue
        out.append(
            Candidate(
                HARDCODED,
                "secret",
                value,
                n,
                start + 1,
                end + 1,
                name,
                generic=True,
                confidence=conf,
            )
        )
    return out


def _names_itself(name: str, value: str) -> bool:
    """`PASSWORD = "password"` in code: an enum member or a field label, not a credential."""
    return "".join(name_words(value)) == "".join(name_words(name))


def _is_default(value: str) -> bool:
    """A well-known default password (a capitalised word such as `Password` is a label)."""
    if value.isalpha() and value[:1].isupper() and value[1:].islower():
        return False
    return value.lower() in DEFAULT_PASSWORDS or value.lower().rstrip("!") in DEFAULT_PASSWORDS


def _url_hits(line: str, n: int) -> list[Candidate]:
    out: list[Candidate] = []
    for m in _URL_CRED.finditer(line):
        pw, host = m.group("pw"), m.group("host").lower()
        if is_placeholder(pw) or pw.lower() in ("pass", "password", "pwd", "passwd", "secret"):
            continue
        if pw.startswith(("$", "%", "{", "<")) or pw.lower() == m.group("user").lower() == "user":
            continue
        start, end = m.start("pw") + 1, m.end("pw") + 1
        scheme = m.group("scheme")
        if _is_default(pw) or pw.lower() == m.group("user").lower():
            if host.startswith(_LOCAL_HOSTS):
                continue  # a throwaway local-development default
            label = f"default password in the `{scheme}://` URL"
            out.append(Candidate(DEFAULT_CREDENTIAL, label, pw, n, start, end))
            continue
        # a lowercase word ("whalehello") is more often a demo password than a generated one
        conf = Confidence.MEDIUM if _WORDY.match(pw) else Confidence.HIGH
        label = f"`{scheme}://` URL password"
        out.append(Candidate(CONNECTION_STRING, label, pw, n, start, end, confidence=conf))
    return out


def _pem_hits(text: str, offsets: _Offsets) -> list[Candidate]:
    out: list[Candidate] = []
    for m in _PEM_BEGIN.finditer(text):
        pos, body, chunks = m.end(), 0, []
        limit = min(len(text), pos + 20000)
        while pos < limit:
            if text.startswith("-----END", pos):
                break
            t = _PEM_BODY_TOKEN.match(text, pos)
            if t is None or t.end() == pos:
                break
            if t.group("b64"):
                body += len(t.group("b64"))
                chunks.append(t.group("b64"))
            pos = t.end()
        if body < 64 or not text.startswith("-----END", pos):
            continue
        line, col = offsets.pos(m.start())
        redact = tuple(dict.fromkeys(c for c in chunks if len(c) >= 4))
        label = _pem_label(m.group("kind"))
        out.append(
            Candidate(
                PRIVATE_KEY,
                label,
                redact[0],
                line,
                col,
                col + len(m.group(0)),
                extra_redact=redact[1:],
            )
        )
    return out


_PEM_WORDS = {"OPENSSH": "OpenSSH", "ENCRYPTED": "encrypted", "PRIVATE": "private", "KEY": "key"}


def _pem_label(kind: str) -> str:
    """`RSA PRIVATE KEY` → `RSA private key`; `PGP PRIVATE KEY BLOCK` → `PGP private key`."""
    words = kind.split()
    if words[-1] == "BLOCK":
        words.pop()
    return " ".join(_PEM_WORDS.get(w, w) for w in words)


def _service_account_hits(text: str, offsets: _Offsets) -> list[Candidate]:
    if not _SA_TYPE.search(text):
        return []
    out: list[Candidate] = []
    for m in _SA_KEY.finditer(text):
        value = m.group("value")
        if "PRIVATE KEY-----" not in value:
            continue
        inner = _pem_hits(value.replace("\\n", "\n"), _Offsets(value))
        if not inner:
            continue
        line, col = offsets.pos(m.start("key"))
        chunks = (inner[0].value, *inner[0].extra_redact)
        out.append(
            Candidate(
                SERVICE_ACCOUNT,
                "service-account private key",
                chunks[0],
                line,
                col,
                col + len(m.group("key")),
                name="private_key",
                extra_redact=chunks[1:],
            )
        )
    return out


def _env_default_hits(src: SourceFile) -> list[Candidate]:
    out: list[Candidate] = []
    if src.kind not in ENV_READ_KINDS:
        return out  # (and the reader is not imported: a run on a Dockerfile does not need it)
    from linter.envreads import env_reads

    for read in env_reads(src):
        d = read.default
        if d is None or not is_password_name(read.name) or d.lower() not in DEFAULT_PASSWORDS:
            continue
        # the default literal sits after the name on the same line
        text = src.line(read.line)
        at = text.find(d, read.end_col - 1)
        if at < 0:
            continue
        out.append(
            Candidate(
                DEFAULT_CREDENTIAL,
                "default password fallback",
                d,
                read.line,
                at + 1,
                at + 1 + len(d),
                read.name,
            )
        )
    return out


def _needle_lines(low: str) -> set[int] | None:
    """Offsets of the line needles in the lowercased text; None when the file prefilter fails."""
    if not _FILE_NEEDLES(low):
        return None
    offsets: list[int] = []
    for nd in LINE_NEEDLES:
        at = low.find(nd)
        while at >= 0:
            offsets.append(at)
            at = low.find(nd, at + 1)
    if not offsets:
        return None
    return set(offsets)


#: a line longer than this (a minified bundle) is read in windows around its needles
LINE_CAP = 5000
#: how far a window reaches on each side of a needle, and the most windows read on one line
WINDOW = 1000
MAX_WINDOWS = 64


def line_windows(line: str, cols: Iterable[int]) -> list[tuple[int, str]]:
    """(offset, text) of the parts of ``line`` to read for secrets, given the 1-based columns
    of its needles: the whole line when it is short; around the needles (merged, cut in
    pieces of at most :data:`LINE_CAP`, at most :data:`MAX_WINDOWS` pieces: a line full of
    needles is read up to ~320,000 characters) when it is a minified bundle's, so that a key
    deep in a 2 MB line is found and no regex runs over more than a few thousand characters
    (the old rule read the first 5,000 characters only)."""
    if len(line) <= LINE_CAP:
        return [(0, line)]
    spans: list[list[int]] = []
    for col in sorted(cols):
        lo, hi = max(0, col - 1 - WINDOW), min(len(line), col - 1 + WINDOW)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        elif len(spans) < MAX_WINDOWS:
            spans.append([lo, hi])
        else:
            break
    out: list[tuple[int, str]] = []
    for lo, hi in spans:  # a merged span is cut in LINE_CAP pieces that overlap by a window
        while len(out) < MAX_WINDOWS:
            end = min(hi, lo + LINE_CAP)
            out.append((lo, line[lo:end]))
            if end >= hi:
                break
            lo = end - WINDOW
    return out


def scan_source(src: SourceFile) -> tuple[Candidate, ...]:
    """Every secret candidate in one file (option-independent)."""
    if not _FILE_NEEDLES.in_source(src):  # (most files: no lower-cased copy made)
        return ()
    text = src.text
    low = text.lower()
    hits = _needle_lines(low)
    if hits is None:
        return ()
    offsets = _Offsets(text)
    out: list[Candidate] = []
    if "PRIVATE KEY" in text:
        sa = _service_account_hits(text, offsets)
        out.extend(sa)
        sa_lines = {c.line for c in sa}
        out.extend(c for c in _pem_hits(text, offsets) if not _in_sa(c, sa, sa_lines))
    bare = src.kind in BARE_KINDS or src.path.lower().endswith(
        (".properties", ".ini", ".cfg", ".conf", ".toml", ".tf", ".tfvars")
    )
    code = src.kind in CODE_KINDS
    lines = src.lines
    cols: dict[int, list[int]] = {}
    for at in hits:
        n, col = offsets.pos(at)
        cols.setdefault(n, []).append(col)
    for i in sorted(cols):
        if i > len(lines):
            continue
        for start, line in line_windows(lines[i - 1], cols[i]):
            lline = line.lower()
            found = _provider_hits(line, lline, i)
            taken = [(c.col - 1, c.end_col - 1) for c in found]
            if any(nd in lline for nd in NAME_NEEDLES):
                found.extend(_assignment_hits(line, i, bare, taken, code))
            if "://" in lline:
                found.extend(_url_hits(line, i))
            if "jwt" in lline:
                found.extend(_jwt_secret_hits(line, i, taken))
            out.extend(
                replace(c, col=c.col + start, end_col=c.end_col + start) if start else c
                for c in found
            )
    if code and any(w in low for w in ("pass", "pwd", "secret")):
        out.extend(_env_default_hits(src))
    return tuple(_dedupe(out))


def _in_sa(c: Candidate, sa: list[Candidate], sa_lines: set[int]) -> bool:
    if not sa:
        return False
    return any(c.value == s.value or c.value in s.extra_redact for s in sa) or c.line in sa_lines


def _jwt_secret_hits(line: str, n: int, taken: list[tuple[int, int]]) -> list[Candidate]:
    out: list[Candidate] = []
    for m in _JWT_CALL.finditer(line):
        value = m.group("value")
        start = m.start("value")
        if any(s <= start < e for s, e in taken) or secret_shape(value) is None:
            continue
        out.append(
            Candidate(
                HARDCODED,
                "JWT signing key",
                value,
                n,
                start + 1,
                m.end("value") + 1,
                generic=True,
                confidence=Confidence.MEDIUM,
            )
        )
    return out


def _dedupe(cands: Iterable[Candidate]) -> list[Candidate]:
    seen: dict[tuple[str, int, int], Candidate] = {}
    for c in cands:
        seen.setdefault((c.category, c.line, c.col), c)
    return sorted(seen.values(), key=lambda c: (c.line, c.col, c.category))


def candidates(index: RepoIndex, src: SourceFile) -> tuple[Candidate, ...]:
    """:func:`scan_source`, once per file and scan, shared by every secrets policy."""
    store: dict[str, tuple[Candidate, ...]] = index.memo(("secrets.scan",), dict)
    found = store.get(src.path)
    if found is None:
        found = store[src.path] = scan_source(src)
    return found
