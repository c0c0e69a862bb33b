"""Turn Wagtail ``url_path`` values into public paths and links that work under any prefix.

A page's public path is ``/<language>/<slug>/…/``. Links inside pages are written relative to
the page that contains them (``../../news/``) so the same HTML works from the main domain, a
mirror under a path prefix, an onion address or a static bucket.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site


def language_roots() -> list[tuple[str, str]]:
    """Pairs of (root url_path, "/<language>/"), longest root first."""
    roots = {srp.root_path: f"/{srp.language_code}/" for srp in Site.get_site_root_paths()}
    return sorted(roots.items(), key=lambda item: len(item[0]), reverse=True)


def roots_for(request: HttpRequest | None) -> list[tuple[str, str]]:
    if request is None:
        return language_roots()
    roots = getattr(request, "_samizdat_roots", None)
    if roots is None:
        roots = language_roots()
        request._samizdat_roots = roots  # type: ignore[attr-defined]
    return roots


def public_path(url_path: str, roots: list[tuple[str, str]]) -> str | None:
    """The path a reader sees for a page with this ``url_path``, or None if it has none."""
    for root, prefix in roots:
        if url_path.startswith(root):
            return prefix + url_path[len(root) :]
    return None


def root_for_language(language: str, roots: list[tuple[str, str]]) -> str | None:
    for root, prefix in roots:
        if prefix == f"/{language}/":
            return root
    return None


def relative_prefix(request_path: str) -> str:
    """The ``../`` chain that leads from the directory of ``request_path`` to the site root."""
    depth = request_path[1:].count("/")
    return "../" * depth if depth else "./"


def relative(request_path: str, target: str) -> str:
    """A link to the absolute path ``target`` written relative to ``request_path``."""
    if not target.startswith("/") or target.startswith("//"):
        return target
    return relative_prefix(request_path) + target[1:]


# Set on the requests that render pages for the static copies (the bundle): their links name
# files, since a copy opened from disk or served by a plain web server or bucket finds no
# index file in a folder it is pointed at (a feed's ``index.xml`` on none of them).
FOR_A_COPY = "samizdat_for_a_copy"


def index_file(path: str) -> str:
    """The file that holds the address ``path`` in a copy: ``/en/news/`` →
    ``/en/news/index.html``, a feed ``/en/feed/rss/`` → ``/en/feed/rss/index.xml``; a path
    that names a file stays as it is."""
    if path != "" and not path.endswith("/"):
        return path
    return path + (
        "index.xml" if path.rstrip("/").rsplit("/", 2)[-2:-1] == ["feed"] else "index.html"
    )


def in_a_copy(target: str) -> str:
    """``target`` (a path, with any query or fragment) naming the file a copy holds there."""
    cut = min((i for i in (target.find("?"), target.find("#")) if i >= 0), default=len(target))
    return index_file(target[:cut]) + target[cut:]


def absolute(target: str) -> str:
    """An absolute URL on the canonical site (for canonical links, feeds and sitemaps)."""
    return settings.SITE_URL + target


def link(context: Any, target: str) -> str:
    """``target`` relative to the page being rendered, or absolute when the output leaves the
    site (``absolute_urls`` in the context: feeds)."""
    context = context or {}
    if context.get("absolute_urls"):
        return absolute(target) if target.startswith("/") else target
    request = context.get("request")
    if request is None:
        return relative("/", target)
    if getattr(request, FOR_A_COPY, False) and target.startswith("/"):
        target = in_a_copy(target)
    return relative(request.path, target)


ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")(/[^/"][^"]*|/)"')


def relative_html(context: Any, html: str) -> str:
    """``html`` (rich text) with its root-relative links (``href="/en/news/…"``, as Wagtail
    writes links to pages) written like every other link of the page."""
    return ROOT_RELATIVE.sub(lambda m: f'{m[1]}{link(context, m[2])}"', html)
