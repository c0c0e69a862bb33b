"""Wagtail pages of a newsroom: home, sections, articles, authors."""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, Page as PaginatorPage, Paginator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import StreamField
from wagtail.images import get_image_model_string
from wagtail.models import Locale, Orderable, Page, PageManager, PageQuerySet
from wagtail.search import index

from samizdat.publishing import feeds
from samizdat.publishing.blocks import ArticleBodyBlock
from samizdat.publishing.paths import absolute, public_path, roots_for

WORDS_PER_MINUTE = 200
RELATED_COUNT = 4
RELATED_CANDIDATES = 200
NAV_CACHE_KEY = "samizdat:nav:{locale}"
LISTING_FIELDS = (
    "id", "title", "slug", "url_path", "standfirst", "first_published_at",
    "last_published_at", "locale_id", "lead_image_id", "reading_minutes", "path", "depth",
    "content_type_id", "live",
)  # fmt: skip


def articles() -> PageQuerySet:
    """Live articles, newest first, without the heavy body (for listings and feeds)."""
    return (
        ArticlePage.objects.live()
        .order_by("-first_published_at", "-id")
    )


def listing(queryset: PageQuerySet) -> PageQuerySet:
    return queryset.only(*LISTING_FIELDS)


def paginate(queryset: Any, number: int) -> PaginatorPage:
    paginator = Paginator(queryset, settings.ARTICLES_PER_PAGE)
    try:
        return paginator.page(number)
    except EmptyPage as exc:
        raise Http404("No such page") from exc


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
        cache.set(key, nav, 3600)
    return nav


def forget_navigation() -> None:
    cache.delete_many([NAV_CACHE_KEY.format(locale=pk) for pk in Locale.objects.values_list("pk", flat=True)])


