"""Every kind of reader page of the demo newsroom in a real browser, in English and Russian:
screenshots at phone and desktop width, no sideways scrolling, nothing from another origin,
no layout shift, and the weight budgets, with JavaScript on and off.

The demo newsroom is seeded once for the module and served by the session's live server; the
database is put back as migrations left it when the module ends. Screenshots land in
``screenshots_dir()`` (printed at the end of the run)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response
from pytest_django import DjangoDbBlocker
from pytest_django.live_server_helper import LiveServer
from wagtail.models import Locale
from wagtail.models import Page as WagtailPage

from samizdat.core.management.commands.demo import seed_demo_content
from samizdat.newsletter.models import NewsletterPage
from samizdat.publishing.models import ArticlePage, HomePage, SectionPage
from tests.browser.conftest import file_server, origin, record_requests
from tests.browser.screenshots import screenshots_dir

# Browser tests; the mark also has the test database set up. Each test only reads (in a
# transaction that stays empty); the demo the live server shows is committed once, below.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LANGUAGES = ("en", "ru")
SCREENSHOT_WIDTHS = (375, 1280)
NARROW_WIDTHS = (320, 375)
WEIGHED_WIDTH = 375  # the budgets hold at a phone's width
HEIGHT = 800
QUIET = 0.15  # seconds without a request in flight that end a visit (Playwright's idle is 0.5)
MAX_LAYOUT_SHIFT = 0.1
ARTICLE_TEXT_BUDGET = 60 * 1024  # HTML + CSS + JS of an article page
FRONT_IMAGE_BUDGET = 300 * 1024  # images of the front page at 375 px, lazy ones included
FONT_BUDGET = 60 * 1024  # each self-hosted font file


class Story(NamedTuple):
    """The demo story that shows a format (its English slug; its Russian translation is
    checked too) and what of it a reader must see, as a CSS selector."""

    slug: str
    shows: str


# A story format is one line here: its name (in test ids and screenshot names) and its story.
STORY_FORMATS: dict[str, Story] = {
    "text": Story("ruzhno-court-opens-trial-of-reporter-oleg-varna", "main figure img"),
    "gallery": Story("ruzhno-river-market-last-summer-in-pictures", ".gallery-items img"),
    "document": Story("read-the-order-closing-the-varna-trial", ".document-file a"),
    "audio": Story("lantern-weekly-trailer", "figure.media-audio audio"),
    "video": Story("lanterns-over-the-night-market", "figure.media-video video"),
    "live": Story("live-tessel-harbour-strike", ".live-update"),
    "correction": Story("vpn-use-surges-as-inspectorate-blocks-more-sites", ".article-notes"),
}


@dataclass(frozen=True)
class Screen:
    """A kind of page: how to find it in one language, what a reader came to it for (CSS
    selectors that must all be visible), and its weight budgets in bytes."""

    name: str
    path: Callable[[str], str]
    shows: tuple[str, ...]
    text_budget: int | None = None
    image_budget: int | None = None


def _translated(page: WagtailPage, language: str) -> str:
    """The path of ``page`` in ``language`` (the demo's stories are written in English)."""
    locale = Locale.objects.get(language_code=language)
    translation = page.get_translation_or_none(locale)
    assert translation is not None and translation.live, f"{page.slug} has no {language} version"
    return str(translation.url)


def _front(language: str) -> str:
    return str(HomePage.objects.get(locale__language_code=language).url)


def _section(language: str) -> str:
    return _translated(SectionPage.objects.get(slug="news", locale__language_code="en"), language)


def _story(slug: str) -> Callable[[str], str]:
    def path(language: str) -> str:
        # Any page type: a format may come with a page model of its own.
        story = WagtailPage.objects.get(slug=slug, locale__language_code="en")
        return _translated(story, language)

    return path


def _donate(language: str) -> str:
    return reverse("donations:donate_in", kwargs={"language": language})


def _newsletter(language: str) -> str:
    return str(NewsletterPage.objects.live().get(locale__language_code=language).url)


SCREENS = [
    Screen("front", _front, ("main h2 a",), image_budget=FRONT_IMAGE_BUDGET),
    Screen("section", _section, ("main h1", "main h2 a")),
    *(
        Screen(f"article-{name}", _story(story.slug), ("main h1", story.shows), ARTICLE_TEXT_BUDGET)
        for name, story in STORY_FORMATS.items()
    ),
    Screen("page-secure", _story("secure"), ("main h1", ".secure-contact pre")),
    Screen("donate", _donate, ("main h1", "main form")),
    Screen("newsletter", _newsletter, ("main h1", "main form")),
]


def cases(screens: list[Screen]) -> list[Any]:
    """Each screen in each language, as test parameters named like ``en-article-text``."""
    return [
        pytest.param(language, screen, id=f"{language}-{screen.name}")
        for language in LANGUAGES
        for screen in screens
    ]


CASES = cases(SCREENS)
BUDGETED = cases([s for s in SCREENS if s.text_budget is not None or s.image_budget is not None])

# The elements that stick out to the right when the page is wider than the window (the
# innermost ones: their containers stick out only because of them), or nothing.
FIND_OVERFLOW = """() => {
  const width = window.innerWidth;
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth <= width) return [];
  const describe = (element) => {
    const parts = [];
    for (let e = element; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let name = e.tagName.toLowerCase();
      if (e.id) name += "#" + e.id;
      else if (e.classList.length) name += "." + Array.from(e.classList).join(".");
      parts.unshift(name);
    }
    return parts.join(" > ");
  };
  // How far right an element reaches: its box, or the content spilling out of it.
  const reach = (e) => {
    const box = e.getBoundingClientRect();
    if (box.width <= 1) return 0;
    const spills = getComputedStyle(e).overflowX === "visible";
    return spills ? Math.max(box.right, box.left + e.scrollWidth) : box.right;
  };
  const over = Array.from(document.body.querySelectorAll("*")).filter((e) => reach(e) > width + 0.5);
  const innermost = over.filter((e) => !over.some((o) => o !== e && e.contains(o)));
  return [`the page is ${pageWidth}px wide`].concat(innermost.slice(0, 5).map(
    (e) => `${describe(e)} reaches ${Math.round(reach(e))}px`));
}
"""

# Every layout shift from the start of the page (as Lighthouse counts them: not those right
# after the reader's own input), with the elements that moved.
WATCH_LAYOUT_SHIFTS = """
window.samizdatShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const moved = (entry.sources || []).map((source) => {
      const node = source.node;
      if (!node || node.nodeType !== 1) return String(node && node.nodeName);
      return node.tagName.toLowerCase() + (node.className ? "." + node.className : "");
    });
    window.samizdatShifts.push({ value: entry.value, moved: moved });
  }
}).observe({ type: "layout-shift", buffered: true });
"""

# Down the page a window at a time, as a reader scrolls, so lazy images load; then back up.
SCROLL_THROUGH = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  for (let y = 0; y < document.documentElement.scrollHeight; y += window.innerHeight / 2) {
    window.scrollTo(0, y);
    await frame();
  }
  window.scrollTo(0, document.documentElement.scrollHeight);
  await frame();
}"""

ALL_IMAGES_LOADED = "() => Array.from(document.images).every((image) => image.complete)"


@dataclass
class Reader:
    """One tab of a browser context, kept for the module: a reader with or without
    JavaScript, with no browser cache (each visit loads everything, as a first visit does)."""

    page: Page
    javascript: bool
    requests: list[Request]
    responses: list[Response] = field(default_factory=list)
    in_flight: set[Request] = field(default_factory=set)
    last_change: float = 0.0

    def visit(self, url: str, width: int) -> None:
        """Open ``url`` in a window ``width`` pixels wide; with JavaScript, scroll through it
        to its end (loading every lazy image) and back to the top."""
        # Leave the last page first: resized, it would fetch other images of its srcsets,
        # whose answers would count for this visit and lose their bodies on navigation.
        self.page.goto("about:blank")
        self.page.set_viewport_size({"width": width, "height": HEIGHT})
        self.requests.clear()
        self.responses.clear()
        self.in_flight.clear()
        self.page.goto(url)
        if self.javascript:
            self.page.evaluate(SCROLL_THROUGH)
            self.page.wait_for_function(ALL_IMAGES_LOADED)
            self.page.evaluate("() => window.scrollTo(0, 0)")
        self.settle()

    def settle(self) -> None:
        """Wait until no request has been in flight for ``QUIET`` seconds. Playwright's
        "networkidle" waits for half a second, a fifth of this module's time over its visits."""
        deadline = time.monotonic() + 30
        while self.in_flight or time.monotonic() - self.last_change < QUIET:
            assert time.monotonic() < deadline, [r.url for r in self.in_flight]
            self.page.wait_for_timeout(QUIET * 1000 / 3)

    def track(self, request: Request, done: bool) -> None:
        if done:
            self.in_flight.discard(request)
        else:
            self.in_flight.add(request)
        self.last_change = time.monotonic()

    def foreign_requests(self, site: str) -> list[str]:
        return [
            request.url
            for request in self.requests
            if not request.url.startswith("data:") and origin(request.url) != site
        ]

    def overflow(self) -> list[str]:
        return list(self.page.evaluate(FIND_OVERFLOW))

    def loaded_bytes(self, *kinds: str) -> dict[str, int]:
        """The size of each body of the given resource types (document, stylesheet, script,
        image, font…) the browser loaded in the last visit, by URL."""
        return {
            response.url: len(response.body())
            for response in self.responses
            if response.request.resource_type in kinds and 200 <= response.status < 300
        }


