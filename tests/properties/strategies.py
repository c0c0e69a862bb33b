"""What the outside world may send: text, header values, form fields and JSON, from the
plausible to the hostile.

Pure noise rarely gets past a form's first check, so most strategies start from a request
that is nearly right and change one or a few of its fields (``mutated``)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Strings that broke, or could break, something somewhere.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "line\r\nInjected: header",
    "\u202e\u200f\u200e",  # right-to-left override and marks
    "\ufeff",
    "\u0000\u001f\u007f",
    "Ω≈ç√∫˜µ≤",
    "ＡＢＣ１２３",  # full-width letters and digits
    "١٢٣",  # Arabic-Indic digits
    "𝟙𝟚𝟛",
    "😀" * 3,
    "%00%0d%0a",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '"',
    "{{ settings.SECRET_KEY }}",
    "%(name)s",
    "{0}",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "9" * 400,
    "-1",
    "0x10",
    "1,000,000.00",
    "1 000,50",
    "null",
    "[]",
    "{}",
    "true",
]

text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),  # any code points but lone surrogates (no encoder takes them)
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.integers(min_value=255, max_value=100_000).map(lambda n: "x" * n),  # very long
    st.tuples(st.sampled_from(NASTY), st.text(max_size=10)).map("".join),
)

# What a header can carry over HTTP/1.1: latin-1 (WSGI's encoding), no CR, LF or NUL.
header_text = st.one_of(
    st.sampled_from(["", "null", "*", "undefined", " ", "\t"]),
    st.text(
        st.characters(max_codepoint=255, exclude_characters="\r\n\x00"),
        max_size=300,
    ),
)

origin = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "null",
            "http://testserver",
            "https://testserver",
            "http://testserver:80",
            "http://evil.example",
            "http://[::1]:99999",
            "http://[bad",
            "file://",
            "http://",
            "http://testserver.evil.example",
            "HTTP://TESTSERVER",
        ]
    ),
    header_text,
)

content_type = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "application/json",
            "application/json; charset=utf-16",
            "text/plain",
            "application/x-www-form-urlencoded; charset=invalid-charset",
            "application/x-www-form-urlencoded; charset=utf-32",
            "",
        ]
    ),
    header_text,
)

accept_language = st.one_of(
    st.sampled_from(
        [
            "",
            "*",
            "ru",
            "ru-RU,ru;q=0.9,en;q=0.8",
            "uk;q=1.0",
            "en;q=abc",
            "de-DE-x-private-" + "a" * 300,
            "zh-Hant-TW;q=0.5, *;q=0.1",
            "q=1;q=2;;;,,,",
            "-",
            "en-" * 200,
        ]
    ),
    header_text,
)


def json_values(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """Any JSON value: wrong types, huge numbers, floats, nesting."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0, -1, 2**31, 2**63, 2**64 + 1, 10**30, -(10**30)]),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(st.one_of(text, st.sampled_from(["id", "type", "data", "object"])),
                            inner, max_size=5),
        ),
        max_leaves=max_leaves,
    )  # fmt: skip


def json_text(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


# Bodies that are not quite JSON, or are JSON no parser should be asked to hold.
odd_bodies = st.one_of(
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from(
        [
            b"",
            b"null",
            b"1" * 5000,
            b"1e999999",
            b"-1e999999",
            b"NaN",
            b"Infinity",
            b'{"a": NaN}',
            b'"\\ud800"',
            b'{"\\u0000": "\\u0000"}',
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
            b'{"id": 1, "id": 2}',
        ]
    ),
)


def mutated(
    valid: dict[str, Any], extra_fields: list[str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """``valid`` with one to three of its fields changed: replaced by any text, dropped,
    doubled (a list of values) or joined by a field it does not expect."""
    names = sorted(valid) + (extra_fields or [])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        data: dict[str, Any] = dict(valid)
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            known = [st.sampled_from(names)] if names else []
            name = draw(st.one_of(*known, text.filter(bool)))
            change = draw(st.sampled_from(["replace", "replace", "drop", "double"]))
            if change == "drop":
                data.pop(name, None)
            elif change == "double":
                data[name] = [draw(text), draw(text)]
            else:
                data[name] = draw(text)
        return data

    return build()
