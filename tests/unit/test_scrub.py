"""Masking secrets in messages: plausible secrets everywhere, short ones only as whole values."""

from __future__ import annotations

from orderupd_tui.scrub import Scrubber, scrub


def test_a_plausible_secret_is_masked_wherever_it_appears() -> None:
    secret = "made-up-token-0123"
    assert scrub(f"token={secret}&x=1 and again{secret}", [secret]) == "token=***&x=1 and again***"


def test_a_secret_inside_another_is_masked_whole() -> None:
    assert scrub("key abcdefgh12345678", ["abcdefgh", "abcdefgh12345678"]) == "key ***"


def test_a_one_letter_secret_leaves_the_message_readable() -> None:
    message = "store 'main' answered 401 for GET /admin/api/orders.json"
    assert scrub(message, ["a"]) == message
    assert scrub("token a was refused", ["a"]) == "token *** was refused"


def test_a_short_secret_is_masked_only_as_a_whole_value() -> None:
    mask = Scrubber(["abc12", "s3cr3t-s3cr3t"])
    assert mask("key=abc12&secret=s3cr3t-s3cr3t") == "key=***&secret=***"
    assert mask("xabc12 abc123 abc12") == "xabc12 abc123 ***"
    assert mask("") == ""
    assert Scrubber([])("nothing to hide") == "nothing to hide"
