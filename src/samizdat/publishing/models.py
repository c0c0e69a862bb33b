"""Wagtail pages of a newsroom: home, sections, articles, authors."""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection, models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
    TitleFieldPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model_string
from wagtail.models import (
    Locale,
    Orderable,
    Page,
    PageLogEntry,
    PageQuerySet,
    PageViewRestriction,
    Revision,
)
from wagtail.search import index

from samizdat.core import build_memo
from samizdat.core.appearance import site_name
from samizdat.core.paths import absolute, language_roots, public_path, roots_for
from samizdat.publishing import feeds
from samizdat.publishing.blocks import (
    ArticleBodyBlock,
    ArticleNotesBlock,
    InfoBodyBlock,
    LiveUpdatesBlock,
    anchor_of,
)
from samizdat.publishing.openpgp import validate_public_key
from samizdat.publishing.search import StemmedSearchField, search_stories
from samizdat.publishing.secure_contact import validate_securedrop, validate_signal

WORDS_PER_MINUTE = 200
RELATED_COUNT = 4
SEARCH_NOISE = re.compile(r'["\x00-\x1f\x7f]')
RELATED_CANDIDATES = 100
RESTRICTIONS_CACHE_KEY = "samizdat:view-restrictions-exist"
NAV_CACHE_KEY = "samizdat:nav:{locale}"
POLICY_CACHE_KEY = "samizdat:privacy-policy:{language}"
SITE_PAGES_CACHE_KEY = "samizdat:site-pages:{locale}"
CARD_FIELDS = (
    "pk",
    "title",
    "url_path",
    "standfirst",
    "first_published_at",
    "label",
    "lead_image_id",
)
# What kind of story an article is (blank: plain news), as news sites label them.
STORY_LABELS = [
    ("opinion", _("Opinion")),
    ("analysis", _("Analysis")),
    ("explainer", _("Explainer")),
    ("live", _("Live")),
    ("exclusive", _("Exclusive")),
]
FEATURED_LIMIT = 6  # featured stories an editor may put beside the lead
LATEST_COUNT = 6  # stories in the front page's "Latest" list
SECTION_BLOCK_COUNT = 4  # stories in each section block of the front page
EARLIER_REVISIONS = 10  # revisions whose tags and authors a correction may have changed
# What a story card (listings, "Read more") shows of a story, as its revisions store it: a
# publication that changes none of these leaves the "Read more" of later stories as it was.
CARD_CONTENT = ("title", "standfirst", "lead_image", "label")
# A page that was never published counts as the oldest: everything after it may change.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def articles() -> PageQuerySet:
    """Live articles readers may see, newest first (for listings, feeds and "Read more")."""
    queryset = ArticlePage.objects.live().order_by("-first_published_at", "-pk")
    if view_restrictions_exist():
        queryset = queryset.public()
    return queryset


def listing(queryset: PageQuerySet) -> Any:
    """The fields a story card shows, as plain rows: listings need no page objects."""
    return queryset.values(*CARD_FIELDS)


