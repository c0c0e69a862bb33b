"""One way to read an email address, wherever one comes in.

Every entry point (the newsletter signup and import, test sends and suppressions in the admin,
the donate form, "manage my gift", the payment providers' events, bounce reports) stores an
address only as ``normalise_email`` returns it, or refuses it with a message people understand:

- An internationalised domain is kept in its ASCII (IDNA, ``xn--…``) form, which every mail
  server delivers to.
- A local part with letters outside ASCII is refused: it needs SMTPUTF8 from every server on
  the way, which Django's mail does not speak, so such a letter would be lost.
- A domain label that mixes scripts (Latin with Cyrillic look-alikes, say) is refused: it is
  how a look-alike of another address is written.
- Line breaks, control characters and the replacement character (bytes that were not UTF-8)
  are refused, never stored.

No network lookups: whether the domain takes mail is the mail server's business.
"""

from __future__ import annotations

import unicodedata

import idna
from django.utils.translation import gettext
from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # RFC 5321's limit on a forward path, less the brackets


class InvalidAddress(ValueError):
    """An address we cannot write to; ``str()`` is a message for the person who typed it
    (in the active language), ``code`` says why: "invalid", "local_part" or "mixed_scripts".
    Neither holds the address."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def _invalid() -> InvalidAddress:
    return InvalidAddress(gettext("Enter a valid email address, like name@example.org."))


def _script(char: str) -> str:
    """The script of a letter, as the first word of its Unicode name (LATIN, CYRILLIC, …);
    Chinese, Japanese and Korean count as one, since they are written together."""
    word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0].split("-", 1)[0]
    return "CJK" if word in {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"} else word


def _mixes_scripts(label: str) -> bool:
    # Letters only: digits, hyphens, marks and modifier letters belong to no one script.
    scripts = {_script(c) for c in label if unicodedata.category(c) in {"Lu", "Ll", "Lt", "Lo"}}
    # Latin letters are common beside CJK ones (brand names); anything else is one script.
    return len(scripts - {"LATIN"} if "CJK" in scripts else scripts) > 1


def normalise_email(raw: str) -> str:
    """The address as we store and send to it (lower case, the domain in ASCII), or
    ``InvalidAddress``."""
    value = raw.strip() if isinstance(raw, str) else ""
    if (
        not value
        or len(value) > MAX_LENGTH
        or any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in value)
        or "\ufffd" in value
    ):
        raise _invalid()
    local, _at, _domain = value.rpartition("@")
    if local and not local.isascii():
        raise InvalidAddress(
            gettext(
                "We cannot send mail to an address with letters other than a–z before the “@” "
                "yet. Please give another address."
            ),
            code="local_part",
        )
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise _invalid() from error
    address = str(result.ascii_email or result.normalized).lower()
    if len(address) > MAX_LENGTH:
        raise _invalid()
    for label in address.rpartition("@")[2].split("."):
        if label.startswith("xn--"):
            try:
                unicode_label = idna.decode(label)
            except idna.IDNAError as error:
                raise _invalid() from error
            if _mixes_scripts(unicode_label):
                raise InvalidAddress(
                    gettext(
                        "The part after the “@” mixes letters of different alphabets, as "
                        "look-alike addresses do. Check it for typing mistakes."
                    ),
                    code="mixed_scripts",
                )
    return address


def email_or_empty(raw: str) -> str:
    """For addresses that come with something we must keep anyway (a payment): the address,
    or "" when it is not one we can write to."""
    try:
        return normalise_email(raw)
    except InvalidAddress:
        return ""
