"""Every address of the old site answers 301 to what it became here.

Redirects are Wagtail's own (``wagtail.contrib.redirects``): editors see and change them under
Settings → Redirects, the app answers them where a path is otherwise a 404, the
``old_query_addresses`` middleware answers WordPress's query addresses (``/?p=12``), and
``samizdat mirror nginx-conf`` writes them all as rules for the readers' web server
(``nginx_redirects``). A redirect leads to a page (so it follows the page when it moves), or
to a route of one (a feed), or to a link.

Which import made a redirect is an ``ImportedItem`` of kind ``redirect`` (its ``source_id`` the
old path of the redirect for all sites, ``fingerprint`` a digest of the target it was given): a second run
updates the redirects it made, and leaves alone one an editor changed since, or one it did not
make (an editor's own), unless Wagtail made it by itself when a page moved.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import DatabaseError, connection, transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, Site

from samizdat.core.paths import language_roots, public_path, root_for_language
from samizdat.importer.models import ImportedItem

logger = logging.getLogger(__name__)

KIND = "redirect"  # ImportedItem.kind of the redirects an import made
OLD_PATH_LENGTH = 255  # Redirect.old_path
RSS = "/feed/rss/"
ATOM = "/feed/atom/"
# The query keys of WordPress's addresses without pretty permalinks: a post, a page, a
# category, a tag, an author, a feed.
QUERY_KEYS = ("p", "page_id", "cat", "tag", "author", "feed")
# Index pages WordPress answers query addresses at, besides the front page.
QUERY_PATHS = ("/", "/index.php")
# The whole site's feeds, and which of the language's feeds each becomes.
SITE_FEEDS = {
    "wordpress": {
        "/feed/": RSS,
        "/feed/rss/": RSS,
        "/feed/rss2/": RSS,
        "/feed/rdf/": RSS,
        "/feed/atom/": ATOM,
        "/rss/": RSS,
        "/comments/feed/": RSS,
        "/?feed=rss": RSS,
        "/?feed=rss2": RSS,
        "/?feed=rdf": RSS,
        "/?feed=atom": ATOM,
        "/?feed=comments-rss2": RSS,
    },
    "ghost": {"/rss/": RSS, "/feed/": RSS},
}
# The feeds of a category, tag or author below its own address.
LIST_FEEDS = {
    "wordpress": {"feed/": RSS, "feed/rss/": RSS, "feed/rss2/": RSS, "feed/atom/": ATOM},
    "ghost": {"rss/": RSS},
}
# Below a post's address (and a WordPress page's): WordPress's comments feed (there is no such
# feed here: the article itself), Ghost's AMP page.
POST_SUBPAGES = {"wordpress": ("feed/",), "ghost": ("amp/",)}
KINDS = ("post", "page", "section", "tag", "author")


@dataclass(frozen=True)
class Target:
    """Where a redirect leads: a page (and a route of it, such as a feed), or a link."""

    page_id: int | None = None
    route: str = ""  # "/feed/rss/": the page's route, as Wagtail's redirect_page_route_path
    link: str = ""

    def below(self, route: str) -> Target:
        """The target's route ``route`` (a feed), or the target itself for ``""``."""
        if not route:
            return self
        if self.page_id is not None:
            return Target(self.page_id, self.route.rstrip("/") + route)
        return Target(link=self.link.rstrip("/") + route)

    def key(self, *, permanent: bool = True) -> str:
        kind = "301" if permanent else "302"
        if self.page_id is not None:
            return f"{kind} page {self.page_id}{self.route}"
        return f"{kind} link {self.link}"

    def apply(self, redirect: Redirect) -> None:
        redirect.redirect_page_id = self.page_id
        redirect.redirect_page_route_path = self.route
        redirect.redirect_link = self.link
        redirect.is_permanent = True


def remember(
    *,
    source: str,
    old_paths: Iterable[str],
    page: Page | None = None,
    target_url: str = "",
    kind: str = "post",
    source_id: str = "",
) -> int:
    """Save permanent redirects from every old path of a post, page, section, tag or author
    (``kind``), and from the feed addresses below them, to ``page`` (or to ``target_url``, a
    site-relative URL such as ``/en/tags/energy/``).

    ``source`` is ``"<system>:<host>"``; ``source_id``, the thing's id on a WordPress site,
    adds its query address (``/?cat=3``, ``/?author=2``) for a section or an author. Returns how
    many old addresses lead there (new, updated or already so); idempotent.
    """
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not one of {', '.join(KINDS)}.")
    if page is None and not target_url:
        raise ValueError("remember() needs a page or a target_url.")
    system = source.split(":", 1)[0]
    target = Target(page.pk) if page is not None else _target_of(target_url)
    wanted: dict[str, Target] = {}
    paths = list(old_paths)
    if system == "wordpress" and source_id.isdigit():
        query = {"section": "cat", "author": "author"}.get(kind)
        if query:
            paths.append(f"/?{query}={source_id}")
    own = (page.url if page is not None else target_url) or ""
    for old_path in paths:
        for derived, route in _derived(old_path, kind=kind, system=system):
            normal = Redirect.normalise_path(derived)
            if own and normal == Redirect.normalise_path(own.rstrip("/") + (route or "/")):
                continue  # the old address is the new one: a redirect would lead to itself
            if len(normal) > OLD_PATH_LENGTH:
                logger.warning("an old address longer than %s characters is not kept", 255)
                continue
            if normal == "/":  # the front page stays the front page
                continue
            wanted.setdefault(normal, target.below(route))
    return _save(source, wanted)