def open_reader(context: BrowserContext, javascript: bool) -> Reader:
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    reader = Reader(page=page, javascript=javascript, requests=record_requests(page))

    def note(response: Response) -> None:
        reader.responses.append(response)

    page.on("response", note)
    page.on("request", lambda request: reader.track(request, done=False))
    page.on("requestfinished", lambda request: reader.track(request, done=True))
    page.on("requestfailed", lambda request: reader.track(request, done=True))
    return reader


@dataclass(frozen=True)
class Site:
    """The live server's address and each page's path there, by language and screen name."""

    url: str
    paths: dict[tuple[str, str], str]

    def __call__(self, language: str, screen: Screen) -> str:
        return self.url + self.paths[language, screen.name]


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Site]:
    """The demo newsroom, as `make demo` seeds it, on the live server."""
    with django_db_blocker.unblock():
        if ArticlePage.objects.exists():
            pytest.fail(
                "The test database holds stories from a run that stopped in the middle: run "
                "once with --create-db."
            )
        migrated = connection.creation.serialize_db_to_string()
        seed_demo_content()
        paths = {
            (language, screen.name): screen.path(language)
            for language in LANGUAGES
            for screen in SCREENS
        }
    # A server of the module's own: pytest-django's ``live_server`` would turn the tests
    # that use it into ones that empty the database after them.
    server = LiveServer("localhost")
    try:
        # As `make demo` runs: DEBUG on, so the donate page offers the demo way to pay.
        with override_settings(
            SITE_URL=server.url,
            APP_ORIGINS=[server.url],
            FORM_ORIGINS=[server.url],
            DEBUG=True,
            DONATIONS_DEMO=True,
        ):
            yield Site(url=server.url, paths=paths)
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(migrated)
        server.stop()


