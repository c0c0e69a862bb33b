"""Writing an export into the newsroom: pages, a second run, failures, statuses, languages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from samizdat.core.signals import public_site_changed
from samizdat.importer import media, records
from samizdat.importer.actions import import_export, shorten, standfirst_of
from samizdat.importer.models import ImportedItem
from samizdat.publishing.models import ArticlePage, AuthorPage, InfoPage, SectionPage
from tests.importer.exports import Export, newsroom_export, post

pytestmark = pytest.mark.django_db


def resolver(dry_run: bool = False) -> media.Resolver:
    return media.Resolver(source="wordpress:old.example.org", download=False, dry_run=dry_run)


def run(export: Export, **options: Any) -> Any:
    return import_export(export, resolver=resolver(options.get("dry_run", False)), **options)


def test_an_export_becomes_sections_authors_and_live_articles(site_tree: Any) -> None:
    report = run(newsroom_export(3))

    assert report.counts["post"]["created"] == 3
    section = SectionPage.objects.get(slug="city")
    assert section.title == "City" and section.live
    author = AuthorPage.objects.get(slug="mara")
    assert author.bio == "Covers the harbour."
    story = ArticlePage.objects.get(slug="story-2")
    assert story.live and story.get_parent().pk == section.pk
    assert story.title == "Story number 2"
    assert story.standfirst == "First paragraph of story 2."
    assert story.first_published_at == datetime(2021, 3, 1, 11, 0, tzinfo=UTC)
    assert story.last_published_at == datetime(2021, 3, 2, 11, 0, tzinfo=UTC)
    assert [link.author.pk for link in story.article_authors.all()] == [author.pk]
    assert [tag.name for tag in story.tags.all()] == ["Harbour"]
    assert [block.block_type for block in story.body] == ["paragraph", "paragraph"]
    assert "Totals: " in report.render() and "3 created" in report.render()


def test_imported_articles_are_public_with_title_standfirst_author_and_tags(
    site_tree: Any, client: Client
) -> None:
    run(newsroom_export(1))

    response = client.get("/en/city/story-1/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Story number 1" in html
    assert "First paragraph of story 1." in html
    assert "Mara Quill" in html
    assert "Harbour" in html
    assert client.get("/en/authors/mara/").status_code == 200


def test_a_second_run_changes_nothing_and_counts_unchanged(site_tree: Any) -> None:
    export = newsroom_export(3)
    run(export)
    pages = Page.objects.count()

    report = run(export)

    assert Page.objects.count() == pages
    assert report.counts["post"]["unchanged"] == 3
    assert report.total("created") == 0
    assert ImportedItem.objects.filter(kind="post").count() == 3


def test_a_changed_post_updates_the_same_page(site_tree: Any) -> None:
    export = newsroom_export(2)
    run(export)
    before = ArticlePage.objects.get(slug="story-1")
    export.post_list[0] = replace(
        export.post_list[0], title="Story one, corrected", excerpt="A <i>new</i> standfirst."
    )

    report = run(export)

    after = ArticlePage.objects.get(pk=before.pk)
    assert report.counts["post"]["updated"] == 1 and report.counts["post"]["unchanged"] == 1
    assert after.title == "Story one, corrected"
    assert after.standfirst == "A new standfirst."
    assert after.url_path == before.url_path and after.live
    assert ArticlePage.objects.count() == 2


def test_a_story_corrected_or_taken_down_here_is_left_alone_by_a_later_import(
    site_tree: Any,
) -> None:
    export = newsroom_export(2)
    run(export)
    corrected = ArticlePage.objects.get(slug="story-1")
    corrected.title = "Story one, as our editor fixed it"
    corrected.save_revision().publish()
    ArticlePage.objects.get(slug="story-2").unpublish()  # a takedown
    export.post_list = [
        replace(post, title=post.title + " (edited there)") for post in export.post_list
    ]

    report = run(export)

    assert report.counts["post"]["skipped"] == 2 and report.total("updated") == 0
    assert ArticlePage.objects.get(slug="story-1").title == "Story one, as our editor fixed it"
    assert not ArticlePage.objects.get(slug="story-2").live
    assert "changed here since it was imported: left as it is" in report.render()


def test_a_post_that_cannot_be_converted_is_reported_and_leaves_nothing(site_tree: Any) -> None:
    export = newsroom_export(3)
    # Markup nested deeper than any parser follows (a page builder gone wrong), filed under a
    # category nothing else uses.
    export.post_list[1] = replace(
        export.post_list[1],
        body_html="<div>" * 5000 + "lost",
        category_slugs=["ghost-town"],
        title="The broken one",
    )

    report = run(export)

    assert report.counts["post"]["created"] == 2 and report.counts["post"]["failed"] == 1
    assert [what for what, _reason in report.problems] == ["post 2 “The broken one”"]
    assert not Page.objects.filter(title="The broken one").exists()
    assert not SectionPage.objects.filter(slug="ghost-town").exists()
    assert not ImportedItem.objects.filter(kind="post", source_id="2").exists()
    assert "post 2 “The broken one”" in report.render()


def test_drafts_private_and_scheduled_posts_are_not_live_and_trash_is_skipped(
    site_tree: Any,
) -> None:
    soon = timezone.now() + timedelta(days=2)
    export = newsroom_export(0)
    export.post_list = [
        post(1, status="draft"),
        post(2, status="private"),
        post(3, status="scheduled", published_at=soon),
        post(4, status="trash"),
    ]

    report = run(export)

    draft, private, scheduled = (ArticlePage.objects.get(slug=f"story-{n}") for n in (1, 2, 3))
    assert not draft.live and not private.live and not scheduled.live
    assert scheduled.go_live_at == soon
    assert scheduled.latest_revision is not None
    assert scheduled.latest_revision.approved_go_live_at == soon
    assert not ArticlePage.objects.filter(slug="story-4").exists()
    assert report.counts["post"]["skipped"] == 1 and report.counts["post"]["created"] == 3
    assert any("private" in note for note in report.notes["post 2 “Story number 2”"])
    # Their old addresses say nothing of them (a slug made from a title would tell it).
    assert not Redirect.objects.filter(redirect_page__in=[draft, private, scheduled]).exists()


def test_a_dry_run_writes_nothing_but_reports(site_tree: Any) -> None:
    pages = Page.objects.count()

    report = run(newsroom_export(3), dry_run=True)

    assert Page.objects.count() == pages
    assert not ImportedItem.objects.exists()
    assert report.counts["post"]["created"] == 3
    assert report.render().startswith("Dry run")


def test_categories_merge_into_sections_and_posts_without_one_go_to_the_default(
    site_tree: Any,
) -> None:
    export = newsroom_export(2)
    export.post_list.append(post(3, category_slugs=[]))

    run(export, section_map={"city": "local"}, default_section="misc")

    local = SectionPage.objects.get(slug="local")
    assert ArticlePage.objects.get(slug="story-1").get_parent().pk == local.pk
    assert not SectionPage.objects.filter(slug="city").exists()
    assert ArticlePage.objects.get(slug="story-3").get_parent().slug == "misc"


def test_a_post_in_another_language_goes_under_that_languages_front_page(
    site_tree: Any,
) -> None:
    export = newsroom_export(1)
    export.post_list.append(post(2, language="ru_RU", slug="novost"))
    export.post_list.append(post(3, language="xx", slug="unknown-tongue"))

    report = run(export, languages={"ru_RU": "ru"})

    russian = ArticlePage.objects.get(slug="novost")
    assert russian.locale.language_code == "ru"
    assert (
        russian.url_path.split("/")[1]
        != ArticlePage.objects.get(slug="story-1").url_path.split("/")[1]
    )
    assert ArticlePage.objects.get(slug="unknown-tongue").locale.language_code == "en"
    assert [what for what, _reason in report.problems] == ["language “xx”"]


def test_a_slug_taken_here_gets_a_suffix_and_a_note(site_tree: Any) -> None:
    export = newsroom_export(2)
    export.post_list[1] = replace(export.post_list[1], slug="story-1")

    report = run(export)

    assert sorted(ArticlePage.objects.values_list("slug", flat=True)) == ["story-1", "story-1-2"]
    assert any("story-1-2" in note for note in report.notes["post 2 “Story number 2”"])


def test_pages_become_information_pages_under_the_front_page(site_tree: Any) -> None:
    export = newsroom_export(0)
    export.post_list = [post(7, kind="page", slug="about", title="About us")]

    run(export)

    about = InfoPage.objects.get(slug="about")
    assert about.live and about.get_parent().pk == site_tree.pk


def test_posts_without_an_author_get_a_newsroom_byline(site_tree: Any) -> None:
    export = newsroom_export(0)
    export.author_list = []
    export.post_list = [post(1, author_ids=[])]

    run(export)

    story = ArticlePage.objects.get(slug="story-1")
    assert [link.author.title for link in story.article_authors.all()] == ["Newsroom"]


def test_progress_is_told_as_posts_are_done(site_tree: Any) -> None:
    seen: list[int] = []

    run(newsroom_export(3), progress=seen.append)

    assert seen == [1, 2, 3]


def test_standfirsts_are_shortened_on_a_word_boundary() -> None:
    text = "word " * 100
    short = shorten(text.strip(), 300)
    assert len(short) <= 300 and short.endswith("word…")
    blocks = [{"type": "paragraph", "value": "<p>From the <b>body</b>.</p>"}]
    assert standfirst_of("", blocks, "Title") == "From the body."
    assert standfirst_of("", [], "Title") == "Title"


def test_a_post_listed_twice_is_written_once_and_the_second_reported(site_tree: Any) -> None:
    export = newsroom_export(3)
    export.post_list.append(replace(export.post_list[0], slug="story-1-again"))

    report = run(export)

    assert ArticlePage.objects.count() == 3
    assert not ArticlePage.objects.filter(slug="story-1-again").exists()
    assert report.counts["post"]["created"] == 3 and report.counts["post"]["skipped"] == 1
    assert report.problems == [
        ("post 1 “Story number 1”", "listed twice in the export: only the first is imported")
    ]
    assert client_sees_story(1)


def client_sees_story(number: int) -> bool:
    return Client().get(f"/en/city/story-{number}/").status_code == 200


def test_an_import_asks_for_one_build_of_the_whole_site_and_indexes_for_search(
    site_tree: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BUNDLE_AUTO_BUILD = True
    announced: list[Any] = []

    def listen(sender: Any, paths: Any = None, **kwargs: Any) -> None:
        announced.append(paths)

    public_site_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(newsroom_export(5))
    finally:
        public_site_changed.disconnect(listen)

    assert announced == [None]  # the whole site, once: not a rebake per article
    found = ArticlePage.objects.live().search("Story number 4")
    assert "Story number 4" in [page.title for page in found]


class CutShort(Export):
    """An export whose file breaks off after its first two posts."""

    def posts(self) -> Iterator[records.Post]:
        yield from self.post_list[:2]
        raise records.ExportError("gazette.xml: the file ends inside an <item> (line 812)")


def test_an_export_cut_short_keeps_the_posts_read_before_and_says_why(site_tree: Any) -> None:
    whole = newsroom_export(3)
    export = CutShort(author_list=whole.author_list, term_list=whole.term_list)
    export.post_list = whole.post_list

    report = run(export)

    assert sorted(ArticlePage.objects.values_list("slug", flat=True)) == ["story-1", "story-2"]
    assert report.stopped == "gazette.xml: the file ends inside an <item> (line 812)"
    assert "line 812" in report.render()


def test_a_post_no_longer_published_there_is_withdrawn_here(site_tree: Any) -> None:
    export = newsroom_export(1)
    run(export)
    export.post_list[0] = replace(export.post_list[0], status="draft")

    report = run(export)

    assert not ArticlePage.objects.get(slug="story-1").live
    assert Client().get("/en/city/story-1/").status_code == 404
    assert report.counts["post"]["updated"] == 1
