"""Keep the edition files in step with the stories: a story published, corrected or withdrawn
announces the files of the weeks that carry it (the bundle renders them again, without a
withdrawn story), and a newsletter sent announces its week's files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_published, page_unpublished

from samizdat.core.signals import announce_change, public_site_changed
from samizdat.editions import build
from samizdat.editions.models import WeeklyEdition
from samizdat.newsletter.models import Edition, EditionItem
from samizdat.publishing.models import ArticlePage


def weeks_carrying(page: ArticlePage) -> set[build.Week]:
    """The weeks whose edition has (or had) this story: its own week when that week has an
    edition, and the weeks of the sent newsletters that picked it."""
    language = page.locale.language_code
    archive = set(build.archive(language))
    weeks = set()
    if page.first_published_at is not None:
        own = build.Week.of(page.first_published_at, language)
        if own in archive:
            weeks.add(own)
    for started in (
        EditionItem.objects.filter(
            article_id=page.pk,
            edition__status__in=[Edition.Status.SENDING, Edition.Status.SENT],
            edition__started_at__isnull=False,
        )
        .values_list("edition__started_at", flat=True)
        .distinct()
    ):
        weeks.add(build.Week.of(started, language))
    return weeks


def week_change_paths(weeks: set[build.Week]) -> list[str]:
    paths: list[str] = []
    for week in sorted(weeks):
        paths.extend([f"/{week.language}/editions/", *build.week_paths(week)])
    return list(dict.fromkeys(paths))


@receiver(page_published, sender=ArticlePage, dispatch_uid="samizdat-editions-story-published")
@receiver(page_unpublished, sender=ArticlePage, dispatch_uid="samizdat-editions-story-withdrawn")
def _story_changed(sender: Any, instance: ArticlePage, **kwargs: Any) -> None:
    page = instance.specific if not isinstance(instance, ArticlePage) else instance
    weeks = weeks_carrying(page)
    if weeks:
        announce_change(WeeklyEdition, lambda: week_change_paths(weeks))


@receiver(public_site_changed, dispatch_uid="samizdat-editions-newsletter-sent")
def _newsletter_sent(sender: Any, paths: list[str] | None = None, **kwargs: Any) -> None:
    """A newsletter edition sent (the newsletter announces its archive) makes its week's
    files: announce the weeks of the editions sent lately."""
    if sender is not Edition or paths is None:
        return
    since = timezone.now() - timedelta(days=8)
    weeks = {
        build.Week.of(started, language)
        for language, started in Edition.objects.filter(
            status__in=[Edition.Status.SENDING, Edition.Status.SENT], started_at__gte=since
        ).values_list("language", "started_at")
        if language in dict(settings.LANGUAGES)
    }
    if weeks:
        announce_change(WeeklyEdition, week_change_paths(weeks))
