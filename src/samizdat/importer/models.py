"""What an import brought over, keyed on the old system's ids, so a second run updates."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportedItem(models.Model):
    """One thing of an old site (a post, page, author, term, image or file) and what it became
    here: a page, an image, a document or a media item."""

    source = models.CharField(_("source"), max_length=200)  # "wordpress:example.org"
    kind = models.CharField(_("kind"), max_length=20)  # post, page, author, category, tag, image…
    source_id = models.CharField(_("id on the old site"), max_length=500)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)  # image, document, media
    fingerprint = models.CharField(max_length=64, blank=True)  # of what was imported last
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("imported item")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="importer_one_item_per_source_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id}"