def with_bylines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each card row's authors' names (``authors``), in their order: one query for the
    whole listing (none in a bundle build, which reads every story's authors at once)."""
    if build_memo.is_building():
        by_story = build_memo.remembered(("story authors",), _authors_by_story)
        for row in rows:
            row["authors"] = [title for title, _url_path in by_story.get(row["pk"], [])]
        return rows
    ids = [row["pk"] for row in rows]
    names: dict[int, list[str]] = {pk: [] for pk in ids}
    if ids:
        links = (
            ArticlePageAuthor.objects.filter(page_id__in=ids)
            .order_by("page_id", "sort_order", "pk")
            .values_list("page_id", "author__title")
        )
        for page_id, title in links:
            names[page_id].append(title)
    for row in rows:
        row["authors"] = names[row["pk"]]
    return rows


def story_cards(pks: list[int]) -> dict[int, dict[str, Any]]:
    """The card rows, with bylines, of these stories (those that exist), by pk.

    A bundle build shows each story's card in the "Read more" of up to a hundred later
    stories: there (``build_memo``) the cards of every live story are read at once, a story
    published since then alone, and each page gets its own copy of the row."""
    if not build_memo.is_building():
        rows = with_bylines(list(ArticlePage.objects.filter(pk__in=pks).values(*CARD_FIELDS)))
        return {row["pk"]: row for row in rows}
    known: dict[int, dict[str, Any]] = build_memo.remembered(("story cards",), _live_cards)
    if missing := [pk for pk in pks if pk not in known]:
        rows = ArticlePage.objects.filter(pk__in=missing).values(*CARD_FIELDS)
        known.update((row["pk"], row) for row in with_bylines(list(rows)))
    return {pk: dict(known[pk]) for pk in pks if pk in known}


def _live_cards() -> dict[int, dict[str, Any]]:
    rows = with_bylines(list(ArticlePage.objects.live().values(*CARD_FIELDS)))
    return {row["pk"]: row for row in rows}


def with_images(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each card row's lead image (``image``, or None) for its thumbnail: one query for
    the whole listing."""
    from wagtail.images import get_image_model

    ids = {row["lead_image_id"] for row in rows if row.get("lead_image_id")}
    images = get_image_model().objects.in_bulk(ids) if ids else {}
    for row in rows:
        row["image"] = images.get(row.get("lead_image_id"))
    return rows


@dataclass
class ListingPage:
    """One page of a listing: the newest stories at the listing's own address, then archive
    pages numbered from the oldest story.

    Page ``n`` holds stories ``(n-1)·size … n·size-1`` counted from the oldest, and only full
    pages are archive pages; the listing's own address shows the rest, between ``size`` and
    ``2·size-1`` stories. A new story therefore changes the listing's address and, once in
    ``size`` stories, adds one archive page: every other page keeps its bytes, which is what
    lets the static bundle re-render a handful of files per publication.
    """

    items: list[Any]
    number: int | None  # None: the listing's own address
    older: int | None  # the next older archive page, if any
    newer: int | None  # the next newer archive page; None with has_newer: the listing itself

    def __iter__(self) -> Any:
        return iter(self.items)

    @property
    def has_newer(self) -> bool:
        return self.number is not None

    @property
    def has_older(self) -> bool:
        return self.older is not None


MAX_PAGE_NUMBER = 100_000


def archive_pages(total: int, size: int) -> int:
    """How many numbered archive pages a listing of ``total`` stories has."""
    return max(0, total // size - 1)


FEED_KINDS = ("rss", "atom")
PODCAST_PATH = "/feed/podcast/"  # below a section's address: its stories with audio


def feed_paths(base: str) -> list[str]:
    """A listing's feeds, below its address ``base`` ("/" for a page's own)."""
    return [f"{base}feed/{kind}/" for kind in FEED_KINDS]


def listing_paths(base: str, total: int) -> list[str]:
    """Every page of a listing of ``total`` stories at ``base``: its address and archive."""
    pages = archive_pages(total, settings.ARTICLES_PER_PAGE)
    return [base, *(f"{base}page/{number}/" for number in range(1, pages + 1))]


def position_paths(base: str, queryset: PageQuerySet, article: ArticlePage) -> list[str]:
    """The pages of a newest-first listing at ``base`` that may change when ``article``
    appears in it, changes or leaves: its address, and the archive pages from the article's
    on, one past the last (a story that leaves may end a page)."""
    size = settings.ARTICLES_PER_PAGE
    published = article.first_published_at or EPOCH
    older = queryset.filter(
        Q(first_published_at__lt=published) | Q(first_published_at=published, pk__lt=article.pk)
    ).count()
    pages = archive_pages(queryset.count(), size)
    # The last two pages too: a story that completes a page adds one (and changes the "newer"
    # link of the one before).
    first = max(min(older // size + 1, pages - 1), 1)
    return [base, *(f"{base}page/{number}/" for number in range(first, pages + 2))]


def paginate(
    queryset: Any,
    number: int | None = None,
    request: HttpRequest | None = None,
    *,
    memo: Hashable | None = None,
) -> ListingPage:
    """The listing's own page (``number`` None) or archive page ``number``; 404 for pages that
    do not exist or are not written the canonical way (``page/01/``).

    ``queryset`` is ordered newest first. In a bundle build (``build_memo``) the listing that
    ``memo`` names is read whole once and each of its pages is cut from it: every archive page
    of a large section counted its stories and read its slice again, more than its rendering
    cost.
    """
    if memo is not None and build_memo.is_building():
        stories = queryset
        queryset = Entries(build_memo.remembered(("listing", memo), lambda: list(stories)))
    size = settings.ARTICLES_PER_PAGE
    if number is not None:
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise Http404("No such page")
        if request is not None and "/page/" in request.path:
            written = request.path.rstrip("/").rsplit("/", 1)[-1]
            if written != str(number):
                raise Http404("Not the address of this page")
    total = queryset.count()
    last = archive_pages(total, size)
    if number is None:
        items = list(queryset[: total - last * size])
        return ListingPage(items=bylines_of(items), number=None, older=last or None, newer=None)
    if number > last:
        raise Http404("No such page")
    oldest_first = queryset.reverse()
    items = list(oldest_first[(number - 1) * size : number * size])[::-1]
    return ListingPage(
        items=bylines_of(items),
        number=number,
        older=number - 1 or None,
        newer=number + 1 if number < last else None,
    )


def bylines_of(items: list[Any]) -> list[Any]:
    """Card rows with their bylines; other entries (corrections) as they are."""
    if items and all(isinstance(item, dict) and "pk" in item for item in items):
        return with_bylines(items)
    return items


def sub_page_alternates(number: int | None) -> dict[str, Any]:
    """Numbered listing pages have no translation of their own: no hreflang alternates."""
    return {"translations": []} if number is not None else {}


def navigation(locale_id: int) -> list[tuple[str, str]]:
    """The section links of the site header for a locale: (title, url_path), cached."""
    key = NAV_CACHE_KEY.format(locale=locale_id)
    nav = cache.get(key)
    if nav is None:
        nav = list(
            SectionPage.objects.live()
            .in_menu()
            .filter(locale_id=locale_id)
            .order_by("path")
            .values_list("title", "url_path")
        )
        cache.set(key, nav, 300)
    return nav


def view_restrictions_exist() -> bool:
    """Whether any page is private or password-protected (cached; see signals)."""
    exist = cache.get(RESTRICTIONS_CACHE_KEY)
    if exist is None:
        exist = PageViewRestriction.objects.exists()
        cache.set(RESTRICTIONS_CACHE_KEY, exist, 60)
    return bool(exist)


def _no_view_restrictions() -> Any:
    """For a bundle build: an empty set of restrictions, already read, which every page
    without any hands back (asked whether it holds any, or looped over, it answers at once),
    or None when some page has restrictions (each page then asks Wagtail)."""
    if PageViewRestriction.objects.exists():
        return None
    empty = PageViewRestriction.objects.none()
    len(empty)  # read now: the pages ask it without a query of their own
    return empty


def forget_view_restrictions() -> None:
    cache.delete(RESTRICTIONS_CACHE_KEY)


def forget_navigation() -> None:
    locales = list(Locale.objects.values_list("pk", flat=True))
    cache.delete_many(
        [NAV_CACHE_KEY.format(locale=pk) for pk in locales]
        + [SITE_PAGES_CACHE_KEY.format(locale=pk) for pk in locales]
    )


def site_links(locale_id: int) -> dict[str, list[tuple[str, str]]]:
    """The links every page of a locale shows, as (title, url_path), cached: ``header``, the
    sections and information pages shown in menus, in tree order (the order of the admin's
    page explorer); ``footer``, the information pages shown in the footer, in tree order."""
    key = SITE_PAGES_CACHE_KEY.format(locale=locale_id)
    links = cache.get(key)
    if links is None:
        pages = Page.objects.live().filter(locale_id=locale_id).order_by("path")
        if view_restrictions_exist():
            pages = pages.public()
        in_menus = pages.in_menu().type(SectionPage, InfoPage)
        in_footer = InfoPage.objects.live().filter(
            pk__in=pages.type(InfoPage).values("pk"), show_in_footer=True
        )
        links = {
            "header": list(in_menus.values_list("title", "url_path")),
            "footer": list(in_footer.order_by("path").values_list("title", "url_path")),
        }
        cache.set(key, links, 300)
    return links


class NewsroomPage(Page):
    """Abstract base: shared context (navigation, translations) for every public page."""

    class Meta:
        abstract = True

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        """Wagtail's routing, where a bundle build (``build_memo``) reads each page on the way
        to an address once: the same pages lead to many addresses (a section's listing,
        archive pages and feeds)."""
        if not path_components or not build_memo.is_building():
            return super().route(request, path_components)
        child = build_memo.remembered(
            ("child page", self.pk, path_components[0]), lambda: self._child(path_components[0])
        )
        if child is None:
            raise Http404
        return child.route(request, path_components[1:])

    def _child(self, slug: str) -> Page | None:
        """The child page with this slug, as Wagtail's ``route`` reads it, or None."""
        try:
            child = self.get_children().get(slug=slug)
        except Page.DoesNotExist:
            return None
        child._cached_parent_obj = self  # as Wagtail's route: its parent without a query
        return child.specific

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        translations = self.live_translations(request)
        available = {item["language"]: item["path"] for item in translations}
        context.update(
            navigation=navigation(self.locale_id),
            translations=translations,
            language_links=[
                {
                    "code": code,
                    "name": name,
                    "path": available.get(code, f"/{code}/"),
                    "translated": code in available,
                }
                for code, name in settings.LANGUAGES
            ],
            canonical_url=absolute(request.path),
        )
        return context

    def public_paths(self, roots: list[tuple[str, str]] | None = None) -> list[str]:
        """Every public address this page answers at: its own and those of its sub-pages
        (archive pages, feeds…) as ``get_cached_paths`` lists them."""
        base = public_path(self.url_path, roots or language_roots())
        if base is None:
            return []
        return [base + sub.lstrip("/") for sub in self.get_cached_paths()]

    def touched_paths(self) -> list[str] | None:
        """The public paths a publication of this page may change (or remove); None: any
        page may have changed (a section's or a policy's title is on every page)."""
        return None

    def get_view_restrictions(self) -> Any:
        # Most newsrooms restrict nothing: one cheap query instead of Wagtail's two then. This
        # guards the page itself, so it asks the database, never a cache that may be stale;
        # a bundle build asks once (``build_memo``): a restriction added meanwhile announces
        # a change of every page, which the next build renders.
        if build_memo.is_building():
            empty = build_memo.remembered(("no view restrictions",), _no_view_restrictions)
            if empty is not None:
                return empty
        elif not PageViewRestriction.objects.exists():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def meta_description(self) -> str:
        for name in ("search_description", "standfirst", "intro", "bio"):
            value = getattr(self, name, "")
            if value:
                return str(value)
        return site_name()

    def live_translations(self, request: HttpRequest | None) -> list[dict[str, str]]:
        """Every live language version of this page (itself included) with its public path."""
        roots = roots_for(request)
        if build_memo.is_building():  # a bundle build reads every page's at once
            translations = build_memo.remembered(("live translations",), _live_translations)
            rows = translations.get(self.translation_key, [])
        else:
            rows = list(
                Page.objects.live()
                .filter(translation_key=self.translation_key)
                .order_by("locale__language_code")
                .values_list("url_path", "locale__language_code")
            )
        result = []
        for url_path, language in rows:
            href = public_path(url_path, roots)
            if href:
                result.append({"language": language, "path": href})
        return result


def _live_translations() -> dict[Any, list[tuple[str, str]]]:
    """The (url_path, language) of every live page by translation key, by language."""
    found: dict[Any, list[tuple[str, str]]] = {}
    rows = (
        Page.objects.live()
        .order_by("locale__language_code")
        .values_list("translation_key", "url_path", "locale__language_code")
    )
    for key, url_path, language in rows:
        found.setdefault(key, []).append((url_path, language))
    return found


def other_language_story(story: Page | None, locale_id: int | None) -> bool:
    """Whether ``story`` (a chosen lead or featured story) is in another language."""
    return story is not None and locale_id is not None and story.locale_id != locale_id


class HomePageForm(WagtailAdminPageForm):
    """The front page's form: the lead and featured stories must be of its language."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        locale_id = self.instance.locale_id
        if other_language_story(cleaned.get("lead_story"), locale_id):
            self.add_error("lead_story", ValidationError(FOREIGN_STORY, code="locale"))
        formset = self.formsets.get("featured_stories")
        if formset is not None and formset.is_valid():
            for form in formset.forms:
                data = getattr(form, "cleaned_data", {})
                if data.get("DELETE"):
                    continue
                if other_language_story(data.get("story"), locale_id):
                    form.add_error("story", ValidationError(FOREIGN_STORY, code="locale"))
        return cleaned


FOREIGN_STORY = _("Choose a story in the language of this front page.")


class HomePage(RoutablePageMixin, NewsroomPage):
    """The front page of one language: the lead and featured stories editors choose (or the
    newest), the latest stories, then the latest per section."""

    intro = models.TextField(_("intro"), blank=True)
    lead_story = models.ForeignKey(
        "publishing.ArticlePage",
        verbose_name=_("lead story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "The story at the top of the front page. Empty, or no longer published: the "
            "newest story leads."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        PageChooserPanel("lead_story", page_type="publishing.ArticlePage"),
        InlinePanel(
            "featured_stories",
            label=_("Featured stories"),
            heading=_("Featured stories"),
            max_num=FEATURED_LIMIT,
        ),
    ]
    base_form_class = HomePageForm
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "publishing.SectionPage",
        "publishing.AuthorIndexPage",
        "publishing.PrivacyPolicyPage",
        "newsletter.NewsletterPage",
        "publishing.InfoPage",
    ]
    template = "publishing/home_page.html"

    class Meta:
        verbose_name = _("home page")

    @path("", name="index")
    def index(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, context_overrides=self.front_page())

    def clean(self) -> None:
        super().clean()
        if other_language_story(self.lead_story, self.locale_id):
            raise ValidationError({"lead_story": ValidationError(FOREIGN_STORY, code="locale")})

    def chosen_story_ids(self) -> list[int]:
        """The lead and featured stories as the editors chose them, in order (also unsaved
        choices held in memory, for previews)."""
        featured = [item.story_id for item in self.featured_stories.all() if item.story_id]
        return list(
            dict.fromkeys([self.lead_story_id, *featured] if self.lead_story_id else featured)
        )

    def front_page(self) -> dict[str, Any]:
        """The lead, the featured stories, the latest stories and the latest of each section,
        each story shown once, as card rows with bylines and thumbnails.

        A choice that is no longer there for readers (withdrawn, restricted, deleted, moved to
        another language) is left out; without a lead the newest story leads. A fixed number of
        queries: one per section, however many stories are chosen or published.
        """
        in_locale = articles().filter(locale_id=self.locale_id)
        chosen = self.chosen_story_ids()
        visible = {row["pk"]: row for row in listing(in_locale.filter(pk__in=chosen))}
        featured = [visible[pk] for pk in chosen if pk in visible]
        lead = None
        if self.lead_story_id in visible:
            lead = featured.pop(0)
        shown = {row["pk"] for row in featured}
        if lead is None:
            lead = listing(in_locale.exclude(pk__in=shown)).first()
        if lead is not None:
            shown.add(lead["pk"])
        latest = list(listing(in_locale.exclude(pk__in=shown))[:LATEST_COUNT])
        shown |= {row["pk"] for row in latest}
        blocks = []
        for title, url_path in navigation(self.locale_id):
            items = listing(in_locale.filter(url_path__startswith=url_path).exclude(pk__in=shown))
            blocks.append(
                {
                    "title": title,
                    "url_path": url_path,
                    "articles": list(items[:SECTION_BLOCK_COUNT]),
                }
            )
        every = [*([lead] if lead else []), *featured, *latest]
        every += [row for block in blocks for row in block["articles"]]
        with_bylines(every)
        with_images(every)
        return {"lead": lead, "featured": featured, "latest": latest, "section_blocks": blocks}

    def touched_paths(self) -> list[str] | None:
        """A new lead, new featured stories or a new intro change the front page alone (and
        its feeds, which follow it); a new title shows on its tag pages too, so anything but
        the same title as at the previous publication asks for a full build."""
        publications = PageLogEntry.objects.filter(page_id=self.pk, action="wagtail.publish")
        earlier = publications.order_by("-timestamp", "-pk").values_list("revision", flat=True)
        revisions = [pk for pk in earlier[:2] if pk is not None]
        if len(revisions) < 2:
            return None
        previous = self.revisions.filter(pk=revisions[1]).values_list("content", flat=True).first()
        if not previous or previous.get("title") != self.title or previous.get("slug") != self.slug:
            return None
        base = public_path(self.url_path, language_roots())
        if base is None:
            return None
        return [base, *feed_paths(base)]

    def tagged(self, tag: Tag) -> PageQuerySet:
        return articles().filter(locale_id=self.locale_id, tags=tag)

    def get_cached_paths(self) -> list[str]:
        """The front page, its feeds, every tag's listing and feeds, and the corrections."""
        paths = ["/", *feed_paths("/")]
        total = len(corrections(self.locale_id))
        paths += listing_paths(CORRECTIONS_PATH, total) + feed_paths(CORRECTIONS_PATH)
        in_locale = articles().filter(locale_id=self.locale_id)
        for tag in Tag.objects.filter(pk__in=in_locale.values("tags")).order_by("slug"):
            base = f"/tags/{tag.slug}/"
            paths += listing_paths(base, self.tagged(tag).count()) + feed_paths(base)
        return paths

    @re_path(r"^tags/(?P<tag>[-\w]+)/$", name="tag")
    # Six digits at most (MAX_PAGE_NUMBER): a longer number is no page, not an error.
    @re_path(r"^tags/(?P<tag>[-\w]+)/page/(?P<number>[0-9]{1,6})/$", name="tag_page")
    def tag(self, request: HttpRequest, tag: str, number: int | str | None = None) -> HttpResponse:
        number = int(number) if number is not None else None
        tag_obj = Tag.objects.filter(slug=tag).first()
        if tag_obj is None or not self.tagged(tag_obj).exists():
            raise Http404("No such tag")
        items = listing(self.tagged(tag_obj))
        return self.render(
            request,
            context_overrides={
                "tag": tag_obj,
                "page_obj": paginate(
                    items, number, request, memo=("tag", self.locale_id, tag_obj.pk)
                ),
                "translations": [],
            },
            template="publishing/tag_page.html",
        )

    @re_path(r"^tags/(?P<tag>[-\w]+)/feed/(?P<kind>rss|atom)/$", name="tag_feed")
    def tag_feed(self, request: HttpRequest, tag: str, kind: str) -> HttpResponse:
        tag_obj = Tag.objects.filter(slug=tag).first()
        if tag_obj is None or not self.tagged(tag_obj).exists():
            raise Http404("No such tag")
        items = self.tagged(tag_obj)
        return feeds.respond(
            kind,
            request,
            title=f"{site_name()}: #{tag_obj.name}",
            path=self.public_path(request) + f"tags/{tag_obj.slug}/",
            items=items,
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        items = articles().filter(locale_id=self.locale_id)
        return feeds.respond(
            kind, request, title=site_name(), path=self.public_path(request), items=items
        )

    @path("corrections/", name="corrections")
    @path("corrections/page/<int:number>/", name="corrections_page")
    def corrections_listing(self, request: HttpRequest, number: int | None = None) -> HttpResponse:
        """Every correction and update of the language's stories, newest first."""
        entries = Entries(corrections(self.locale_id, roots_for(request)))
        context = self.get_context(request)
        translations = [
            {"language": item["language"], "path": item["path"] + CORRECTIONS_PATH.lstrip("/")}
            for item in context["translations"]
        ]
        return self.render(
            request,
            context_overrides={
                "page_obj": paginate(entries, number, request),
                "corrections_path": self.public_path(request) + CORRECTIONS_PATH.lstrip("/"),
                "translations": translations if number is None else [],
                "language_links": [
                    {**link, "path": link["path"] + CORRECTIONS_PATH.lstrip("/")}
                    if link["translated"]
                    else link
                    for link in context["language_links"]
                ],
            },
            template="publishing/corrections_page.html",
        )

    @re_path(r"^corrections/feed/(?P<kind>rss|atom)/$", name="corrections_feed")
    def corrections_feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        base = self.public_path(request) + CORRECTIONS_PATH.lstrip("/")
        return feeds.respond_notes(
            kind,
            request,
            title=f"{site_name()}: {_('Corrections and updates')}",
            path=base,
            notes=corrections(self.locale_id, roots_for(request)),
        )

    @path("search/", name="search")
    def search(self, request: HttpRequest) -> HttpResponse:
        # Quotes and control characters are full-text query syntax, not words: drop them.
        query = SEARCH_NOISE.sub(" ", request.GET.get("q", ""))[:200].strip()
        page_obj = None
        if query:
            results = search_stories(
                articles().filter(locale_id=self.locale_id),
                query,
                language=self.locale.language_code,
            )
            try:
                number = max(1, int(request.GET.get("page", "1")))
            except ValueError:
                number = 1
            paginator = Paginator(results, settings.ARTICLES_PER_PAGE)
            page_obj = paginator.get_page(number)
        return self.render(
            request,
            context_overrides={"query": query, "page_obj": page_obj, "translations": []},
            template="publishing/search_page.html",
        )

    def public_path(self, request: HttpRequest | None = None) -> str:
        return public_path(self.url_path, roots_for(request)) or "/"


class SectionPage(RoutablePageMixin, NewsroomPage):
    """A section of the newsroom (News, Business…): its articles, newest first, paginated."""

    intro = models.TextField(_("intro"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["publishing.HomePage"]
    subpage_types = ["publishing.ArticlePage"]
    template = "publishing/section_page.html"

    class Meta:
        verbose_name = _("section")

    def stories(self) -> PageQuerySet:
        # Filtering on url_path (which no index serves) lets the database walk the
        # publication-date index newest first and stop after one page of stories.
        return articles().filter(url_path__startswith=self.url_path)

    def get_cached_paths(self) -> list[str]:
        podcast = [PODCAST_PATH] if self.has_podcast() else []
        return listing_paths("/", self.stories().count()) + feed_paths("/") + podcast

    def has_podcast(self) -> bool:
        """Whether the section's podcast has episodes (one query when it has none, which
        reads every story's body: once for all the pages of a bundle build)."""
        return build_memo.remembered(("has podcast", self.pk), self._has_podcast)

    def _has_podcast(self) -> bool:
        return with_media_blocks(self.stories(), ("audio",)).exists() and bool(self.episodes())

    def episodes(self) -> list[tuple[ArticlePage, Any]]:
        """The section's stories with audio, newest first, each with its first audio block's
        value: the episodes of its podcast."""
        found = []
        candidates = with_media_blocks(self.stories(), ("audio",)).select_related("locale")
        for article in candidates[: feeds.FEED_LENGTH]:
            audio = next((item.value for item in article.body if item.block_type == "audio"), None)
            if audio is not None and audio.get("media") is not None:
                found.append((article, audio))
        return found

    @path("", name="index")
    @path("page/<int:number>/", name="page")
    def index(self, request: HttpRequest, number: int | None = None) -> HttpResponse:
        return self.render(
            request,
            context_overrides={
                "page_obj": paginate(
                    listing(self.stories()), number, request, memo=("section", self.pk)
                ),
                "has_podcast": self.has_podcast(),
                **sub_page_alternates(number),
            },
        )

    @path("feed/podcast/", name="podcast")
    def podcast(self, request: HttpRequest) -> HttpResponse:
        episodes = self.episodes()
        if not episodes:
            raise Http404("No episodes")
        return feeds.podcast_response(
            request,
            title=f"{settings.SITE_NAME}: {self.title}",
            summary=self.intro or self.title,
            path=public_path(self.url_path, roots_for(request)) or "/",
            episodes=episodes,
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        return feeds.respond(
            kind,
            request,
            title=f"{site_name()}: {self.title}",
            path=public_path(self.url_path, roots_for(request)) or "/",
            items=self.stories(),
        )


class PrivacyPolicyPage(NewsroomPage):
    """What the newsroom does with readers' data. Forms link here and record its version."""

    body = RichTextField(_("policy"), features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_(
            "Raise this number whenever the policy changes in substance: every consent "
            "records the version the reader agreed to."
        ),
    )

    content_panels = [*Page.content_panels, FieldPanel("version"), FieldPanel("body")]
    parent_page_types = ["publishing.HomePage"]
    subpage_types: list[str] = []
    template = "publishing/privacy_policy_page.html"

    class Meta:
        verbose_name = _("privacy policy")


def privacy_policy(language: str) -> dict[str, Any] | None:
    """The live privacy policy of a language (or the default language): path and version."""
    key = POLICY_CACHE_KEY.format(language=language)
    found = cache.get(key)
    if found is None:
        rows = (
            PrivacyPolicyPage.objects.live()
            .filter(locale__language_code__in=[language, settings.LANGUAGE_CODE])
            .values_list("url_path", "version", "locale__language_code")
        )
        ranked = sorted(rows, key=lambda row: row[2] != language)
        found = {}
        if ranked:
            url_path, version, _language = ranked[0]
            path_ = public_path(url_path, roots_for(None))
            if path_:
                found = {"path": path_, "version": version}
        cache.set(key, found, 300)
    return found or None


def forget_privacy_policy() -> None:
    cache.delete_many([POLICY_CACHE_KEY.format(language=code) for code, _n in settings.LANGUAGES])


class InfoPage(NewsroomPage):
    """A page every outlet has (About, Contact, Corrections policy, Imprint, How to reach us
    securely, Jobs…): title, intro and body, placed in the header and/or the footer as the
    editor chooses ("Show in menus", "Show in footer" on the Promote tab)."""

    intro = models.TextField(_("intro"), max_length=600, blank=True)
    body = StreamField(InfoBodyBlock(), blank=True, verbose_name=_("body"))
    show_in_footer = models.BooleanField(
        _("show in footer"),
        default=False,
        help_text=_("Link to this page at the foot of every page of its language."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    promote_panels = [
        *Page.promote_panels,
        MultiFieldPanel([FieldPanel("show_in_footer")], heading=_("Footer")),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["publishing.HomePage", "publishing.InfoPage"]
    subpage_types = ["publishing.InfoPage"]
    template = "publishing/info_page.html"

    class Meta:
        verbose_name = _("information page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        children = InfoPage.objects.live().child_of(self).order_by("path")
        if view_restrictions_exist():
            children = children.public()
        context["sub_pages"] = list(children.values_list("title", "url_path"))
        return context

    def touched_paths(self) -> list[str] | None:
        """A page in the header or footer (now or in a recent revision) is on every page of
        its language: all of them. Any other is on its own addresses, its translations' (the
        language switcher), its parent's list of sub-pages and the sitemaps."""
        from samizdat.publishing.sitemaps import sitemap_paths

        if not InfoPage.objects.live().public().filter(pk=self.pk).exists():
            return None  # withdrawn or private: it leaves every copy and every menu
        if self.show_in_menus or self.show_in_footer or self._was_placed():
            return None
        roots = language_roots()
        paths = self.public_paths(roots)
        parent = InfoPage.objects.live().filter(path=self.path[: -self.steplen]).first()
        if parent is not None:
            paths += parent.public_paths(roots)
        translations = Page.objects.live().filter(translation_key=self.translation_key)
        for url_path in translations.exclude(pk=self.pk).values_list("url_path", flat=True):
            if (path_ := public_path(url_path, roots)) is not None:
                paths.append(path_)
        return list(dict.fromkeys([*paths, *sitemap_paths()]))

    def _was_placed(self) -> bool:
        """Whether a recent revision had the page in the header or the footer."""
        revisions = self.revisions.order_by("-created_at", "-pk")
        return any(
            content.get("show_in_menus") or content.get("show_in_footer")
            for content in revisions.values_list("content", flat=True)[:EARLIER_REVISIONS]
        )

    def shows_secure_contact(self) -> bool:
        return any(block.get("type") == "secure_contact" for block in self.body.raw_data)


@register_setting(icon="lock")
class SecureContactSettings(BaseGenericSetting):
    """Settings → Secure contact: how sources reach the newsroom, shown by the "Secure contact"
    block of any information page, as plain text."""

    signal = models.CharField(
        _("Signal"),
        max_length=64,
        blank=True,
        validators=[validate_signal],
        help_text=_("A phone number with its country code (+49 151 2345678) or a username."),
    )
    securedrop_address = models.CharField(
        _("SecureDrop or onion address"),
        max_length=200,
        blank=True,
        validators=[validate_securedrop],
        help_text=_("The address sources open in Tor Browser."),
    )
    tips_email = models.EmailField(_("email for tips"), blank=True)
    pgp_public_key = models.TextField(
        _("PGP public key"),
        blank=True,
        validators=[validate_public_key],
        help_text=_(
            "The armoured public key, from “-----BEGIN PGP PUBLIC KEY BLOCK-----” to the end "
            "line. Its fingerprint is computed from it."
        ),
    )

    panels = [
        FieldPanel("signal"),
        FieldPanel("securedrop_address"),
        FieldPanel("tips_email"),
        FieldPanel("pgp_public_key"),
    ]

    class Meta:
        verbose_name = _("Secure contact")


def secure_contact_paths() -> list[str]:
    """The public addresses of the pages that show the secure contacts."""
    roots = language_roots()
    paths: list[str] = []
    for page in InfoPage.objects.live().public().order_by("path"):
        if page.shows_secure_contact():
            paths += page.public_paths(roots)
    return paths


class AuthorIndexPage(NewsroomPage):
    """The list of the newsroom's authors."""

    parent_page_types = ["publishing.HomePage"]
    subpage_types = ["publishing.AuthorPage"]
    template = "publishing/author_index_page.html"

    class Meta:
        verbose_name = _("author index")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["authors"] = AuthorPage.objects.live().child_of(self).order_by("title")
        return context


class AuthorPage(RoutablePageMixin, NewsroomPage):
    """A writer or photographer: bio, photo, their articles and feed."""

    role = models.CharField(_("role"), max_length=120, blank=True)
    bio = models.TextField(_("bio"), blank=True)
    photo = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("role"),
        FieldPanel("bio"),
        FieldPanel("photo"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("bio")]
    parent_page_types = ["publishing.AuthorIndexPage"]
    subpage_types: list[str] = []
    template = "publishing/author_page.html"

    class Meta:
        verbose_name = _("author")

    def authored_articles(self) -> PageQuerySet:
        return articles().filter(article_authors__author=self)

    def get_cached_paths(self) -> list[str]:
        return listing_paths("/", self.authored_articles().count()) + feed_paths("/")

    @path("", name="index")
    @path("page/<int:number>/", name="page")
    def index(self, request: HttpRequest, number: int | None = None) -> HttpResponse:
        return self.render(
            request,
            context_overrides={
                "page_obj": paginate(
                    listing(self.authored_articles()), number, request, memo=("author", self.pk)
                ),
                **sub_page_alternates(number),
            },
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        return feeds.respond(
            kind,
            request,
            title=f"{site_name()}: {self.title}",
            path=public_path(self.url_path, roots_for(request)) or "/",
            items=self.authored_articles(),
        )


class HomePageFeaturedStory(Orderable):
    """A story an editor put beside the lead of a front page, in their order."""

    page = ParentalKey(HomePage, related_name="featured_stories", on_delete=models.CASCADE)
    story = models.ForeignKey(
        "publishing.ArticlePage",
        verbose_name=_("story"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [PageChooserPanel("story", page_type="publishing.ArticlePage")]

    class Meta(Orderable.Meta):
        verbose_name = _("featured story")


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "publishing.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePageAuthor(Orderable):
    page = ParentalKey(
        "publishing.ArticlePage", related_name="article_authors", on_delete=models.CASCADE
    )
    author = models.ForeignKey(
        AuthorPage, on_delete=models.CASCADE, related_name="article_links", verbose_name=_("author")
    )

    panels = [FieldPanel("author")]


class ArticlePage(NewsroomPage):
    """A story: headline (the page title), standfirst, lead photo, body, authors and tags."""

    standfirst = models.TextField(_("standfirst"), max_length=300)
    lead_image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("lead image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_caption = models.CharField(_("caption"), max_length=300, blank=True)
    lead_credit = models.CharField(_("credit"), max_length=120, blank=True)
    body = StreamField(ArticleBodyBlock(), blank=True, verbose_name=_("body"))
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True)
    label = models.CharField(
        _("label"),
        max_length=20,
        choices=STORY_LABELS,
        blank=True,
        db_index=True,
        help_text=_("What kind of story this is. Empty: plain news."),
    )
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    live_updates = StreamField(
        LiveUpdatesBlock(),
        blank=True,
        verbose_name=_("live updates"),
        help_text=_("Newest first on the page, each with its own link. Publish to post them."),
    )
    live_coverage_ended = models.DateTimeField(
        _("live coverage ended"),
        null=True,
        blank=True,
        help_text=_("Set when the story stops being updated."),
    )
    notes = StreamField(
        ArticleNotesBlock(),
        blank=True,
        verbose_name=_("corrections and updates"),
        help_text=_("Dated notes shown on the story and on the corrections page."),
    )
    has_notes = models.BooleanField(default=False, editable=False)

    content_panels = [
        # Fills the slug (Promote tab) from the headline as it is typed, as for every page.
        TitleFieldPanel("title", heading=_("Headline"), placeholder=_("Headline*")),
        FieldPanel("label"),
        FieldPanel("standfirst"),
        MultiFieldPanel(
            [FieldPanel("lead_image"), FieldPanel("lead_caption"), FieldPanel("lead_credit")],
            heading=_("Lead photo"),
        ),
        FieldPanel("body"),
        InlinePanel("article_authors", label=_("Authors"), min_num=1),
        FieldPanel("tags"),
        MultiFieldPanel(
            [FieldPanel("live_updates"), FieldPanel("live_coverage_ended")],
            heading=_("Live updates"),
        ),
        FieldPanel("notes", heading=_("Corrections and updates")),
    ]
    # Headline, standfirst and body are indexed with the stems of their words (search.py).
    search_fields = [
        *Page.search_fields,
        StemmedSearchField("title", boost=2, written=False),
        StemmedSearchField("standfirst"),
        StemmedSearchField("body_text"),
    ]
    parent_page_types = ["publishing.SectionPage"]
    subpage_types: list[str] = []
    template = "publishing/article_page.html"

    class Meta:
        verbose_name = _("article")

    @classmethod
    def get_indexed_objects(cls) -> Any:
        # Indexing reads each story's language (search.StemmedSearchField): in the same query.
        return super().get_indexed_objects().select_related("locale")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_body_text", None)
        self.reading_minutes = reading_minutes(self)
        self.date_undated_entries()
        self.has_notes = len(self.notes) > 0
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        # Editors' forms are cleaned before the revision is saved: the times go into it.
        self.date_undated_entries()

    def date_undated_entries(self) -> None:
        """Give live updates without a time the present, and notes without a date today."""
        for child in self.live_updates:
            if not child.value.get("time"):
                child.value["time"] = timezone.now()
        for child in self.notes:
            if not child.value.get("date"):
                child.value["date"] = timezone.localdate()

    def live_update_items(self) -> list[dict[str, Any]]:
        """The live updates, newest first, each with its anchor (``update-…``)."""
        items = [
            {"anchor": anchor_of("update", child.id), **child.value} for child in self.live_updates
        ]
        return sorted(items, key=lambda item: item["time"] or EPOCH, reverse=True)

    def note_items(self) -> list[dict[str, Any]]:
        """The corrections and updates, newest first (of one day, the last added first), each
        with its anchor (``note-…``)."""
        items = [
            {
                "anchor": anchor_of("note", child.id),
                "kind": child.value["kind"],
                "kind_label": NOTE_LABELS.get(child.value["kind"], child.value["kind"]),
                "date": child.value["date"] or timezone.localdate(),
                "text": child.value["text"],
                "position": position,
            }
            for position, child in enumerate(self.notes)
        ]
        return sorted(items, key=lambda item: (item["date"], item["position"]), reverse=True)

    def body_text(self) -> str:
        """The body as plain text, for the search index and the reading time (computed once)."""
        cached = self.__dict__.get("_body_text")
        if cached is None:
            cached = self.__dict__["_body_text"] = body_text(self)
        return cached

    def section_path(self) -> str:
        return self.url_path.rstrip("/").rsplit("/", 1)[0] + "/"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        roots = roots_for(request)
        if getattr(request, "is_preview", False):
            # A preview renders unsaved authors and tags held in memory, not in the database.
            author_rows = [
                (link.author.title, link.author.url_path) for link in self.article_authors.all()
            ]
            tag_rows = sorted((tag.name, tag.slug, tag.pk) for tag in self.tags.all())
        elif build_memo.is_building():
            # A bundle build renders every story: it reads their authors and tags at once.
            author_rows = build_memo.remembered(("story authors",), _authors_by_story).get(
                self.pk, []
            )
            tag_rows = build_memo.remembered(("story tags",), _tags_by_story).get(self.pk, [])
        else:
            author_rows = list(
                self.article_authors.order_by("sort_order", "pk").values_list(
                    "author__title", "author__url_path"
                )
            )
            tag_rows = list(self.tags.order_by("name").values_list("name", "slug", "pk"))
        authors = [
            {"title": title, "path": public_path(url_path, roots) or "/"}
            for title, url_path in author_rows
        ]
        tag_list = [{"name": name, "slug": slug} for name, slug, _pk in tag_rows]
        section_path = self.section_path()
        language_path = next(
            (prefix for root, prefix in roots if self.url_path.startswith(root)), "/"
        )
        context.update(
            live_updates=self.live_update_items(),
            article_notes=self.note_items(),
            corrections_path=language_path + CORRECTIONS_PATH.lstrip("/"),
            authors=authors,
            tag_list=tag_list,
            related=self.related_articles([pk for _name, _slug, pk in tag_rows]),
            section=next(
                ((title, path) for title, path in context["navigation"] if path == section_path),
                None,
            ),
        )
        return context

    def touched_paths(self) -> list[str] | None:
        """What a publication or a correction of this story may change: the story, its
        translations, its language's front page and feeds, its section's, tags' and authors'
        listings (also those of its recent revisions: a correction may take a tag or an author
        away) and feeds, the later stories whose "Read more" may show it, and the sitemaps.
        Listings number archive pages from the oldest story and "Read more" offers only
        earlier stories, which keeps this a handful of pages however large the archive."""
        from samizdat.publishing.sitemaps import article_sitemap_paths

        if not ArticlePage.objects.live().public().filter(pk=self.pk).exists():
            return None  # withdrawn or private: it must leave every copy, with its images
        roots = language_roots()
        paths = self.public_paths(roots)
        listings: list[tuple[str, PageQuerySet]] = []
        tags, authors = self._recent_tags_and_authors()
        home = HomePage.objects.live().filter(locale_id=self.locale_id).first()
        home_path = public_path(home.url_path, roots) if home is not None else None
        if home is not None and home_path is not None:
            paths += [home_path, *feed_paths(home_path)]
            for tag in Tag.objects.filter(pk__in=tags):
                # With no story left, the tag's pages answer 404: they go from the copies.
                listings.append((f"{home_path}tags/{tag.slug}/", home.tagged(tag)))
        for section in SectionPage.objects.live().filter(path=self.path[: -self.steplen]):
            if (section_path := public_path(section.url_path, roots)) is not None:
                listings.append((section_path, section.stories()))
                # Its podcast (a 404 without episodes: then it leaves the copies).
                paths.append(section_path + PODCAST_PATH.lstrip("/"))
        for author in AuthorPage.objects.live().filter(pk__in=authors):
            if (author_path := public_path(author.url_path, roots)) is not None:
                listings.append((author_path, author.authored_articles()))
        for base, queryset in listings:
            paths += position_paths(base, queryset, self) + feed_paths(base)
        if home_path is not None and (self.has_notes or self._had_notes()):
            # Corrections are few: every page of their listing, and one past the last.
            base = home_path + CORRECTIONS_PATH.lstrip("/")
            total = len(corrections(self.locale_id, roots))
            last = archive_pages(total, settings.ARTICLES_PER_PAGE)
            paths += [*listing_paths(base, total), f"{base}page/{last + 1}/", *feed_paths(base)]
        translations = Page.objects.live().filter(translation_key=self.translation_key)
        for url_path in translations.exclude(pk=self.pk).values_list("url_path", flat=True):
            if (path_ := public_path(url_path, roots)) is not None:
                paths.append(path_)
        if not self._card_unchanged():
            paths += self._later_stories(roots)
        paths += ["/sitemap.xml", "/news-sitemap.xml", *article_sitemap_paths(self)]
        return list(dict.fromkeys(paths))

    def _recent_tags_and_authors(self) -> tuple[set[int], set[int]]:
        """Tags and authors the story has (as saved), or had in its recent revisions."""
        tagged = ArticlePageTag.objects.filter(content_object_id=self.pk)
        tags = set(tagged.values_list("tag_id", flat=True))
        links = ArticlePageAuthor.objects.filter(page_id=self.pk)
        authors = set(links.values_list("author_id", flat=True))
        revisions = self.revisions.order_by("-created_at", "-pk")
        for content in revisions.values_list("content", flat=True)[:EARLIER_REVISIONS]:
            tags |= {item["tag"] for item in content.get("tagged_items", []) if item.get("tag")}
            authors |= {
                item["author"] for item in content.get("article_authors", []) if item.get("author")
            }
        return tags, authors

    def _had_notes(self) -> bool:
        """Whether one of the story's recent revisions had corrections (since taken away)."""
        revisions = self.revisions.order_by("-created_at", "-pk")
        for content in revisions.values_list("content", flat=True)[:EARLIER_REVISIONS]:
            notes = content.get("notes") or []
            if isinstance(notes, str):
                notes = json.loads(notes or "[]")
            if notes:
                return True
        return False

    def _card_unchanged(self) -> bool:
        """Whether the publication before this one showed the same story card: same
        headline, standfirst, photo, label, tags and authors (a new live update, a
        correction of the body). "Read more" of later stories then keeps its bytes."""
        publications = (
            PageLogEntry.objects.filter(page_id=self.pk, action="wagtail.publish")
            .order_by("-timestamp", "-pk")
            .values_list("revision_id", flat=True)[:2]
        )
        if len(publications) < 2 or publications[1] is None:
            return False
        before = Revision.objects.filter(pk=publications[1]).values_list("content", flat=True)
        previous = before.first()
        if previous is None:
            return False
        current = self.serializable_data()

        def related(content: dict[str, Any], relation: str, name: str) -> set[Any]:
            return {item.get(name) for item in content.get(relation, [])}

        return all(current.get(name) == previous.get(name) for name in CARD_CONTENT) and all(
            related(current, relation, name) == related(previous, relation, name)
            for relation, name in (("tagged_items", "tag"), ("article_authors", "author"))
        )

    def _later_stories(self, roots: list[tuple[str, str]]) -> list[str]:
        """The later stories of the language whose "Read more" candidates include this one:
        the next RELATED_CANDIDATES by publication (for the newest story, none)."""
        published = self.first_published_at or EPOCH
        later = (
            articles()
            .filter(locale_id=self.locale_id)
            .filter(
                Q(first_published_at__gt=published)
                | Q(first_published_at=published, pk__gt=self.pk)
            )
            .order_by("first_published_at", "pk")
            .values_list("url_path", flat=True)[:RELATED_CANDIDATES]
        )
        return [path_ for path_ in (public_path(url, roots) for url in later) if path_]

    def related_articles(self, tag_ids: list[int]) -> list[dict[str, Any]]:
        """ "Read more": shared tags first, then the same section, newest first; never itself.

        Candidates are the stories of the language published just before this one: what a
        reader of this story had not yet been told. A later story never changes an earlier
        page, so publishing re-renders only what it touches (see ``touched_paths``), and
        ranking a bounded set keeps this at three small indexed queries however large the
        archive grows. The first two are written as SQL: they run on every article
        view, and building them through the ORM cost ten times what the database spent. A
        bundle build, which shows "Read more" on every story, cuts the candidates from the
        stories it read once and counts shared tags from the tags it read once.
        """
        candidates = self._candidates_in_build()
        with connection.cursor() as cursor:
            if candidates is None:
                page_table = Page._meta.db_table
                published = self.first_published_at or timezone.now()
                before = (published, published, self.pk or 0)
                cursor.execute(
                    f"SELECT id, path FROM {page_table} "  # noqa: S608 - table names, not input
                    "WHERE live = %s AND locale_id = %s AND content_type_id = %s AND id <> %s "
                    "AND (first_published_at < %s OR (first_published_at = %s AND id < %s)) "
                    "ORDER BY first_published_at DESC, id DESC LIMIT %s",
                    [
                        True,
                        self.locale_id,
                        self.content_type_id,
                        self.pk,
                        *before,
                        RELATED_CANDIDATES,
                    ],
                )
                candidates = cursor.fetchall()
            if candidates and view_restrictions_exist():
                visible = set(
                    articles()
                    .filter(pk__in=[pk for pk, _path in candidates])
                    .values_list("pk", flat=True)
                )
                candidates = [row for row in candidates if row[0] in visible]
            shared: Counter[int] = Counter()
            if candidates and tag_ids and build_memo.is_building():
                by_story = build_memo.remembered(("story tags",), _tags_by_story)
                wanted = set(tag_ids)
                for pk, _path in candidates:
                    shared[pk] = sum(1 for *_name, tag in by_story.get(pk, ()) if tag in wanted)
            elif candidates and tag_ids:
                ids = [pk for pk, _path in candidates]
                cursor.execute(
                    f"SELECT content_object_id FROM {ArticlePageTag._meta.db_table} "  # noqa: S608
                    f"WHERE tag_id IN ({', '.join(['%s'] * len(tag_ids))}) "
                    f"AND content_object_id IN ({', '.join(['%s'] * len(ids))})",
                    [*tag_ids, *ids],
                )
                shared.update(pk for (pk,) in cursor.fetchall())
        section = self.path[: -self.steplen]
        # Candidates arrive newest first and sorted() is stable, so ties stay newest first.
        ranked = sorted(
            candidates, key=lambda item: (-shared[item[0]], not item[1].startswith(section))
        )
        chosen = [pk for pk, _path in ranked[:RELATED_COUNT]]
        cards = story_cards(chosen)
        return [cards[pk] for pk in chosen if pk in cards]

    def _candidates_in_build(self) -> list[tuple[int, str]] | None:
        """The "Read more" candidates (id, path) in a bundle build (``build_memo``), cut from
        the language's live stories read once in the order the query ranks them; ``None``
        outside a build, or for a story the build did not see live."""
        if not build_memo.is_building() or self.first_published_at is None:
            return None
        key = ("related order", self.locale_id, self.content_type_id)
        order, positions = build_memo.remembered(
            key, lambda: _related_order(self.locale_id, self.content_type_id)
        )
        position = positions.get(self.pk)
        if position is None:
            return None
        return order[position + 1 : position + 1 + RELATED_CANDIDATES]


def _related_order(
    locale_id: int, content_type_id: int
) -> tuple[list[tuple[int, str]], dict[int, int]]:
    """A language's live stories (id, path), newest first, and their positions."""
    order = list(
        ArticlePage.objects.live()
        .filter(locale_id=locale_id, content_type_id=content_type_id)
        .exclude(first_published_at=None)
        .order_by("-first_published_at", "-pk")
        .values_list("pk", "path")
    )
    return order, {pk: position for position, (pk, _path) in enumerate(order)}


def _authors_by_story() -> dict[int, list[tuple[str, str]]]:
    """Every story's authors (title, url_path) in their order, by story."""
    found: dict[int, list[tuple[str, str]]] = {}
    links = ArticlePageAuthor.objects.order_by("page_id", "sort_order", "pk").values_list(
        "page_id", "author__title", "author__url_path"
    )
    for page_id, title, url_path in links:
        found.setdefault(page_id, []).append((title, url_path))
    return found


def _tags_by_story() -> dict[int, list[tuple[str, str, int]]]:
    """Every story's tags (name, slug, pk) by name, by story."""
    found: dict[int, list[tuple[str, str, int]]] = {}
    tagged = ArticlePageTag.objects.order_by("content_object_id", "tag__name").values_list(
        "content_object_id", "tag__name", "tag__slug", "tag_id"
    )
    for page_id, name, slug, pk in tagged:
        found.setdefault(page_id, []).append((name, slug, pk))
    return found


CORRECTIONS_PATH = "/corrections/"  # below each language's front page
NOTE_LABELS = {
    "correction": _("Correction"),
    "update": _("Update"),
    "clarification": _("Clarification"),
}


class Entries:
    """A list that ``paginate`` pages like a queryset (the corrections, gathered in Python)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def count(self) -> int:
        return len(self.items)

    def reverse(self) -> Entries:
        return Entries(self.items[::-1])

    def __getitem__(self, key: Any) -> Any:
        return self.items[key]


def corrections(locale_id: int, roots: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """Every note on the language's live stories, newest first, with its story's title and
    public path: one query over the few stories that have notes."""
    roots = roots or language_roots()
    stories = (
        articles()
        .filter(locale_id=locale_id, has_notes=True)
        .only("title", "url_path", "notes", "last_published_at")
    )
    found = []
    for story in stories:
        story_path = public_path(story.url_path, roots)
        if story_path is None:
            continue
        for note in story.note_items():
            found.append(
                {
                    **note,
                    "story_title": story.title,
                    "story_path": story_path,
                    "order": (
                        note["date"],
                        story.last_published_at or EPOCH,
                        story.pk,
                        note["position"],
                    ),
                }
            )
    return sorted(found, key=lambda item: item["order"], reverse=True)


TAG = re.compile(r"<[^>]*>")


def body_text(page: ArticlePage) -> str:
    """Every word a reader reads in the body: paragraphs, subheadings, quotes, captions,
    galleries and the documents' titles and descriptions."""
    parts = []
    for block in page.body.raw_data:
        kind, value = block["type"], block["value"]
        if kind == "paragraph":
            parts.append(html.unescape(TAG.sub(" ", value)))
        elif kind == "subheading":
            parts.append(value)
        elif kind == "quote":
            parts.extend((value.get("text", ""), value.get("speaker", "")))
        elif kind in ("image", "link"):
            parts.extend(
                (value.get("caption", ""), value.get("title", ""), value.get("description", ""))
            )
        elif kind == "gallery":
            parts.append(value.get("title", ""))
            for item in value.get("images", []):
                # A ListBlock stores each item as {"type": "item", "value": …, "id": …}.
                image = item.get("value", item) if isinstance(item, dict) else {}
                parts.extend((image.get("caption", ""), image.get("credit", "")))
        elif kind == "document":
            parts.extend((value.get("title", ""), value.get("description", "")))
        elif kind in MEDIA_BLOCKS:
            parts.extend((value.get("caption", ""), value.get("transcript", "")))
    return " ".join(part for part in parts if part)


MEDIA_BLOCKS = ("audio", "video")


def with_media_blocks(queryset: PageQuerySet, kinds: tuple[str, ...] = MEDIA_BLOCKS) -> Any:
    """The articles of ``queryset`` whose body may hold a block of ``kinds`` (a text match on
    the stored JSON, the same on SQLite and PostgreSQL: callers check the blocks)."""
    condition = Q()
    for kind in kinds:
        condition |= Q(body__icontains=f'"type": "{kind}"')
    return queryset.filter(condition)


def media_in_body(raw_data: Any) -> tuple[set[int], set[int]]:
    """The ids of the audio/video files and of the subtitle documents a body links."""
    media: set[int] = set()
    documents: set[int] = set()
    for block in raw_data:
        if block.get("type") not in MEDIA_BLOCKS:
            continue
        value = block.get("value") or {}
        if isinstance(value.get("media"), int):
            media.add(value["media"])
        for item in value.get("subtitles") or []:
            track = item.get("value", item) if isinstance(item, dict) else {}
            if isinstance(track.get("file"), int):
                documents.add(track["file"])
    return media, documents


def public_media_names() -> set[str]:
    """The stored names (``media/…``, ``documents/…``) of the audio, video and subtitle files
    that a live public article links: the only ones readers may fetch."""
    from wagtail.documents import get_document_model
    from wagtailmedia.models import get_media_model

    media: set[int] = set()
    documents: set[int] = set()
    for body in with_media_blocks(ArticlePage.objects.live().public()).values_list(
        "body", flat=True
    ):
        found_media, found_documents = media_in_body(getattr(body, "raw_data", body) or [])
        media |= found_media
        documents |= found_documents
    names = set(get_media_model().objects.filter(pk__in=media).values_list("file", flat=True))
    subtitles = get_document_model().objects.filter(pk__in=documents, file__iendswith=".vtt")
    return names | set(subtitles.values_list("file", flat=True))


def reading_minutes(page: ArticlePage) -> int:
    words = len(re.findall(r"\w+", f"{page.title} {page.standfirst} {page.body_text()}"))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))
