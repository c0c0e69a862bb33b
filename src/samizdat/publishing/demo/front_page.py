"""The demo's story labels and the front pages its editors made: a chosen lead and featured
stories in each language."""

from __future__ import annotations

from wagtail.models import Revision

from samizdat.publishing.models import ArticlePage, HomePage, HomePageFeaturedStory

# Demo stories (by their English slug) and their labels; the opinion section's columns are
# all "opinion". Translations carry the label of their original.
LABELS = {
    "grain-exporters-find-costly-routes-around-sanctions": "analysis",
    "kron-slide-inflation-prices-outpace-wages": "analysis",
    "remittance-fees-rise-as-transfer-channels-narrow": "explainer",
    "road-building-tenders-leaked-files-trakt-holding": "exclusive",
}
LEAD = "road-building-tenders-leaked-files-trakt-holding"
FEATURED = (
    "ruzhno-court-opens-trial-of-reporter-oleg-varna",
    "referendum-campaign-constitutional-amendments",
    "column-every-story-twice-two-languages",
)


def set_label(story: ArticlePage, label: str) -> None:
    """Give a published story its label, in its row and in its latest revision (which the
    editor opens next)."""
    ArticlePage.objects.filter(pk=story.pk).update(label=label)
    revision = Revision.objects.filter(pk=story.latest_revision_id).first()
    if revision is not None:
        revision.content["label"] = label
        revision.save(update_fields=["content"])


def label_stories_and_choose_front_pages() -> int:
    """Label the demo's stories and choose each language's lead and featured stories, once;
    return how many front pages were chosen."""
    originals = ArticlePage.objects.filter(locale__language_code="en")
    keys = {}
    for story in originals.filter(label=""):
        label = "opinion" if story.url_path.rstrip("/").split("/")[-2] == "opinion" else ""
        label = LABELS.get(story.slug, label)
        if label:
            keys[story.translation_key] = label
    for story in ArticlePage.objects.filter(translation_key__in=keys, label=""):
        set_label(story, keys[story.translation_key])

    slugs = [LEAD, *FEATURED]
    by_slug = dict(originals.filter(slug__in=slugs).values_list("slug", "translation_key"))
    chosen = 0
    for home in HomePage.objects.all():
        if home.lead_story_id is not None or home.featured_stories.exists():
            continue
        in_language = dict(
            ArticlePage.objects.live()
            .filter(locale_id=home.locale_id, translation_key__in=by_slug.values())
            .values_list("translation_key", "pk")
        )
        picks = [in_language[by_slug[slug]] for slug in slugs if by_slug.get(slug) in in_language]
        if not picks:
            continue
        # Where the lead is not translated, the first featured story leads.
        home.lead_story_id = picks[0]
        home.featured_stories = [
            HomePageFeaturedStory(story_id=pk, sort_order=order)
            for order, pk in enumerate(picks[1:])
        ]
        home.save_revision().publish()
        chosen += 1
    return chosen
