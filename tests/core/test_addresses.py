"""The one reading of an email address every entry point uses."""

from __future__ import annotations

import pytest

from samizdat.core.addresses import InvalidAddress, email_or_empty, normalise_email


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Reader@Example.ORG", "reader@example.org"),
        # Internationalised domains are kept in the ASCII form every mail server delivers to.
        ("user@münchen.de", "user@xn--mnchen-3ya.de"),
        ("Ivan@Почта.рф", "ivan@xn--80a1acny.xn--p1ai"),
        ("ivan@пример.рф", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("ivan@xn--e1afmkfd.xn--p1ai", "ivan@xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_addresses_are_stored_in_the_form_mail_reaches(raw: str, stored: str) -> None:
    assert normalise_email(raw) == stored


def test_japanese_names_mix_their_scripts_and_latin_as_they_are_written() -> None:
    assert normalise_email("info@ソニーstore.jp").startswith("info@xn--")


@pytest.mark.parametrize("raw", ["пользователь@пример.рф", "üser@münchen.de", "josé@example.org"])
def test_a_local_part_beyond_ascii_is_refused_with_a_reason(raw: str) -> None:
    """Such an address needs SMTPUTF8 all the way, which our mail does not speak: refusing it
    at the form beats telling the reader to check an inbox no letter will reach."""
    with pytest.raises(InvalidAddress) as error:
        normalise_email(raw)
    assert error.value.code == "local_part"
    assert "before the “@”" in str(error.value)
    assert raw not in str(error.value)


@pytest.mark.parametrize(
    "raw",
    [
        "ivan@exаmple.org",  # a Cyrillic "а" among Latin letters
        "ivan@pаypal.com",
        "ivan@приmer.рф",
    ],
)
def test_look_alike_domains_that_mix_scripts_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress) as error:
        normalise_email(raw)
    assert error.value.code == "mixed_scripts"


@pytest.mark.parametrize(
    "raw",
    [
        "a\ufffd\ufffd@example.org",  # bytes that were not UTF-8, as Django decodes them
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nx",
        "read\u200ber@example.org",  # an invisible character
        "reader@example.org\x00",
        "Reader <reader@example.org>",
        "x" * 243 + "@example.org",
        "",
    ],
)
def test_what_is_not_an_address_is_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress) as error:
        normalise_email(raw)
    assert error.value.code == "invalid"
    assert "@" not in str(error.value).replace("name@example.org", "")


def test_for_records_that_must_be_kept_a_bad_address_becomes_empty() -> None:
    assert email_or_empty("olga@example.org\r\nBcc: x@example.org") == ""
    assert email_or_empty("Olga@Example.org") == "olga@example.org"
