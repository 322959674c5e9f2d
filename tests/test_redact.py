"""Redaction masks secrets without mangling ordinary words."""

from __future__ import annotations

from linter.redact import mask, redact


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
