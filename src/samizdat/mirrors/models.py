"""Copies of the public site that readers can use when the main address is blocked."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class Mirror(models.Model):
    """A copy of the site at another address: a domain on a large cloud, a bucket, an onion.

    Listed to readers (the footer, ``/<lang>/mirrors/``, every newsletter) when public, and
    checked against the bundle's manifest by ``samizdat mirror check``."""

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("not checked yet")
        OK = "ok", _("up to date")
        STALE = "stale", _("out of date")
        BROKEN = "broken", _("broken")
        UNREACHABLE = "unreachable", _("unreachable")

    url = models.URLField(
        _("address"),
        max_length=500,
        unique=True,
        help_text=_("Where the copy's front page is, e.g. https://lantern.example.net/ or an "
                    ".onion address."),
    )  # fmt: skip
    label = models.CharField(_("label"), max_length=100, blank=True)
    public = models.BooleanField(
        _("list it for readers"),
        default=True,
        help_text=_("Untick for a copy that must stay known only to those you give it to."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNCHECKED
    )
    last_report = models.TextField(_("last report"), blank=True)

    panels = [
        FieldPanel("url"),
        FieldPanel("label"),
        FieldPanel("public"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("mirror")
        verbose_name_plural = _("mirrors")
        ordering = ["sort_order", "url"]

    def __str__(self) -> str:
        return self.label or self.url

    @property
    def onion(self) -> bool:
        return (urlsplit(self.url).hostname or "").endswith(".onion")

    def clean(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValidationError({"url": _("Enter an http:// or https:// address.")})
        if parts.query or parts.fragment:
            raise ValidationError({"url": _("The address of a copy has no query or fragment.")})
        if not self.url.endswith("/"):
            self.url += "/"


SYNC_CLAIM = frozenset({"claimed_by", "claimed_until", "sync_pending"})


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class MirrorTarget(models.Model):
    """Where the bundle is copied after each build: a directory, an S3 bucket or a command.

    A target belongs to the mirror alone: a full sync deletes whatever the directory (or the
    bucket under the prefix) holds that the bundle's manifest does not list."""

    class Kind(models.TextChoices):
        DIRECTORY = "directory", _("directory on this server")
        S3 = "s3", _("S3 bucket")
        COMMAND = "command", _("command")

    class Status(models.TextChoices):
        NEVER = "never", _("not synced yet")
        OK = "ok", _("synced")
        FAILED = "failed", _("failed")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    path = models.CharField(
        _("directory"),
        max_length=500,
        blank=True,
        help_text=_("Absolute path on this server, e.g. /srv/mirror/: an empty directory, "
                    "which the first sync marks as samizdat's with a .samizdat-mirror file, or "
                    "one holding that file. Files there that are not in the bundle are "
                    "deleted; a directory with other files and no marker is left alone and the "
                    "sync fails."),
    )  # fmt: skip
    bucket = models.CharField(_("bucket"), max_length=63, blank=True)
    prefix = models.CharField(
        _("prefix"),
        max_length=500,
        blank=True,
        help_text=_("Folder inside the bucket, e.g. lantern; empty for the whole bucket. "
                    "Objects there that are not in the bundle are deleted."),
    )  # fmt: skip
    endpoint_url = models.URLField(
        _("endpoint URL"),
        max_length=500,
        blank=True,
        help_text=_("Only for S3-compatible services other than Amazon's, e.g. "
                    "https://s3.eu-central-003.backblazeb2.com."),
    )  # fmt: skip
    region = models.CharField(_("region"), max_length=64, blank=True)
    access_key_id = models.CharField(
        _("access key ID"),
        max_length=128,
        blank=True,
        help_text=_("Empty: the server's own credentials (environment, ~/.aws, instance role)."),
    )
    secret_access_key = models.CharField(_("secret access key"), max_length=256, blank=True)
    command = models.CharField(
        _("command"),
        max_length=1000,
        blank=True,
        help_text=_("Run without a shell in the bundle directory, e.g. rsync -a --delete "
                    "--delay-updates ./ mirror@example.net:lantern/. It finds the lists of "
                    "changed and removed files in the files named by SAMIZDAT_CHANGED_FILES "
                    "and SAMIZDAT_REMOVED_FILES; SAMIZDAT_FULL_SYNC is 1 when every file is "
                    "sent."),
    )  # fmt: skip
    timeout = models.PositiveIntegerField(
        _("timeout (seconds)"), default=600, validators=[MinValueValidator(1)]
    )
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    last_status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.NEVER
    )
    last_report = models.TextField(_("last report"), blank=True)
    needs_full_sync = models.BooleanField(
        _("send every file next time"),
        default=True,
        help_text=_("Set for a new target, when its place changes or it is switched back "
                    "on, and after a failed sync: it may lack files."),
    )  # fmt: skip
    # Who syncs the target now, until when by the database's clock (renewed while it runs),
    # and whether another sync asked meanwhile for a run with the newest bundle (targets.py).
    claimed_by = models.CharField(max_length=100, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sync_pending = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("mirror target")
        verbose_name_plural = _("mirror targets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A form saving the whole row (the admin) must not undo a sync's claim taken meanwhile.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in SYNC_CLAIM
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.kind == self.Kind.DIRECTORY:
            self._clean_directory()
        elif self.kind == self.Kind.S3:
            self._clean_s3()
        elif self.kind == self.Kind.COMMAND:
            self._clean_command()

    def _clean_directory(self) -> None:
        raw = self.path.strip()
        if not raw:
            raise ValidationError({"path": _("A directory target needs a directory.")})
        if not os.path.isabs(raw) or ".." in Path(raw).parts:
            raise ValidationError(
                {"path": _("Enter an absolute path without “..”, e.g. /srv/mirror/.")}
            )
        path = Path(os.path.realpath(raw))
        bundle = Path(os.path.realpath(settings.BUNDLE_DIR))
        data = Path(os.path.realpath(settings.DATA_DIR))
        # A full sync deletes whatever the manifest does not list: the bundle itself, the
        # database or the uploaded images must never be in its way.
        if path == Path(path.anchor) or _inside(path, bundle) or _inside(path, data):
            raise ValidationError(
                {"path": _("The directory cannot be the root directory or lie inside the "
                           "bundle or the data directory.")}
            )  # fmt: skip
        if _inside(bundle, path) or _inside(data, path):
            raise ValidationError(
                {"path": _("The directory cannot contain the bundle or the data directory.")}
            )
        self.path = raw

    def _clean_s3(self) -> None:
        self.bucket = self.bucket.strip()
        if not self.bucket:
            raise ValidationError({"bucket": _("An S3 target needs a bucket.")})
        if not BUCKET.fullmatch(self.bucket):
            raise ValidationError(
                {"bucket": _("Enter a bucket name: 3 to 63 lowercase letters, digits, dots "
                             "and hyphens.")}
            )  # fmt: skip
        self.prefix = self.prefix.strip().strip("/")
        if self.prefix and (".." in self.prefix.split("/") or "//" in self.prefix):
            raise ValidationError({"prefix": _("Enter a folder like lantern or mirrors/lantern.")})
        if bool(self.access_key_id) != bool(self.secret_access_key):
            raise ValidationError(
                {"access_key_id": _("Give both the access key ID and the secret access key, "
                                    "or neither.")}
            )  # fmt: skip

    def _clean_command(self) -> None:
        try:
            args = shlex.split(self.command)
        except ValueError as error:
            raise ValidationError(
                {"command": _("The command cannot be read: %(error)s.") % {"error": error}}
            ) from error
        if not args:
            raise ValidationError({"command": _("A command target needs a command.")})


PUBLIC_ORIGINS_KEY = "samizdat:mirror-origins"
PUBLIC_ORIGINS_TIMEOUT = 60


def public_origins() -> list[str]:
    """The addresses of the public mirrors, cached briefly (forgotten when a Mirror changes):
    reader forms on their pages may post to the app."""
    urls = cache.get(PUBLIC_ORIGINS_KEY)
    if urls is None:
        urls = list(Mirror.objects.filter(public=True).values_list("url", flat=True))
        cache.set(PUBLIC_ORIGINS_KEY, urls, PUBLIC_ORIGINS_TIMEOUT)
    return list(urls)


def forget_public_origins() -> None:
    cache.delete(PUBLIC_ORIGINS_KEY)


class BundleState(models.Model):
    """The one bundle of the installation, as every node sees it (a single row, ``pk=1``):
    when a full build was last asked for, started and finished (by the database's clock),
    and, on SQLite, who holds the builder's lease and until when (on PostgreSQL an advisory
    lock does that). See ``mirrors/state.py``."""

    full_requests = models.PositiveBigIntegerField(default=0)  # full builds asked for
    full_claimed = models.PositiveBigIntegerField(default=0)  # of those, the last one claimed
    full_requested_at = models.DateTimeField(null=True, blank=True)
    full_started_at = models.DateTimeField(null=True, blank=True)
    full_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)
    lock_holder = models.CharField(max_length=200, blank=True)
    lock_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bundle state")

    def __str__(self) -> str:
        return self.last_result or "bundle"


class BundleTakedown(models.Model):
    """A page unpublished whose files must vanish from the bundle, its bucket and targets:
    pending until a rebake (or a full build that meets it between chunks) removed them."""

    paths = models.JSONField(default=list)  # its public addresses
    requested_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bundle takedown")
        indexes = [models.Index(fields=["done_at"], name="mirrors_takedown_pending")]

    def __str__(self) -> str:
        return ", ".join(self.paths)


class BundleChunk(models.Model):
    """A chunk of a full build's addresses that the workers of any node may render while the
    build runs (``mirrors/spread.py``): claimed with one conditional UPDATE by the database's
    clock (``claimed_by`` until ``claimed_until``; a claim that lapsed is taken back), then
    done, with what rendering found (``result``) and the files that changed
    (``BundleChunkFile``). The rows of a build are deleted when it ends."""

    build = models.CharField(max_length=32)  # the build's own token
    number = models.PositiveIntegerField()
    paths = models.JSONField(default=list)  # the public addresses to render
    known = models.JSONField(default=dict)  # file → SHA-256 in the bundle's last manifest
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    done = models.BooleanField(default=False)
    # What a worker of another process found (pages, files produced, media linked,
    # problems); null for a chunk the building node rendered into its own copy.
    result = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("bundle chunk")
        constraints = [
            models.UniqueConstraint(fields=["build", "number"], name="mirrors_chunk_number")
        ]

    def __str__(self) -> str:
        return f"{self.build} #{self.number}"


class BundleChunkFile(models.Model):
    """A file a worker rendered for a chunk whose bytes differ from the last manifest's."""

    chunk = models.ForeignKey(BundleChunk, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=1000)  # the file's path in the bundle
    data = models.BinaryField()

    class Meta:
        verbose_name = _("bundle chunk file")

    def __str__(self) -> str:
        return self.name