class NewsroomPage(Page):
    """Abstract base: shared context (navigation, translations) for every public page."""

    class Meta:
        abstract = True

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

    def meta_description(self) -> str:
        for name in ("search_description", "standfirst", "intro", "bio"):
            value = getattr(self, name, "")
            if value:
                return str(value)
        return str(settings.SITE_NAME)

    def live_translations(self, request: HttpRequest | None) -> list[dict[str, str]]:
        """Every live language version of this page (itself included) with its public path."""
        roots = roots_for(request)
        rows = (
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


class HomePage(RoutablePageMixin, NewsroomPage):
    """The front page of one language: lead story, then the latest per section."""

    intro = models.TextField(_("intro"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["publishing.SectionPage", "publishing.AuthorIndexPage"]
    template = "publishing/home_page.html"

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        in_locale = articles().filter(locale_id=self.locale_id)
        lead = in_locale.select_related("lead_image").defer_streamfields().first()
        blocks = []
        for title, url_path in context["navigation"]:
            items = listing(in_locale.filter(url_path__startswith=url_path))
            if lead is not None:
                items = items.exclude(pk=lead.pk)
            blocks.append({"title": title, "url_path": url_path, "articles": list(items[:4])})
        context.update(lead=lead, section_blocks=blocks)
        return context

    @path("tags/<slug:tag>/", name="tag")
    @path("tags/<slug:tag>/page/<int:number>/", name="tag_page")
    def tag(self, request: HttpRequest, tag: str, number: int = 1) -> HttpResponse:
        tag_obj = Tag.objects.filter(slug=tag).first()
        if tag_obj is None:
            raise Http404("No such tag")
        items = listing(articles().filter(locale_id=self.locale_id, tags=tag_obj))
        return self.render(
            request,
            context_overrides={"tag": tag_obj, "page_obj": paginate(items, number)},
            template="publishing/tag_page.html",
        )

    @re_path(r"^tags/(?P<tag>[-\w]+)/feed/(?P<kind>rss|atom)/$", name="tag_feed")
    def tag_feed(self, request: HttpRequest, tag: str, kind: str) -> HttpResponse:
        tag_obj = Tag.objects.filter(slug=tag).first()
        if tag_obj is None:
            raise Http404("No such tag")
        items = articles().filter(locale_id=self.locale_id, tags=tag_obj)
        return feeds.respond(
            kind, request, title=f"{settings.SITE_NAME}: #{tag_obj.name}",
            path=self.public_path(request) + f"tags/{tag_obj.slug}/", items=items,
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        items = articles().filter(locale_id=self.locale_id)
        return feeds.respond(
            kind, request, title=settings.SITE_NAME, path=self.public_path(request), items=items
        )

    @path("search/", name="search")
    def search(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()[:200]
        page_obj = None
        if query:
            results = articles().filter(locale_id=self.locale_id).search(query, order_by_relevance=True)
            try:
                number = max(1, int(request.GET.get("page", "1")))
            except ValueError:
                number = 1
            paginator = Paginator(results, settings.ARTICLES_PER_PAGE)
            page_obj = paginator.get_page(number)
        return self.render(
            request,
            context_overrides={"query": query, "page_obj": page_obj},
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

    def section_articles(self) -> PageQuerySet:
        return listing(articles().filter(locale_id=self.locale_id, url_path__startswith=self.url_path))

    @path("", name="index")
    @path("page/<int:number>/", name="page")
    def index(self, request: HttpRequest, number: int = 1) -> HttpResponse:
        if number == 1 and request.path.rstrip("/").endswith("/page/1"):
            raise Http404("The first page has no number")
        return self.render(
            request, context_overrides={"page_obj": paginate(self.section_articles(), number)}
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        return feeds.respond(
            kind, request, title=f"{settings.SITE_NAME}: {self.title}",
            path=public_path(self.url_path, roots_for(request)) or "/",
            items=articles().filter(locale_id=self.locale_id, url_path__startswith=self.url_path),
        )


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

    content_panels = [*Page.content_panels, FieldPanel("role"), FieldPanel("bio"), FieldPanel("photo")]
    search_fields = [*Page.search_fields, index.SearchField("bio")]
    parent_page_types = ["publishing.AuthorIndexPage"]
    subpage_types: list[str] = []
    template = "publishing/author_page.html"

    class Meta:
        verbose_name = _("author")

    def authored_articles(self) -> PageQuerySet:
        return articles().filter(article_authors__author=self)

    @path("", name="index")
    @path("page/<int:number>/", name="page")
    def index(self, request: HttpRequest, number: int = 1) -> HttpResponse:
        return self.render(
            request,
            context_overrides={"page_obj": paginate(listing(self.authored_articles()), number)},
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        return feeds.respond(
            kind, request, title=f"{settings.SITE_NAME}: {self.title}",
            path=public_path(self.url_path, roots_for(request)) or "/",
            items=self.authored_articles(),
        )


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "publishing.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePageAuthor(Orderable):
    page = ParentalKey("publishing.ArticlePage", related_name="article_authors", on_delete=models.CASCADE)
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
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)

    content_panels = [
        FieldPanel("title", heading=_("Headline")),
        FieldPanel("standfirst"),
        MultiFieldPanel(
            [FieldPanel("lead_image"), FieldPanel("lead_caption"), FieldPanel("lead_credit")],
            heading=_("Lead photo"),
        ),
        FieldPanel("body"),
        InlinePanel("article_authors", label=_("Authors"), min_num=1),
        FieldPanel("tags"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("standfirst"),
        index.SearchField("body"),
    ]
    parent_page_types = ["publishing.SectionPage"]
    subpage_types: list[str] = []
    template = "publishing/article_page.html"

    objects = PageManager()

    class Meta:
        verbose_name = _("article")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.reading_minutes = reading_minutes(self)
        super().save(*args, **kwargs)

    def section_path(self) -> str:
        return self.url_path.rsplit("/", 2)[0].rsplit("/", 1)[0] + "/"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        roots = roots_for(request)
        authors = [
            link.author
            for link in self.article_authors.select_related("author").order_by("sort_order")
        ]
        tag_list = list(self.tags.order_by("name"))
        section_path = self.section_path()
        context.update(
            authors=authors,
            author_paths={author.pk: public_path(author.url_path, roots) for author in authors},
            tag_list=tag_list,
            related=self.related_articles(tag_list),
            section=next(
                ((title, path) for title, path in context["navigation"] if path == section_path),
                None,
            ),
        )
        return context

    def related_articles(self, tags: list[Tag]) -> list[ArticlePage]:
        """"Read more": shared tags first, then the same section, newest first; never itself."""
        tag_ids = [tag.pk for tag in tags]
        shares_tag = Exists(
            ArticlePageTag.objects.filter(content_object_id=OuterRef("pk"), tag_id__in=tag_ids)
        )
        # Rank only the newest candidates: "Read more" is about recent stories, and this keeps
        # the query fast on an archive of 100k articles.
        recent = (
            articles()
            .filter(locale_id=self.locale_id)
            .exclude(pk=self.pk)
            .filter(Q(url_path__startswith=self.section_path()) | shares_tag)
            .values("pk")[:RELATED_CANDIDATES]
        )
        shared = Count("tagged_items", filter=Q(tagged_items__tag_id__in=tag_ids))
        ranked = (
            listing(ArticlePage.objects.filter(pk__in=Subquery(recent)))
            .annotate(shared=shared)
            .order_by("-shared", "-first_published_at", "-id")
        )
        return list(ranked[:RELATED_COUNT])


def body_text(page: ArticlePage) -> str:
    parts = [page.title, page.standfirst]
    for block in page.body:
        value = block.value
        if block.block_type == "paragraph":
            parts.append(strip_tags(value.source))
        elif block.block_type == "subheading":
            parts.append(str(value))
        elif block.block_type == "quote":
            parts.append(value["text"])
    return " ".join(parts)


def reading_minutes(page: ArticlePage) -> int:
    words = len(re.findall(r"\w+", body_text(page)))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))
