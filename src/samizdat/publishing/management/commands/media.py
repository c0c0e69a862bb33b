"""``samizdat media strip-metadata``: remove identifying metadata from the images and
documents stored before uploads were cleaned (publishing/metadata.py says what goes).

Each file is rewritten in place when it changes; an image's renditions are deleted, to be made
again from the clean file, and the static bundle is rebuilt. Running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from samizdat.publishing.actions import clean_stored_document, clean_stored_image
from samizdat.publishing.metadata import MetadataError


class Command(BaseCommand):
    help = "Uploaded images and documents."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser(
            "strip-metadata",
            help="Remove GPS positions, camera serials, authors and the like from every "
            "stored image and document (those uploaded before this was done on upload).",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        failed = 0
        jobs: tuple[tuple[str, Any, Callable[[int], bool]], ...] = (
            ("image", get_image_model(), lambda pk: clean_stored_image(image_id=pk)),
            ("document", get_document_model(), lambda pk: clean_stored_document(document_id=pk)),
        )
        for label, model, clean in jobs:
            changed = 0
            ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
            for pk in ids:
                try:
                    changed += clean(pk)
                except ObjectDoesNotExist:
                    continue  # deleted meanwhile
                except (MetadataError, OSError) as error:
                    failed += 1
                    self.stderr.write(f"{label} {pk}: {error}")
            self.stdout.write(f"{label}s: {changed} of {len(ids)} cleaned")
        if failed:
            raise CommandError(
                f"{failed} file(s) could not be cleaned: replace them in the admin "
                "(a new upload is cleaned, or refused with the reason)."
            )