@pytest.fixture(scope="module")
def contexts(browser: Browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    with (
        browser.new_context() as scripted,
        browser.new_context(java_script_enabled=False) as plain,
    ):
        scripted.add_init_script(WATCH_LAYOUT_SHIFTS)
        yield scripted, plain


@pytest.fixture(scope="module")
def reader(contexts: tuple[BrowserContext, BrowserContext]) -> Reader:
    """A reader with JavaScript on."""
    return open_reader(contexts[0], javascript=True)


@pytest.fixture(scope="module")
def plain_reader(contexts: tuple[BrowserContext, BrowserContext]) -> Reader:
    """A reader with JavaScript off."""
    return open_reader(contexts[1], javascript=False)


def problems_at(reader: Reader, screen: Screen, site: Site, width: int) -> list[str]:
    """What is wrong with the page just visited, in words: its content hidden, requests to
    another origin, sideways scrolling (checked at the narrow widths)."""
    found = []
    for selector in screen.shows:
        if not reader.page.locator(selector).first.is_visible():
            found.append(f"{selector} is not visible")
    found += [f"request to another origin: {url}" for url in reader.foreign_requests(site.url)]
    if width in NARROW_WIDTHS:
        found += reader.overflow()
    script = "with JavaScript" if reader.javascript else "without JavaScript"
    return [f"{width}px {script}: {problem}" for problem in found]


@dataclass(frozen=True)
class Seen:
    """What the reader with JavaScript met on one visit of a page at one width: the problems
    in words, the layout shifts, the bytes loaded by kind, and the screenshot (if taken)."""

    problems: list[str]
    shifts: list[dict[str, Any]]
    text: dict[str, int]
    images: dict[str, int]
    fonts: dict[str, int]
    screenshot: Path | None


@pytest.fixture(scope="module")
def seen(reader: Reader, site: Site) -> Callable[[str, Screen, int], Seen]:
    """A page at a width, visited once for the module by the reader with JavaScript: the
    width, layout-shift and weight tests judge the same visit (a page load each is most of
    this module's time)."""
    visits: dict[tuple[str, str, int], Seen] = {}

    def see(language: str, screen: Screen, width: int) -> Seen:
        key = (language, screen.name, width)
        if key not in visits:
            reader.visit(site(language, screen), width)
            shifts = reader.page.evaluate("() => window.samizdatShifts")  # before a screenshot
            shot = None
            if width in SCREENSHOT_WIDTHS:
                folder = screenshots_dir()
                folder.mkdir(parents=True, exist_ok=True)
                shot = folder / f"{language}-{screen.name}-{width}.png"
                reader.page.screenshot(path=shot, full_page=True)
            weighed = width == WEIGHED_WIDTH
            visits[key] = Seen(
                problems=problems_at(reader, screen, site, width),
                shifts=shifts,
                text=reader.loaded_bytes("document", "stylesheet", "script") if weighed else {},
                images=reader.loaded_bytes("image") if weighed else {},
                fonts=reader.loaded_bytes("font") if weighed else {},
                screenshot=shot,
            )
        return visits[key]

    return see


@pytest.mark.parametrize(("language", "screen"), CASES)
def test_page_at_phone_and_desktop_width_with_javascript(
    seen: Callable[[str, Screen, int], Seen], language: str, screen: Screen
) -> None:
    """Screenshots at 375 and 1280 px, taken before anything is judged (a failing page is
    the one to look at); the page fits 320 and 375 px; all of it comes from the site."""
    problems: list[str] = []
    for width in sorted({*NARROW_WIDTHS, *SCREENSHOT_WIDTHS}):
        visit = seen(language, screen, width)
        if visit.screenshot is not None:
            assert png_width(visit.screenshot) >= width  # wider if the page scrolls sideways
        problems += visit.problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("language", "screen"), CASES)
