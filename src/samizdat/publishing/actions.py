"""State changes of the publishing side, as functions named after what happens."""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site
from wagtail.utils.file import hash_filelike

from samizdat.core import storage
from samizdat.core.periodic import claim_period
from samizdat.core.signals import announce_change
from samizdat.publishing.audio_video import strip_tags
from samizdat.publishing.metadata import CleanedUpload, clean_document, clean_image
from samizdat.publishing.models import (
    ArticlePage,
    AuthorIndexPage,
    AuthorPage,
    HomePage,
    PrivacyPolicyPage,
)

logger = logging.getLogger(__name__)

# The skeleton's titles and the first privacy policy, in each language's catalogue.
HOME_TITLE = gettext_lazy("Front page")
AUTHOR_INDEX_TITLE = gettext_lazy("Authors")
POLICY_TITLE = gettext_lazy("Privacy policy")
# What the newsroom keeps, for how long and why, in plain words (docs/PRIVACY.md says the same
# for operators). Sections with a number of days take it from the settings in force when the
# page is made; editors change the text, and its version, from then on.
POLICY_READING = gettext_lazy(
    "<h2>Reading</h2><p>Reading our pages sets no cookies and loads nothing from other "
    "companies, and our server keeps no record of your IP address. “Remind me later” on our "
    "appeal stores a cookie in your browser that holds only the date until which the appeal "
    "stays hidden.</p>"
)
POLICY_NEWSLETTER = ngettext_lazy(
    "<h2>Newsletter</h2><p>If you subscribe we keep your email address, the language you "
    "chose and a record of your consent: this policy's version, the wording you saw, the "
    "time and the form you used. Until you confirm with the link we mail you, you are not on "
    "the list; if you never confirm, your address and that record are deleted after "
    "%(days)s day.</p>",
    "<h2>Newsletter</h2><p>If you subscribe we keep your email address, the language you "
    "chose and a record of your consent: this policy's version, the wording you saw, the "
    "time and the form you used. Until you confirm with the link we mail you, you are not on "
    "the list; if you never confirm, your address and that record are deleted after "
    "%(days)s days.</p>",
    "days",
)
POLICY_LETTERS = gettext_lazy(
    "<p>We keep a record of each letter we send you: when it went and whether it arrived. "
    "Letters carry no tracking pixels and no rewritten links, so we cannot tell whether you "
    "opened one or what you clicked. If a letter bounces or you mark it as spam, we keep a "
    "one-way digest of your address (not the address itself) so that we never write to it "
    "again.</p>"
)
POLICY_DONATIONS = ngettext_lazy(
    "<h2>Donations</h2><p>You pay on the payment provider's own page; your card details "
    "never reach us. For the receipt and for a monthly or annual gift we keep your email "
    "address, your name unless you give anonymously, the language of the receipt, the "
    "amount, the currency, the dates and the provider's reference. If you announce a bank "
    "transfer that does not arrive within %(days)s day, we delete it.</p>",
    "<h2>Donations</h2><p>You pay on the payment provider's own page; your card details "
    "never reach us. For the receipt and for a monthly or annual gift we keep your email "
    "address, your name unless you give anonymously, the language of the receipt, the "
    "amount, the currency, the dates and the provider's reference. If you announce a bank "
    "transfer that does not arrive within %(days)s days, we delete it.</p>",
    "days",
)
POLICY_PROVIDERS = ngettext_lazy(
    "<p>The messages payment providers send us about a payment are kept for %(days)s day to "
    "sort out problems, without your name, address or card details. The records of gifts "
    "are part of our accounts and stay there, but on request we remove your name and "
    "address from them.</p>",
    "<p>The messages payment providers send us about a payment are kept for %(days)s days "
    "to sort out problems, without your name, address or card details. The records of gifts "
    "are part of our accounts and stay there, but on request we remove your name and "
    "address from them.</p>",
    "days",
)
POLICY_CHOICES = gettext_lazy(
    "<h2>Your choices</h2><p>Every letter has a one-click unsubscribe link. Write to us to "
    "have your data erased: we delete your subscription and consent records (keeping only an "
    "anonymous count of consents), remove your name and address from your gifts (the amounts "
    "stay in our accounts) and delete the copies of mail to you that we keep. A monthly or "
    "annual gift has to be cancelled first, through “Manage my donation” on our donate page. "
    "Backups made before the erasure keep your data until they are deleted in turn.</p>"
)


