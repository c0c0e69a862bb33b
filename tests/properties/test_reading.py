"""Reading the site takes any request: any page number, tag, feed, sitemap page, search
query or Accept-Language, the mirrors page, robots.txt, and the admin's login form. Never a
5xx, a refusal says why (a 404 is a page), and reading stores nothing and sets no cookie."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.properties import strategies as s
from tests.properties.harness import budget, client, one_example, send, url

pytestmark = pytest.mark.django_db

LANGUAGES = st.sampled_from(["en", "ru", "EN", "xx", "en-us"])
numbers = st.one_of(
    st.integers(min_value=-5, max_value=200_000).map(str),
    st.sampled_from(["0", "01", "1", "2", "99999999999999999999", "1e3", "", "-1", "１"]),
    s.text,
)


def segment(value: str) -> str:
    """One path segment as a browser sends it."""
    return quote(value, safe="")


def reader_get(path: str, accept_language: str | None = None) -> Any:
    headers = {"Accept-Language": accept_language} if accept_language is not None else {}
    return client().get(path, headers=headers)


@given(language=LANGUAGES, query=s.text, page=numbers, accept_language=s.accept_language)
@example(language="en", query="court\x00", page="1", accept_language="")
@example(language="en", query="x" * 10_000, page="99999999999999999999", accept_language="")
@example(language="en", query='"unbalanced', page="-1", accept_language="")
@example(language="ru", query="суд OR (", page="2", accept_language="ru")
@budget(1)
def test_search_answers_any_query(
    public_site: Any, language: str, query: str, page: str, accept_language: str
) -> None:
    path = f"/{language}/search/?" + urlencode({"q": query, "page": page})
    with one_example():
        send("search GET", lambda: reader_get(path, accept_language), reading=True)


@given(listing=st.sampled_from(["/en/news/", "/en/culture/", "/en/authors/anna-berg/", "/ru/",
                                "/en/tags/courts/"]), number=numbers)  # fmt: skip
@example(listing="/en/news/", number="99999999999999999999")
@budget(1)
def test_listings_answer_any_page_number(public_site: Any, listing: str, number: str) -> None:
    path = f"{listing}page/{segment(number)}/"
    with one_example():
        send("listing page/<n>/ GET", lambda: reader_get(path), reading=True)


@given(tag=st.one_of(st.sampled_from(["courts", "press-freedom", "COURTS", "суды"]), s.text),
       tail=st.sampled_from(["", "feed/rss/", "feed/atom/", "page/1/", "page/2/", "feed/xml/"]))  # fmt: skip
@budget(1)
def test_tag_pages_answer_any_tag(public_site: Any, tag: str, tail: str) -> None:
    path = f"/en/tags/{segment(tag)}/{tail}"
    with one_example():
        send("tag pages GET", lambda: reader_get(path), reading=True)


@given(
    base=st.sampled_from(["/en/", "/ru/", "/en/news/", "/en/authors/anna-berg/",
                          "/en/tags/courts/", "/en/newsletter/"]),
    kind=st.one_of(st.sampled_from(["rss", "atom", "RSS", "json", ""]), s.text),
    query=s.mutated({}),
)  # fmt: skip
@budget(0.7)
def test_feeds_answer_any_request(
    public_site: Any, base: str, kind: str, query: dict[str, Any]
) -> None:
    path = f"{base}feed/{segment(kind)}/?" + urlencode(query, doseq=True)
    with one_example():
        send("feeds GET", lambda: reader_get(path), reading=True)


@given(
    name=st.one_of(
        st.sampled_from(["sitemap.xml", "news-sitemap.xml", "sitemap-pages.xml",
                         "sitemap-articles.xml", "robots.txt"]),
        st.builds(lambda section, number: f"sitemap-{section}-{number}.xml",
                  st.sampled_from(["pages", "articles", "news", "x"]), numbers.map(segment)),
        st.builds(lambda section: f"sitemap-{section}.xml", s.text.map(segment)),
    ),
    query=s.mutated({}),
)  # fmt: skip
@example(name="sitemap-articles-99999999999999999999999.xml", query={})
@example(name="sitemap-articles-0.xml", query={})
@example(name="sitemap-articles-1.xml", query={})
@budget(0.7)
def test_sitemaps_and_robots_answer_any_request(
    public_site: Any, name: str, query: dict[str, Any]
) -> None:
    path = f"/{name}?" + urlencode(query, doseq=True)
    with one_example():
        send("sitemaps, robots.txt GET", lambda: reader_get(path), reading=True)


@given(accept_language=s.accept_language, path=st.sampled_from(["/", "/en/", "/ru/"]),
       query=s.mutated({}))  # fmt: skip
@example(accept_language="ru-RU,ru;q=0.9", path="/", query={})
@example(accept_language="x" * 5000, path="/", query={})
@example(accept_language="", path="/", query={"q": "x" * 17_000})
@budget(0.7)
def test_the_front_page_answers_any_language(
    public_site: Any, accept_language: str, path: str, query: dict[str, Any]
) -> None:
    full = f"{path}?" + urlencode(query, doseq=True)
    with one_example():
        response = send(
            "front page GET (Accept-Language)",
            lambda: reader_get(full, accept_language),
            reading=True,
        )
        if path == "/":  # to the reader's language; an address past 16 kB is refused
            assert response.status_code in (301, 302) or (
                response.status_code == 400 and len(full) > 16_000
            )


@given(language=st.sampled_from(["en", "ru"]), accept_language=s.accept_language,
       query=s.mutated({}))  # fmt: skip
@budget(0.5)
def test_the_mirrors_page_answers_any_request(
    public_site: Any, language: str, accept_language: str, query: dict[str, Any]
) -> None:
    from django.utils import translation

    with translation.override(language):
        path = url("mirror_list")
    full = f"{path}?" + urlencode(query, doseq=True)
    with one_example():
        send("mirrors page GET", lambda: reader_get(full, accept_language), reading=True)


@given(path=st.lists(s.text, min_size=1, max_size=4), accept_language=s.accept_language)
@example(path=["en", "news", "court-opens-trial", "..", ".."], accept_language="")
@example(path=["en", "%00"], accept_language="")
@budget(1)
def test_any_address_is_a_page_or_a_not_found_page(
    public_site: Any, path: list[str], accept_language: str
) -> None:
    full = "/" + "/".join(segment(part) for part in path) + "/"
    with one_example():
        send("any address GET", lambda: reader_get(full, accept_language), reading=True)


# A failed sign-in is counted (the lockout) and written to the audit log, by design.
SIGN_IN_RECORDS = frozenset({"samizdat_core_ratecount", "wagtailcore_modellogentry"})


@given(
    data=s.mutated({"username": "editor", "password": "wrong password", "next": "/admin/"},
                   ["remember"]),
    enforce_csrf=st.booleans(),
)  # fmt: skip
@example(data={"username": "\x00", "password": "\x00"}, enforce_csrf=False)
@example(data={"username": "x" * 10_000, "password": "x" * 100_000}, enforce_csrf=False)
@budget(1)
def test_the_admin_login_answers_any_credentials_with_a_form_error(
    public_site: Any, data: dict[str, Any], enforce_csrf: bool
) -> None:
    with one_example():
        response = send(
            "admin login POST",
            lambda: client(enforce_csrf_checks=enforce_csrf).post(url("wagtailadmin_login"), data),
            stores_nothing=True,
            records=SIGN_IN_RECORDS,
        )
        if not enforce_csrf:  # a form error; 400 only for what no form sends (a 10 kB name)
            assert response.status_code in (200, 400)
