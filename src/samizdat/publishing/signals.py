"""React to editors' changes: uploads stored without their metadata, cached navigation,
view-restriction flags, translated bylines, the site tree after migrate, and the public paths a
change touches."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import (
    copy_for_translation_done,
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
)
from wagtailmedia.models import get_media_model

from samizdat.core.signals import announce_change
from samizdat.publishing.actions import (
    ensure_site_tree,
    remove_media_tags,
    remove_upload_metadata,
    use_translated_authors,
)
from samizdat.publishing.documents import linked_by_public_page
from samizdat.publishing.metadata import clean_document, clean_image
from samizdat.publishing.models import (
    ArticlePage,
    InfoPage,
    NewsroomPage,
    PrivacyPolicyPage,
    SectionPage,
    SecureContactSettings,
    forget_navigation,
    forget_privacy_policy,
    forget_view_restrictions,
    secure_contact_paths,
)


@receiver(post_migrate, dispatch_uid="samizdat-site-tree")
def _ensure_site_tree(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "label", "") == "publishing" and using == "default":
        ensure_site_tree()


@receiver(page_published, dispatch_uid="samizdat-public-published")
def _published(sender: Any, instance: Page, **kwargs: Any) -> None:
    page = instance.specific
    # The page says which paths it touched, once the publication is committed.
    announce_change(sender, page.touched_paths if isinstance(page, NewsroomPage) else None)


# A page withdrawn (or deleted, which withdraws it first), moved, renamed or made private
# leaves no trace anywhere: its images, listings, feeds, the "Read more" of later stories.
@receiver(page_unpublished, dispatch_uid="samizdat-public-unpublished")
@receiver(page_slug_changed, dispatch_uid="samizdat-public-slug")
@receiver(post_page_move, dispatch_uid="samizdat-public-moved")
@receiver(post_save, sender=PageViewRestriction, dispatch_uid="samizdat-public-restricted")
@receiver(post_delete, sender=PageViewRestriction, dispatch_uid="samizdat-public-unrestricted")
def _withdrawn(sender: Any, **kwargs: Any) -> None:
    announce_change(sender)


@receiver(post_delete, sender=Page, dispatch_uid="samizdat-public-deleted")
def _deleted(sender: Any, instance: Page, **kwargs: Any) -> None:
    if instance.live:
        announce_change(sender)


@receiver(pre_save, sender=get_image_model(), dispatch_uid="samizdat-image-metadata")
def _image_stored(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        remove_upload_metadata(instance=instance, clean=clean_image)


@receiver(pre_save, sender=get_document_model(), dispatch_uid="samizdat-document-metadata")
def _document_stored(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        name = instance.file.name or ""
        remove_upload_metadata(instance=instance, clean=lambda data: clean_document(data, name))


@receiver(pre_save, sender=get_media_model(), dispatch_uid="samizdat-media-tags")
def _media_stored(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        remove_media_tags(instance=instance)


@receiver(post_delete, sender=get_image_model(), dispatch_uid="samizdat-public-image-deleted")
@receiver(post_delete, sender=get_media_model(), dispatch_uid="samizdat-public-media-deleted")
def _image_deleted(sender: Any, **kwargs: Any) -> None:
    # A photo taken down (to protect a source, say) leaves every copy with its renditions.
    announce_change(sender)


@receiver(post_save, sender=get_document_model(), dispatch_uid="samizdat-public-document-saved")
def _document_changed(sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any) -> None:
    # A public document replaced (a name redacted, say): every copy follows. A new document
    # is on no page yet.
    if not created and not raw and linked_by_public_page(instance):
        announce_change(sender)


@receiver(post_delete, sender=get_document_model(), dispatch_uid="samizdat-public-document-gone")
def _document_deleted(sender: Any, **kwargs: Any) -> None:
    # Its row is gone, so which pages linked it cannot be asked: every copy is rebuilt.
    announce_change(sender)


@receiver(page_published, sender=SectionPage, dispatch_uid="samizdat-nav-published")
@receiver(page_unpublished, sender=SectionPage, dispatch_uid="samizdat-nav-unpublished")
@receiver(post_delete, sender=SectionPage, dispatch_uid="samizdat-nav-delete")
@receiver(post_page_move, dispatch_uid="samizdat-nav-moved")
def _navigation_changed(sender: Any, **kwargs: Any) -> None:
    instance = kwargs.get("instance")
    if isinstance(getattr(instance, "specific", instance), SectionPage | InfoPage):
        transaction.on_commit(forget_navigation)


# Information pages are linked from the header and the footer (cached with the navigation);
# a page made private leaves both.
@receiver(page_published, sender=InfoPage, dispatch_uid="samizdat-info-published")
@receiver(page_unpublished, sender=InfoPage, dispatch_uid="samizdat-info-unpublished")
@receiver(post_delete, sender=InfoPage, dispatch_uid="samizdat-info-delete")
@receiver(post_save, sender=PageViewRestriction, dispatch_uid="samizdat-links-restricted")
@receiver(post_delete, sender=PageViewRestriction, dispatch_uid="samizdat-links-unrestricted")
def _site_links_changed(sender: Any, **kwargs: Any) -> None:
    transaction.on_commit(forget_navigation)


@receiver(post_save, sender=SecureContactSettings, dispatch_uid="samizdat-secure-contact-saved")
def _secure_contact_changed(sender: Any, **kwargs: Any) -> None:
    # Rendered afresh by every page that shows it; the copies of those pages are re-rendered.
    announce_change(sender, secure_contact_paths)


@receiver(page_published, sender=PrivacyPolicyPage, dispatch_uid="samizdat-policy-published")
@receiver(page_unpublished, sender=PrivacyPolicyPage, dispatch_uid="samizdat-policy-unpublished")
@receiver(post_page_move, dispatch_uid="samizdat-policy-moved")
def _policy_changed(sender: Any, **kwargs: Any) -> None:
    transaction.on_commit(forget_privacy_policy)


@receiver(post_save, sender=PageViewRestriction, dispatch_uid="samizdat-pvr-saved")
@receiver(post_delete, sender=PageViewRestriction, dispatch_uid="samizdat-pvr-deleted")
def _restrictions_changed(sender: Any, **kwargs: Any) -> None:
    transaction.on_commit(forget_view_restrictions)


@receiver(copy_for_translation_done, dispatch_uid="samizdat-translated-authors")
def _translation_copied(sender: Any, target_obj: Any = None, **kwargs: Any) -> None:
    page = getattr(target_obj, "specific", target_obj)
    if isinstance(page, ArticlePage):
        use_translated_authors(page)