def remember_site_feeds(*, source: str, language: str) -> int:
    """Redirect the old site's own feeds (``/feed/``, ``/rss/``, ``/?feed=rss2``…) to the
    language's main feeds; returns how many. ValueError when the language has no front page."""
    home = _home(language)
    if home is None:
        raise ValueError(f"There is no front page for the language {language!r}.")
    feeds = SITE_FEEDS.get(source.split(":", 1)[0], SITE_FEEDS["wordpress"])
    wanted = {Redirect.normalise_path(old): Target(home, feed) for old, feed in feeds.items()}
    return _save(source, wanted)


def _derived(old_path: str, *, kind: str, system: str) -> list[tuple[str, str]]:
    """The addresses an old path stands for: itself and the feeds (and the like) below it,
    each with the route of the target it leads to."""
    parts = urlsplit(old_path)
    if parts.query or not parts.path.startswith("/"):
        return [(old_path, "")]
    base = parts.path if parts.path.endswith("/") else parts.path + "/"
    found = [(old_path, "")]
    if kind == "post" or (kind == "page" and system == "wordpress"):
        found += [(base + below, "") for below in POST_SUBPAGES.get(system, ())]
    else:
        found += [(base + below, feed) for below, feed in LIST_FEEDS.get(system, {}).items()]
    if system == "wordpress" and kind == "tag":
        segments = [segment for segment in base.split("/") if segment]
        if len(segments) == 2 and segments[0] == "tag":
            found.append((f"/?tag={segments[1]}", ""))
    return found


def _save(source: str, wanted: dict[str, Target]) -> int:
    """Create or update the redirects ``wanted`` (old path → target); how many lead there.

    Called for every post of an import: the look-ups and the inserts are plain SQL (the ORM's
    query building cost more than the database), a statement each for every call.
    """
    if not wanted:
        return 0
    redirects, items = Redirect._meta.db_table, ImportedItem._meta.db_table
    paths = list(wanted)
    marks = ", ".join(["%s"] * len(paths))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, old_path, redirect_page_id, redirect_page_route_path, redirect_link,"  # noqa: S608 (table names)
            f" is_permanent, automatically_created FROM {redirects}"
            f" WHERE site_id IS NULL AND old_path IN ({marks})",
            paths,
        )
        existing = {row[1]: row for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT source_id, fingerprint FROM {items}"  # noqa: S608 (table names)
            f" WHERE source = %s AND kind = %s AND source_id IN ({marks})",
            [source, KIND, *paths],
        )
        ours = dict(cursor.fetchall())
        created: list[tuple[Any, ...]] = []
        changed: list[Redirect] = []
        new_items: list[tuple[Any, ...]] = []
        updated_items: list[tuple[str, str]] = []
        leading = 0
        for path, target in wanted.items():
            row, fingerprint, key = existing.get(path), ours.get(path), _digest(target.key())
            if row is None:
                created.append((path, True, target.page_id, target.route, target.link, False, now))
            else:
                pk, _path, page_id, route, link, permanent, automatic = row
                current = _digest(
                    (
                        Target(page_id, route or "") if page_id is not None else Target(link=link)
                    ).key(permanent=bool(permanent))
                )
                if current != key:
                    if not (fingerprint == current or automatic):
                        # An editor's redirect, or ours changed by hand since: theirs to keep.
                        continue
                    redirect = Redirect(pk=pk, old_path=path)
                    target.apply(redirect)
                    changed.append(redirect)
            leading += 1
            if fingerprint is None:
                new_items.append((source, KIND, path, key, now))
            elif fingerprint != key:
                updated_items.append((key, path))
        if created:
            cursor.executemany(
                f"INSERT INTO {redirects} (old_path, is_permanent, redirect_page_id,"  # noqa: S608 (table names)
                " redirect_page_route_path, redirect_link, automatically_created, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                created,
            )
        if changed:
            Redirect.objects.bulk_update(
                changed,
                [
                    "redirect_page",
                    "redirect_page_route_path",
                    "redirect_link",
                    "is_permanent",
                    "automatically_created",
                ],
            )
        if new_items:
            cursor.executemany(
                f"INSERT INTO {items} (source, kind, source_id, fingerprint, imported_at)"  # noqa: S608 (table names)
                " VALUES (%s, %s, %s, %s, %s)",
                new_items,
            )
        if updated_items:
            cursor.executemany(
                f"UPDATE {items} SET fingerprint = %s, imported_at = %s"  # noqa: S608 (table names)
                " WHERE source = %s AND kind = %s AND source_id = %s",
                [(key, now, source, KIND, path) for key, path in updated_items],
            )
    return leading


