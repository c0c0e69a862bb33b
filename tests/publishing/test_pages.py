from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import html5lib
import pytest
from django.test import Client
from django.utils import timezone

from samizdat.publishing.models import ArticlePage

pytestmark = pytest.mark.django_db

EXTERNAL_REF = re.compile(r'(?:src|href|action|srcset|content)="(?:https?:)?//(?!testserver)[^"]+"')


def get_ok(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def assert_valid_html(html: str) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(html)


def test_article_page_shows_the_story(client: Client, newsroom: dict[str, Any]) -> None:
    html = get_ok(client, "/en/news/court-opens-trial/")
    assert "<h1>Court opens trial of reporter</h1>" in html
    assert "The standfirst of story" in html
    assert 'rel="author" href="../../../en/authors/anna-berg/">Anna Berg</a>' in html
    assert "Pavel Drozd" in html
    assert '<figure class="pullquote"><blockquote><p>We will keep reporting.</p>' in html
    assert "<figcaption>Ada Lind, <cite>editor</cite></figcaption>" in html
    assert '<small class="credit">Photo: Lantern staff</small>' in html
    assert 'srcset="../../../media/images/' in html and ".webp 400w" in html
    assert "1 minute read" in html
    assert "Published" in html and "Updated" in html
    assert_valid_html(html)


def test_every_reader_page_validates_and_stays_on_origin(
    client: Client, newsroom: dict[str, Any]
) -> None:
    for path in [
        "/en/",
        "/ru/",
        "/en/news/",
        "/en/news/court-opens-trial/",
        "/en/authors/",
        "/en/authors/anna-berg/",
        "/en/tags/courts/",
        "/en/search/?q=court",
    ]:
        html = get_ok(client, path)
        assert_valid_html(html)
        # Canonical, hreflang and og:url are absolute by design; nothing else may leave the page.
        stripped = re.sub(
            r'<(link rel="(canonical|alternate)"|meta property="og:[a-z:]+")[^>]*>', "", html
        )
        stripped = re.sub(
            r'<script type="application/ld\+json">.*?</script>', "", stripped, flags=re.S
        )
        assert not EXTERNAL_REF.findall(stripped), (path, EXTERNAL_REF.findall(stripped))


def test_reading_sets_no_cookie(client: Client, newsroom: dict[str, Any]) -> None:
    response = client.get("/en/news/court-opens-trial/")
    assert response.cookies == {}
    assert "Set-Cookie" not in response.headers


def test_unknown_page_gets_friendly_404(client: Client, site_tree: Any) -> None:
    response = client.get("/en/no-such-story/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_scheduled_article_is_not_public_until_go_live(
    client: Client, newsroom: dict[str, Any]
) -> None:
    article = ArticlePage(title="Embargoed", slug="embargoed", standfirst="Later.")
    newsroom["news"].add_child(instance=article)
    article.go_live_at = timezone.now() + timedelta(hours=1)
    article.save_revision().publish()
    article.refresh_from_db()
    assert not article.live
    assert client.get("/en/news/embargoed/").status_code == 404


def test_article_page_weight_stays_under_60_kb(client: Client, newsroom: dict[str, Any]) -> None:
    """HTML + CSS + JS of an article, images excluded, as the issue budgets it."""
    from django.contrib.staticfiles import finders

    html = get_ok(client, "/en/news/court-opens-trial/")
    assets = re.findall(r'<(?:link rel="stylesheet"|script)[^>]+(?:href|src)="([^"]+)"', html)
    assert assets, "the page links its stylesheet"
    weight = len(html.encode())
    for asset in assets:
        found = finders.find(asset.split("static/", 1)[1].split("?", 1)[0])
        assert found, asset
        with open(found, "rb") as handle:
            weight += len(handle.read())
    assert weight <= 60 * 1024, weight


def test_server_error_page_is_friendly_and_needs_no_database(rf: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from samizdat.publishing.views import server_error

    with CaptureQueriesContext(connection) as queries:
        response = server_error(rf.get("/en/news/broken/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert len(queries) == 0


def test_links_in_the_body_to_our_pages_are_relative(
    client: Client, newsroom: dict[str, Any]
) -> None:
    # Wagtail writes links to pages from "/"; on a copy under another path they must still work.
    from wagtail.rich_text import RichText

    from tests import factories
    from tests.publishing.helpers import resolve

    lead = newsroom["lead"]
    body = f'<p>See <a linktype="page" id="{lead.pk}">the trial</a> and <a href="https://example.org/">this</a>.</p>'
    factories.ArticlePageFactory(
        parent=newsroom["culture"], slug="follow-up", body=[("paragraph", RichText(body))]
    )
    html = get_ok(client, "/en/culture/follow-up/")
    (href,) = re.findall(r'<a href="([^"]+)">the trial</a>', html)
    assert not href.startswith("/")
    assert resolve("/en/culture/follow-up/", href) == "/en/news/court-opens-trial/"
    # Links elsewhere stay absolute, and tell the other site nothing of the page.
    assert '<a href="https://example.org/" rel="noreferrer">this</a>' in html
    feed = client.get("/en/culture/feed/rss/").content.decode()
    assert "http://testserver/en/news/court-opens-trial/" in feed


# What HTML allows in <time datetime> (the "date string with optional time" and the other forms
# of the HTML standard, § 4.5.14): fractions of a second have one to three digits.
_DATE = r"\d{4,}-\d{2}-\d{2}"
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?"
_ZONE = r"(?:Z|[+-]\d{2}:?\d{2})"
_DURATION = r"P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,3})?S)?)?"
VALID_DATETIME = re.compile(
    rf"^(?:\d{{4,}}|\d{{4,}}-\d{{2}}|{_DATE}|(?:--)?\d{{2}}-\d{{2}}|{_TIME}|{_ZONE}"
    rf"|{_DATE}[T ]{_TIME}{_ZONE}?|\d{{4,}}-W\d{{2}}|{_DURATION})$"
)


def datetime_attributes(html: str) -> list[str]:
    root = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return [str(time.get("datetime")) for time in root.iter("time") if "datetime" in time.attrib]


def test_every_time_element_carries_a_datetime_html_allows(
    client: Client,
    newsroom: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    from samizdat.newsletter import actions
    from samizdat.newsletter.models import Edition, EditionItem, Subscriber
    from samizdat.publishing.models import PrivacyPolicyPage

    settings.NEWSLETTER_CONNECTIONS = settings.NEWSLETTER_TASKS = 1  # sent in this thread
    actions.ensure_newsletter_pages()
    Subscriber.objects.create(email="anna@example.org", language="en", status="active")
    edition = Edition.objects.create(language="en", subject="The week", intro="Hello.")
    EditionItem.objects.create(edition=edition, article=newsroom["lead"], sort_order=0)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_edition(edition_id=edition.pk)
    edition.refresh_from_db()
    assert edition.finished_at is not None and edition.finished_at.microsecond
    policy = PrivacyPolicyPage.objects.get(locale__language_code="en")
    policy.save_revision().publish()

    seen = {}
    for path in [
        "/en/",
        "/en/news/",
        "/en/news/court-opens-trial/",
        "/en/tags/courts/",
        "/en/authors/anna-berg/",
        "/en/search/?q=court",
        "/en/privacy/",
        "/en/newsletter/",
        f"/en/newsletter/{edition.pk}/",
    ]:
        found = datetime_attributes(get_ok(client, path))
        assert found, path
        for value in found:
            assert VALID_DATETIME.match(value), (path, value)
        seen[path] = found

    lead = newsroom["lead"]
    lead.refresh_from_db()
    published = timezone.localtime(lead.first_published_at).replace(microsecond=0)
    assert published.isoformat() in seen["/en/news/court-opens-trial/"]
    assert published.isoformat() in seen["/en/"]