def default_policy(language: str) -> str:
    """The first privacy policy of a language, with the retention periods now in force."""
    with translation.override(language):
        return "".join(
            [
                str(POLICY_READING),
                POLICY_NEWSLETTER % {"days": settings.NEWSLETTER_CONFIRM_DAYS},
                str(POLICY_LETTERS),
                POLICY_DONATIONS % {"days": settings.DONATIONS_PLEDGE_DAYS},
                POLICY_PROVIDERS % {"days": settings.DONATIONS_EVENT_PAYLOAD_DAYS},
                str(POLICY_CHOICES),
            ]
        )


def in_language(text: Any, language: str) -> str:
    with translation.override(language):
        return str(text)


class _WarningsOnlyFromThisThread(logging.Filter):
    """Drops records below WARNING logged by the thread that made the filter."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.thread != self.thread


@contextmanager
def without_page_log_lines() -> Iterator[None]:
    """Leave out Wagtail's INFO lines ("Page created", "Published" …) while the skeleton is
    built (on every ``migrate``): no editor did anything. Warnings and errors still show,
    and so does what other threads log meanwhile."""
    quiet = _WarningsOnlyFromThisThread()
    wagtail = logging.getLogger("wagtail")
    wagtail.addFilter(quiet)
    try:
        yield
    finally:
        wagtail.removeFilter(quiet)


@transaction.atomic
@without_page_log_lines()
def ensure_site_tree() -> HomePage | None:
    """Give a fresh install its skeleton: a locale and a home page per language, one Site.

    Idempotent: on an installation that has its tree already, nothing changes. Returns None
    when there is no tree root at all (a flushed database), where there is nothing to build on.
    """
    root = Page.get_first_root_node()
    if root is None:
        return None
    locales = {
        code: Locale.objects.get_or_create(language_code=code)[0]
        for code, _name in settings.LANGUAGES
    }
    default = locales[settings.LANGUAGE_CODE]
    home = HomePage.objects.filter(locale=default).first()
    if home is None:
        # Wagtail's placeholder "Welcome" page is replaced by the newsroom's front page.
        placeholders = Page.objects.filter(
            depth=2, content_type__app_label="wagtailcore", content_type__model="page"
        )
        Site.objects.filter(root_page__in=placeholders).delete()
        for page in placeholders:
            page.delete()
        root.refresh_from_db()
        home = root.add_child(
            instance=HomePage(
                title=in_language(HOME_TITLE, default.language_code), slug="home", locale=default
            )
        )
        logger.debug("created the front page %s", home.pk)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=settings.SITE_NAME,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    authors = AuthorIndexPage.objects.child_of(home).first()
    if authors is None:
        authors = home.add_child(
            instance=AuthorIndexPage(
                title=in_language(AUTHOR_INDEX_TITLE, default.language_code),
                slug="authors",
                locale=default,
            )
        )
    policy = PrivacyPolicyPage.objects.child_of(home).first()
    if policy is None:
        policy = home.add_child(
            instance=PrivacyPolicyPage(
                title=in_language(POLICY_TITLE, default.language_code),
                slug="privacy",
                locale=default,
                body=default_policy(default.language_code),
            )
        )
    for code, locale in locales.items():
        if locale == default:
            continue
        pages = ((home, HOME_TITLE), (authors, AUTHOR_INDEX_TITLE), (policy, POLICY_TITLE))
        for page, title in pages:
            if page.get_translation_or_none(locale) is None:
                translated = page.copy_for_translation(locale, copy_parents=False, alias=False)
                translated.title = in_language(title, code)
                if isinstance(translated, PrivacyPolicyPage):
                    translated.body = default_policy(code)
                translated.save_revision().publish()
    return home


@transaction.atomic
def place_after_last_child(parent: Page, pages: Sequence[Page]) -> None:
    """Give ``pages`` (not saved yet) their places in the tree after ``parent``'s last child,
    for one bulk insert: what ``add_child`` does with queries for each page."""
    last = (
        Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    step = Page._str2int(last[-Page.steplen :]) if last else 0
    for page in pages:
        step += 1
        page.depth = parent.depth + 1
        page.path = Page._get_path(parent.path, page.depth, step)
        page.url_path = f"{parent.url_path}{page.slug}/"


def use_translated_authors(article: ArticlePage) -> int:
    """Point a freshly translated article's bylines at its authors' pages in its language.

    Wagtail copies the author links as they are, so a Russian translation would credit the
    English author pages. Authors without a translation keep their link. Returns how many
    links changed; the change is saved as a new revision so the editor sees it.
    """
    changed = 0
    for link in article.article_authors.all():
        translated = AuthorPage.objects.filter(
            translation_key=link.author.translation_key, locale_id=article.locale_id
        ).first()
        if translated is not None and translated.pk != link.author_id:
            link.author = translated
            link.save(update_fields=["author"])
            changed += 1
    if changed:
        article.save_revision()
    return changed


SCHEDULE_PERIOD = "publishing.publish-scheduled"
SCHEDULE_SECONDS = 55  # a little under the worker's minute: one run a round


def publish_scheduled_pages() -> bool:
    """Publish the pages whose go-live time has come and unpublish those that expired
    (Wagtail's ``publish_scheduled``). With several workers, the one that claims the period
    (``core.periodic``) does it this round; True when this one did."""
    if not claim_period(SCHEDULE_PERIOD, SCHEDULE_SECONDS):
        return False
    call_command("publish_scheduled", verbosity=0)
    return True


def _uncleaned_upload(instance: Any) -> bytes | None:
    """The bytes of a file about to be stored that no admin form has cleaned yet, or None."""
    pending = instance.file
    if not pending or pending._committed:
        return None
    upload = pending.file
    if getattr(upload, "metadata_removed", False):
        return None
    upload.seek(0)
    data: bytes = upload.read()
    return data


def remove_upload_metadata(*, instance: Any, clean: Callable[[bytes], bytes]) -> None:
    """Before an image or document is first stored (or gets a new file): its file without
    identifying metadata, with its size and hash. Uploads through the admin's forms are
    already clean (``CleanedUpload``); this catches every other way in (the demo,
    scripts). Raises ``MetadataError`` for a file that cannot be cleaned."""
    data = _uncleaned_upload(instance)
    if data is None:
        return
    cleaned = clean(data)
    if cleaned != data:
        instance.file = CleanedUpload(os.path.basename(instance.file.name), cleaned)
    instance.file_size = len(cleaned)
    instance.file_hash = hash_filelike(io.BytesIO(cleaned))


def remove_media_tags(*, instance: Any) -> None:
    """Before an audio or video file is first stored (or replaced): its file without tags
    (``audio_video.strip_tags``), its length filled in when the editor gave none. Uploads through
    the admin's form are already clean; this catches every other way in."""
    data = _uncleaned_upload(instance)
    if data is None:
        return
    cleaned = strip_tags(data)
    if cleaned.data != data:
        instance.file = CleanedUpload(os.path.basename(instance.file.name), cleaned.data)
    if cleaned.duration and not instance.duration:
        instance.duration = round(cleaned.duration, 2)


def clean_stored_image(*, image_id: int) -> bool:
    """Remove the metadata of an image stored before uploads were cleaned: its file is
    rewritten in place, its size, hash and dimensions (an orientation turned upright) updated
    and its renditions deleted, to be made again from the clean file; the public site is
    announced as changed. Whether the file changed; ``MetadataError`` when it cannot be."""
    Image = get_image_model()
    with transaction.atomic():
        image = Image.objects.select_for_update().get(pk=image_id)
        changed = _clean_stored_file(image, clean_image)
        if changed:
            stored = image.file.storage.open(image.file.name, "rb")
            with stored, PILImage.open(stored) as picture:
                image.width, image.height = picture.size
            if image.focal_point_x is not None and (
                image.focal_point_x >= image.width or image.focal_point_y >= image.height
            ):
                image.set_focal_point(None)
            image.save()
            image.renditions.all().delete()
            announce_change(Image)
    return changed


def clean_stored_document(*, document_id: int) -> bool:
    """Remove the metadata of a document stored before uploads were cleaned, in place (its
    address stays); whether the file changed. ``MetadataError`` when it cannot be cleaned."""
    Document = get_document_model()
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        changed = _clean_stored_file(
            document, lambda data: clean_document(data, document.file.name)
        )
    return changed


def _clean_stored_file(instance: Any, clean: Callable[[bytes], bytes]) -> bool:
    """Rewrite ``instance``'s file without metadata; its size and hash saved when they
    differ (also for a clean file whose row was stale). Whether the file changed."""
    with instance.file.open("rb") as stored:
        data = stored.read()
    cleaned = clean(data)
    if cleaned != data:
        # The same name: links to a document keep working, and no copy with metadata stays.
        storage.replace(instance.file.name, cleaned, instance.file.storage)
    digest = hash_filelike(io.BytesIO(cleaned))
    if (instance.file_size, instance.file_hash) != (len(cleaned), digest):
        instance.file_size, instance.file_hash = len(cleaned), digest
        instance.save(update_fields=["file_size", "file_hash"])
    return cleaned != data