def _digest(key: str) -> str:
    """A target's key as ``ImportedItem.fingerprint`` holds it (a route can be long)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _home(language: str) -> int | None:
    """The id of the language's front page."""
    root = root_for_language(language, language_roots())
    if root is None:
        return None
    return Page.objects.filter(url_path=root).values_list("pk", flat=True).first()


def _target_of(url: str) -> Target:
    """A site-relative URL as a page's route where a page answers it (``/en/tags/energy/``:
    the front page's route ``/tags/energy/``), so editors can change it like any other; else
    the URL as a link."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or parts.query or not parts.path.startswith("/"):
        return Target(link=url)
    for root, prefix in language_roots():
        if not parts.path.startswith(prefix):
            continue
        rest = [segment for segment in parts.path[len(prefix) :].split("/") if segment]
        candidates = [root + "".join(f"{s}/" for s in rest[:n]) for n in range(len(rest) + 1)]
        page = Page.objects.filter(url_path__in=candidates).order_by("-depth").first()
        if page is None:
            break
        remainder = rest[page.url_path[len(root) :].count("/") :]
        if not remainder:
            return Target(page.pk)
        route = "/" + "".join(f"{s}/" for s in remainder)
        specific = page.specific
        try:
            specific.resolve_subpage(route)
        except (AttributeError, Http404):  # not a routable page, or no such route
            break
        return Target(page.pk, route)
    return Target(link=url)


def find(*, request: HttpRequest, old_paths: list[str]) -> Redirect | None:
    """The first of ``old_paths`` (normalised) with a redirect for the request's site, to a
    page that is public (one withdrawn since must not show where it was)."""
    site = Site.find_for_request(request)
    found = {
        redirect.old_path: redirect
        for redirect in Redirect.get_for_site(site)
        .filter(old_path__in=old_paths)
        .select_related("redirect_page")
        if redirect.redirect_page is None or redirect.redirect_page.live
    }
    return next((found[path] for path in old_paths if path in found), None)


def query_addresses(path: str, query: str) -> list[str]:
    """The old query addresses a request for ``path?query`` may stand for (normalised), one
    for each of WordPress's query keys it has; none on other paths."""
    if path not in QUERY_PATHS or not query:
        return []
    pairs = parse_qsl(query, keep_blank_values=False)
    return [
        Redirect.normalise_path(f"/?{key}={value}")
        for wanted in QUERY_KEYS
        for key, value in pairs[:20]
        if key == wanted
    ]


def nginx_redirects() -> list[tuple[str, str]]:
    """Every permanent redirect of the default site (and of all sites) as (old path, new URL):
    ``samizdat mirror nginx-conf`` writes them for nginx. Redirects to a page that is not live
    are left to the app. A machine whose database is not set up yet gets none, with a
    warning (``samizdat setup`` writes the block before it migrates)."""
    try:
        if not Redirect.objects.filter(is_permanent=True).exists():
            return []  # nothing to write, and no need of the shared cache for the roots
    except DatabaseError:
        logger.warning(
            "the old addresses could not be read from the database: the nginx block has "
            "none; make it again once the database is set up"
        )
        return []
    roots = language_roots()
    site = Site.objects.filter(is_default_site=True).first()
    rows = (
        Redirect.get_for_site(site)
        .filter(is_permanent=True)
        .values_list(
            "old_path",
            "redirect_page__url_path",
            "redirect_page__live",
            "redirect_page_route_path",
            "redirect_link",
            "site_id",
        )
        .order_by("old_path", "site_id")
    )
    moved: dict[str, str] = {}
    for old_path, url_path, live, route, link, site_id in rows.iterator(chunk_size=5000):
        if url_path is not None:
            if not live or (base := public_path(url_path, roots)) is None:
                continue
            new = base.rstrip("/") + route if route else base
        elif link:
            new = link
        else:
            continue
        if site_id is not None or old_path not in moved:  # the site's own wins
            moved[old_path] = new
    return list(moved.items())
