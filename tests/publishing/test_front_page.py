"""The front page editors make: a chosen lead and featured stories per language, falling back
to the newest when a choice goes stale, scheduled like a story; "Latest" and section blocks
with bylines, labels and small thumbnails; what a publication of it re-renders."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import PageViewRestriction
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from samizdat.publishing.models import ArticlePage, HomePage, HomePageFeaturedStory
from tests import factories
from tests.logins import log_in
from tests.publishing.helpers import page_html, parse_html, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(newsroom: dict[str, Any]) -> dict[str, Any]:
    """The newsroom with five more English stories (s1 newest, its own lead the oldest) and
    one Russian story."""
    now = timezone.now()
    ArticlePage.objects.filter(pk=newsroom["lead"].pk).update(
        first_published_at=now - timedelta(days=10)
    )
    stories = {
        f"s{n}": factories.ArticlePageFactory(
            parent=newsroom["news"] if n % 2 else newsroom["culture"],
            title=f"Story number {n}",
            slug=f"story-{n}",
            authors=[newsroom["anna"]],
            published_at=now - timedelta(hours=n),
        )
        for n in range(1, 6)
    }
    ru_news = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    russian = factories.ArticlePageFactory(
        parent=ru_news, title="Суд над журналистом", slug="sud", label="opinion"
    )
    return {**newsroom, **stories, "russian": russian}


def choose(home: HomePage, lead: ArticlePage | None, *featured: ArticlePage) -> HomePage:
    """Publish ``home`` with this lead and these featured stories, as an editor would."""
    home.lead_story = lead
    home.featured_stories = [
        HomePageFeaturedStory(story=story, sort_order=n) for n, story in enumerate(featured)
    ]
    home.save_revision().publish()
    return HomePage.objects.get(pk=home.pk)  # as the next editor opens it


def front(client: Client, path: str = "/en/") -> dict[str, Any]:
    """What a reader sees on a front page: the lead's headline, then the headlines of the
    featured stories, the latest list and every section block, in order."""
    tree = parse_html(page_html(client, path))

    def titles(selector: str) -> list[str]:
        found = []
        for section in tree.iter("section"):
            if selector in (section.get("class") or "").split():
                found += [text_of(h) for h in section.iter("h3")]
        return found

    lead = next(h for h in tree.iter("h2") if h.get("id") == "lead-title")
    return {
        "lead": text_of(lead),
        "featured": titles("featured"),
        "latest": titles("latest"),
        "sections": titles("section-block"),
    }


def test_the_newest_story_leads_until_editors_choose(client: Client, desk: dict[str, Any]) -> None:
    shown = front(client)
    assert shown["lead"] == "Story number 1"
    assert shown["featured"] == []
    assert shown["latest"][:2] == ["Story number 2", "Story number 3"]


def test_editors_choose_the_lead_and_the_featured_stories_in_their_order(
    client: Client, desk: dict[str, Any]
) -> None:
    choose(desk["home"], desk["s4"], desk["s3"], desk["lead"])
    shown = front(client)
    assert shown["lead"] == "Story number 4"
    assert shown["featured"] == ["Story number 3", "Court opens trial of reporter"]
    # "Latest" is the newest not already shown, and no story is shown twice.
    assert shown["latest"] == ["Story number 1", "Story number 2", "Story number 5"]
    every = [shown["lead"], *shown["featured"], *shown["latest"], *shown["sections"]]
    assert len(every) == len(set(every))


@pytest.mark.parametrize("stale", ["unpublished", "restricted", "deleted"])
def test_a_choice_readers_cannot_see_falls_back_to_the_newest(
    client: Client, desk: dict[str, Any], stale: str
) -> None:
    choose(desk["home"], desk["s4"], desk["s3"], desk["s5"])
    if stale == "unpublished":
        desk["s4"].unpublish()
        desk["s3"].unpublish()
    elif stale == "restricted":
        for story in (desk["s4"], desk["s3"]):
            PageViewRestriction.objects.create(
                page=story, restriction_type="password", password="x"
            )
    else:
        desk["s4"].delete()
        desk["s3"].delete()
    shown = front(client)
    assert shown["lead"] == "Story number 1"
    assert shown["featured"] == ["Story number 5"]
    assert "Story number 4" not in str(shown) and "Story number 3" not in str(shown)


def test_each_language_has_its_own_front_page(client: Client, desk: dict[str, Any]) -> None:
    choose(desk["home"], desk["s2"])
    choose(factories.home("ru"), desk["russian"])
    assert front(client, "/en/")["lead"] == "Story number 2"
    html = page_html(client, "/ru/")
    assert front(client, "/ru/")["lead"] == "Суд над журналистом"
    assert '<span class="label label-opinion">Мнение</span>' in html


def test_a_story_in_another_language_is_refused_with_a_reason(
    client: Client, desk: dict[str, Any]
) -> None:
    from django.contrib.auth.models import User

    home = desk["home"]
    log_in(client, User.objects.create_superuser("chief", "chief@example.org", "pw"))
    url = f"/admin/pages/{home.pk}/edit/"
    assert client.get(url).status_code == 200
    form = nested_form_data(
        {
            "title": home.title,
            "slug": home.slug,
            "intro": "",
            "lead_story": str(desk["russian"].pk),
            "featured_stories": inline_formset([{"story": str(desk["russian"].pk)}]),
            "action-publish": "publish",
        }
    )
    response = client.post(url, form)
    assert response.status_code == 200
    assert response.content.decode().count("Choose a story in the language of this front") == 2
    home.refresh_from_db()
    assert home.lead_story_id is None and not home.featured_stories.exists()

    form.update(
        nested_form_data(
            {
                "lead_story": str(desk["s3"].pk),
                "featured_stories": inline_formset([{"story": str(desk["s5"].pk)}]),
            }
        )
    )
    assert client.post(url, form).status_code == 302
    assert front(client)["lead"] == "Story number 3"
    assert front(client)["featured"] == ["Story number 5"]


def test_a_change_of_lead_is_scheduled_like_a_story(client: Client, desk: dict[str, Any]) -> None:
    home = choose(desk["home"], desk["s2"])
    home.lead_story = desk["s5"]
    home.go_live_at = timezone.now() + timedelta(minutes=30)
    home.save_revision().publish()
    call_command("publish_scheduled", verbosity=0)
    assert front(client)["lead"] == "Story number 2"  # not yet

    # Half an hour passes: move the scheduled time into the past instead of waiting.
    past = timezone.now() - timedelta(minutes=1)
    revision = HomePage.objects.get(pk=home.pk).latest_revision
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    call_command("publish_scheduled", verbosity=0)  # what `samizdat worker` runs every minute
    assert front(client)["lead"] == "Story number 5"


def test_a_new_lead_re_renders_the_front_page_and_its_feeds_only(desk: dict[str, Any]) -> None:
    home = choose(desk["home"], desk["s2"])
    assert home.touched_paths() is None  # its first publication here: nothing to compare
    home = choose(home, desk["s3"], desk["s4"])
    assert home.touched_paths() == ["/en/", "/en/feed/rss/", "/en/feed/atom/"]
    home.title = "The Lantern in English"  # shown on the tag pages too
    home.save_revision().publish()
    assert HomePage.objects.get(pk=home.pk).touched_paths() is None


def test_cards_carry_bylines_labels_thumbnails_and_exact_dates(
    client: Client, desk: dict[str, Any]
) -> None:
    ArticlePage.objects.filter(pk=desk["s2"].pk).update(label="analysis")
    ArticlePage.objects.filter(pk=desk["s3"].pk).update(lead_image=desk["image"])
    html = page_html(client, "/en/")
    card = re.search(r'<article class="card">(?:(?!</article>).)*Story number 2.*?</article>', html)
    assert card is not None
    assert '<p class="card-label"><span class="label label-analysis">Analysis</span></p>' in (
        card.group()
    )
    assert '<span class="byline">By Anna Berg</span>' in card.group()
    published = timezone.localtime(ArticlePage.objects.get(pk=desk["s2"].pk).first_published_at)
    assert f'<time datetime="{published.isoformat(timespec="seconds")}" data-ago>' in card.group()
    # The page says when, never "ago": a copy served tomorrow must still be true.
    assert " ago" not in html and "dates.js" in html
    thumb = re.search(r'<article class="card card-with-image">.*?</article>', html)
    assert thumb is not None and "Story number 3" in thumb.group()
    picture = thumb.group()
    assert 'loading="lazy"' in picture and 'decoding="async"' in picture
    assert re.search(r'<img [^>]*width="160" height="107"', picture)
    assert '<source type="image/avif"' in picture and ".webp 320w" in picture

    ru = page_html(client, "/ru/")
    assert "Суд над журналистом" in ru and "Анна" not in ru


def test_bylines_on_listing_cards_in_both_languages(client: Client, desk: dict[str, Any]) -> None:
    html = page_html(client, "/en/news/")
    assert '<span class="byline">By Anna Berg and Pavel Drozd</span>' in html
    ru_author = factories.AuthorPageFactory(
        parent=factories.author_index("ru"), title="Анна Берг", slug="anna-berg"
    )
    factories.ArticlePageFactory(
        parent=desk["russian"].get_parent(), title="Второй", slug="vtoroy", authors=[ru_author]
    )
    ru = page_html(client, "/ru/novosti/")
    assert '<span class="byline">Текст: Анна Берг</span>' in ru


VIEWPORT = 375  # CSS pixels: a common phone
DPR = 2  # device pixels per CSS pixel on such a phone
ROOT_EM = 16


def slot_width(sizes: str, viewport: int) -> float:
    """The width in CSS pixels a ``sizes`` attribute gives an image at ``viewport``."""

    def length(value: str) -> float:
        number = float(re.sub(r"[a-z]+$", "", value))
        if value.endswith("rem"):
            return number * ROOT_EM
        if value.endswith("vw"):
            return viewport * number / 100
        return number

    for part in (item.strip() for item in sizes.split(",")):
        condition = re.match(r"\(min-width:\s*([\d.]+[a-z]+)\)\s*(.+)$", part)
        if condition is None:
            return length(part)
        if viewport >= length(condition.group(1)):
            return length(condition.group(2))
    return float(viewport)


def chosen_candidate(srcset: str, sizes: str) -> str:
    """The ``srcset`` candidate a browser at VIEWPORT and DPR takes: the narrowest at least
    as wide as the slot in device pixels, else the widest."""
    candidates = sorted(
        (int(width.rstrip("w")), url)
        for url, width in (item.strip().split() for item in srcset.split(","))
    )
    needed = slot_width(sizes, VIEWPORT) * DPR
    return next((url for width, url in candidates if width >= needed), candidates[-1][1])


def image_weight_at_375(html: str, page_path: str) -> tuple[int, int]:
    """Bytes of the images a 375 px, DPR 2 browser that reads AVIF loads for the page (every
    image, also those lazily loaded further down), and how many images."""
    from django.conf import settings

    from tests.publishing.helpers import resolve

    tree = parse_html(html)
    chosen = []
    for picture in tree.iter("picture"):
        source = next(picture.iter("source"), None) or next(picture.iter("img"))
        chosen.append(chosen_candidate(source.get("srcset", ""), source.get("sizes", "")))
    inside = {id(img) for picture in tree.iter("picture") for img in picture.iter("img")}
    for img in tree.iter("img"):
        if id(img) not in inside:
            chosen.append(chosen_candidate(img.get("srcset", ""), img.get("sizes", "")))
    total = 0
    for url in chosen:
        path = resolve(page_path, url)
        assert path.startswith(settings.MEDIA_URL), path
        with open(f"{settings.MEDIA_ROOT}/{path.removeprefix(settings.MEDIA_URL)}", "rb") as f:
            total += len(f.read())
    return total, len(chosen)


def test_the_demo_front_page_loads_at_most_300_kb_of_images_on_a_phone(
    client: Client, site_tree: Any
) -> None:
    from samizdat.publishing.demo import seed_demo

    seed_demo()
    for path in ("/en/", "/ru/"):
        html = page_html(client, path)
        weight, count = image_weight_at_375(html, path)
        print(f"{path}: {count} images, {weight} bytes at {VIEWPORT} px, DPR {DPR}")
        assert count >= 8, count  # the lead and thumbnails on the cards
        assert weight <= 300 * 1024, weight
        # Every image says its size, so that nothing shifts while it loads.
        assert all(img.get("width") and img.get("height") for img in parse_html(html).iter("img"))
