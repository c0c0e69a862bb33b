"""What the editions contribute: their pages and files (public paths the bundle renders), a
link in every letter, and the week's file attached to letters when the newsroom asks."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.template import Context
from django.urls import URLPattern, path, re_path
from django.utils import timezone
from wagtail import hooks

from samizdat.core.hooks import LANGUAGE_URLS, LETTER_ATTACHMENTS, PUBLIC_PATHS, region
from samizdat.core.paths import absolute
from samizdat.core.regions import register_letter_block, render_block
from samizdat.editions import build, views
from samizdat.newsletter.models import Edition

logger = logging.getLogger(__name__)
# The largest file a letter carries: 4 MiB is ~5.5 MB in base64, under the 10 MB many mail
# services accept, with room for the letter itself.
ATTACH_LIMIT = 4 * 1024 * 1024


@hooks.register(LANGUAGE_URLS)
def urls() -> list[URLPattern]:
    week = r"(?P<slug>\d{4}-[wW]\d{2})"
    kind = r"(?P<kind>html|epub)"
    return [
        path("editions/", views.editions_page, name="editions"),
        re_path(rf"^editions/{week}\.{kind}$", views.edition_file, name="edition_file"),
        re_path(rf"^editions/{week}\.{kind}\.sig$", views.edition_signature),
    ]


@hooks.register(PUBLIC_PATHS)
def edition_paths() -> list[str]:
    return build.public_paths()


@hooks.register(region("front_page_end"), order=30)
def editions_on_front_page(context: Context) -> str:
    """A line on the front page that leads to the week's files (the same on every front
    page of a language, its link relative)."""
    language = str(context.get("LANG") or settings.LANGUAGE_CODE)
    values = {"editions_path": f"/{language}/editions/", "request": context.get("request")}
    return render_block(context, "editions/front_page_editions.html", values)


def _week_of_letter(edition: Any, language: str) -> build.Week:
    started = getattr(edition, "started_at", None) or timezone.now()
    return build.Week.of(started, language)


def _letter_context(context: Context) -> dict[str, Any]:
    language = str(context.get("LANG") or settings.LANGUAGE_CODE)
    week = _week_of_letter(context.get("edition"), language)
    return {
        "edition_file_url": absolute(week.path("html")),
        "edition_book_url": absolute(week.path("epub")),
        "editions_url": absolute(f"/{language}/editions/"),
    }


register_letter_block("editions/letter_edition", _letter_context, order=15)


@hooks.register(LETTER_ATTACHMENTS)
def attach_edition(*, edition_id: int, language: str) -> list[tuple[str, str, bytes]]:
    """The week's edition as a file on every letter (``SAMIZDAT_EDITION_ATTACH``: ``epub`` or
    ``html``; off by default: it makes every letter as large as the file)."""
    kind = settings.EDITION_ATTACH
    if kind not in build.KINDS:
        return []
    edition = Edition.objects.filter(pk=edition_id).first()
    week = _week_of_letter(edition, language)
    data = build.files(week).data(kind)
    if len(data) > ATTACH_LIMIT:
        logger.warning(
            "editions: %s %s is %d bytes, more than a letter should carry; letters link it only",
            week.slug,
            kind,
            len(data),
        )
        return []
    return [(week.file_name(kind), build.CONTENT_TYPES[kind].split(";")[0], data)]
