"""Redaction masks secrets without mangling ordinary words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from linter.redact import Redactor, mask, redact


def test_mask_keeps_a_short_prefix_and_the_length() -> None:
    assert mask("sk_live_" + "a" * 24) == "sk_live_…(32 chars)"
    assert mask("hunter22") == "hu…(8 chars)"


def test_short_values_are_masked_only_as_whole_tokens() -> None:
    text = "guestbook runs as guest; url amqp://guest:guest@mq"
    assert redact(text, ["guest"]) == (
        "guestbook runs as g…(5 chars); url amqp://g…(5 chars):g…(5 chars)@mq"
    )


def test_long_values_are_masked_anywhere() -> None:
    key = "MIIEowIBAAKCAQEAq7Lm2Np9"
    assert redact(f"-----\\n{key}\\n", [key]) == "-----\\nMIIEow…(24 chars)\\n"


def test_values_shorter_than_four_are_left() -> None:
    assert redact("abc", ["abc"]) == "abc"


_ALPHABET = st.sampled_from([*"abAB01_-.: ", "é", "\n"])
_WORDS = st.text(_ALPHABET, min_size=0, max_size=14)


@given(st.lists(_WORDS, max_size=8), st.lists(_WORDS, max_size=10), st.data())
def test_redactor_masks_as_redact_does(
    secrets: list[str], filler: list[str], data: st.DataObject
) -> None:
    """The snippet redactor (candidates by their first four characters) gives what redact()
    gives, for texts made of the secrets, parts of them and other words."""
    parts = [*secrets, *filler, *(s[1:] for s in secrets), *(s[:-1] for s in secrets)]
    text = "".join(data.draw(st.lists(st.sampled_from(parts), max_size=12)) if parts else [])
    assert Redactor(secrets)(text) == redact(text, secrets)


def test_redactor_without_secrets_gives_the_text_back() -> None:
    text = "password = hunter22"
    assert Redactor(())(text) is text
    assert Redactor(["abc"])(text) is text  # (shorter than four: never masked)