def test_page_without_javascript(
    plain_reader: Reader, site: Site, language: str, screen: Screen
) -> None:
    problems: list[str] = []
    for width in NARROW_WIDTHS:
        plain_reader.visit(site(language, screen), width)
        problems += problems_at(plain_reader, screen, site, width)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("language", "screen"), CASES)
def test_nothing_shifts_while_the_page_loads_and_scrolls(
    seen: Callable[[str, Screen, int], Seen], language: str, screen: Screen
) -> None:
    """Cumulative layout shift as Lighthouse measures it, without throttling: every shift
    after load and a scroll to the end, added up (Lighthouse takes the worst one-second
    window, so this is stricter)."""
    shifts = seen(language, screen, WEIGHED_WIDTH).shifts
    total = sum(shift["value"] for shift in shifts)
    assert total < MAX_LAYOUT_SHIFT, shifts


@pytest.mark.parametrize(("language", "screen"), BUDGETED)
def test_page_weight_within_budget(
    seen: Callable[[str, Screen, int], Seen], language: str, screen: Screen
) -> None:
    """What the browser loads for the page at 375 px, lazy images included, against the
    budget: HTML, CSS and JavaScript for stories; images for the front page; and every
    font file on its own."""
    visit = seen(language, screen, WEIGHED_WIDTH)
    assert visit.text, "the page itself was loaded and counted"
    if screen.text_budget is not None:
        assert sum(visit.text.values()) <= screen.text_budget, visit.text
    if screen.image_budget is not None:
        assert visit.images, "the front page shows photos"
        assert sum(visit.images.values()) <= screen.image_budget, visit.images
    assert [url for url, size in visit.fonts.items() if size > FONT_BUDGET] == []


def png_width(path: Path) -> int:
    """The width of a PNG image, from its header (so it is one)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big")


# A page with each fault the checks above look for: a paragraph wider than a phone, a
# picture from another origin and a block pushed in above the content after the first paint.
FAULTY_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>Faults</title></head>
<body style="margin:0"><main><h1>Faults</h1>
<p class="too-wide" style="width:500px">A line set wider than a phone.</p>
<img src="http://203.0.113.9/pixel.png" width="10" height="10" alt="">
<p>Text that moves.</p>
<script>
addEventListener("load", () => requestAnimationFrame(() => setTimeout(() => {
  const block = document.createElement("div");
  block.style.height = "400px";
  document.querySelector("main").prepend(block);
}, 50)));
</script></main></body></html>"""


def test_the_checks_catch_the_faults_they_look_for(browser: Browser, tmp_path: Path) -> None:
    """The checks fail where they should: they name the element that makes the page scroll
    sideways, the request to another origin, and the layout shift."""
    (tmp_path / "index.html").write_text(FAULTY_PAGE)
    with file_server(tmp_path) as base, browser.new_context() as context:
        context.add_init_script(WATCH_LAYOUT_SHIFTS)
        context.route("http://203.0.113.9/**", lambda route: route.abort())
        reader = open_reader(context, javascript=True)
        reader.visit(base + "/", 375)
        reader.page.wait_for_function("() => window.samizdatShifts.length > 0")
        shifts: list[dict[str, Any]] = reader.page.evaluate("() => window.samizdatShifts")

        assert reader.overflow() == ["the page is 500px wide", "main > p.too-wide reaches 500px"]
        assert reader.foreign_requests(base) == ["http://203.0.113.9/pixel.png"]
        assert sum(shift["value"] for shift in shifts) >= MAX_LAYOUT_SHIFT
