"""Subscribers and their consent, editions, deliveries and the suppression list."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable, Page, PreviewableMixin

from samizdat.core import crypto
from samizdat.core.fields import EncryptedCharField, EncryptedEmailField, LookupHashField
from samizdat.core.languages import language_choices
from samizdat.core.paths import absolute
from samizdat.publishing.models import NewsroomPage, feed_paths


def email_hash(email: str) -> str:
    """The keyed digest of a normalised address (``core/crypto.py``): what look-ups compare
    and what the suppression list keeps instead of the address."""
    return crypto.digest(email)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        ACTIVE = "active", _("subscribed")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("marked as spam")

    # Encrypted; found, and unique, by its keyed digest (core/fields.py).
    email = EncryptedEmailField(_("email"), max_length=254, hash_field="email_hash")
    email_hash = LookupHashField(source="email", unique=True)
    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    # The confirmation link's token, as its SHA-256 (the letter has the token): single use,
    # valid until confirm_expires_at.
    confirm_token_hash = models.CharField(max_length=64, null=True, unique=True, editable=False)
    confirm_expires_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        indexes = [models.Index(fields=["language", "status"])]

    def __str__(self) -> str:
        return self.email


class Consent(models.Model):
    """What a subscriber agreed to, when, where and in which language. Never who they are
    beyond the subscriber row itself: no IP address, no user agent."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    policy_version = models.PositiveIntegerField(_("privacy policy version"))
    wording = models.TextField(_("wording shown"))
    form = models.CharField(_("form"), max_length=40)
    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.form} v{self.policy_version} {self.created_at:%Y-%m-%d}"


class ErasedConsentCount(models.Model):
    """Consents of erased subscribers, kept only as counts per policy version, form and month."""

    policy_version = models.PositiveIntegerField()
    form = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    month = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy_version", "form", "language", "month"], name="erased_consent_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} × v{self.policy_version} {self.form} {self.month:%Y-%m}"


class Suppression(models.Model):
    """An address no mail may go to again (hard bounce, complaint), kept only as its keyed
    digest (``email_hash``), which is what ``Subscriber.email_hash`` holds."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("marked as spam")
        REJECTED = "rejected", _("rejected by the mail server")
        MANUAL = "manual", _("added by staff")

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return f"{self.reason} {self.email_hash[:12]}…"


class Edition(PreviewableMixin, ClusterableModel):
    """One issue of the newsletter in one language: hand-picked stories between an intro and
    an optional closing note."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    subject = models.CharField(_("subject"), max_length=200)
    intro = models.TextField(_("intro"), blank=True)
    closing = models.TextField(_("closing note"), blank=True)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The mail as it went out: rendered once when sending starts, so a resumed send and the
    # web archive show exactly what subscribers got.
    frozen_subject = models.CharField(max_length=200, blank=True, editable=False)
    frozen_html = models.TextField(blank=True, editable=False)
    frozen_text = models.TextField(blank=True, editable=False)
    # The audience is frozen in slices while the letters go out (see ``actions.freeze_slice``):
    # subscribers up to ``audience_through`` (the highest id when sending started; later
    # signups wait for the next edition), of whom those up to ``frozen_through`` have their
    # Delivery already.
    audience_through = models.BigIntegerField(default=0, editable=False)
    frozen_through = models.BigIntegerField(default=0, editable=False)

    panels = [
        MultiFieldPanel([FieldPanel("language"), FieldPanel("subject")], heading=_("Edition")),
        FieldPanel("intro"),
        InlinePanel("items", label=_("Stories"), min_num=1),
        FieldPanel("closing"),
        FieldPanel("send_at", help_text=_("Sent by the worker at this time once scheduled.")),
    ]

    class Meta:
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        ordering = ["-send_at", "-created_at"]
        indexes = [models.Index(fields=["status", "send_at"])]
        # The local outbox (mail written to disk when no mail server is set) is not a model;
        # reading it is a permission of its own, which Editors have.
        permissions = [("view_outbox", "Can read the local outbox")]

    def __str__(self) -> str:
        return self.subject

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}

    def get_preview_template(self, request: HttpRequest, mode_name: str) -> str:
        return "newsletter/edition_mail.html"

    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        from samizdat.newsletter.mail import preview_html

        return HttpResponse(preview_html(self))


class EditionItem(Orderable):
    edition = ParentalKey(Edition, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(
        "publishing.ArticlePage", on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("article", "publishing.ArticlePage")]

    class Meta(Orderable.Meta):
        verbose_name = _("story")


class Delivery(models.Model):
    """One edition to one subscriber. Moves from pending to sent, failed or bounced once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        CLAIMED = "claimed", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")

    # Not indexed alone: the unique (edition, subscriber) index serves lookups by edition, and
    # every index costs each of a million letters a write when it is frozen and when it is sent.
    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    # A copy of the subscriber's address as sent, and of its digest (erasure finds letters
    # to an address whose subscriber is gone).
    email = EncryptedCharField(max_length=254, hash_field="email_hash")
    email_hash = LookupHashField(source="email", db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=32, blank=True)  # indexed while claimed (Meta)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Looked up among one subscriber's deliveries only (bounces): no index of its own.
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["edition", "subscriber"], name="one_delivery_each")
        ]
        indexes = [
            models.Index(fields=["edition", "status"]),
            models.Index(fields=["claim"], condition=Q(status="claimed"), name="delivery_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.edition_id} → {self.email}: {self.status}"


DEFAULT_FOOTER = _(
    "We are an independent newsroom funded by our readers. If this letter was useful, forward "
    "it to someone who should read it."
)


@register_setting(icon="mail")
class NewsletterSettings(ClusterableModel, BaseGenericSetting):
    """Texts every edition carries, per language; editable in Settings → Newsletter."""

    panels = [InlinePanel("footers", heading=_("Footer of the letters"), label=_("footer"))]

    class Meta:
        verbose_name = _("Newsletter")

    def footer(self, language: str) -> str:
        """The footer the newsroom wrote for ``language`` (empty: none), else the default
        wording in that language."""
        written = self.footers.filter(language=language).values_list("text", flat=True)
        for text in written:
            return str(text)
        with translation.override(language):
            return str(DEFAULT_FOOTER)


class NewsletterFooter(Orderable):
    """The closing words of every letter in one language."""

    setting = ParentalKey(NewsletterSettings, on_delete=models.CASCADE, related_name="footers")
    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    text = models.TextField(
        _("footer"), blank=True, help_text=_("Leave it empty for letters without a footer.")
    )

    panels = [FieldPanel("language"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("footer")
        constraints = [
            models.UniqueConstraint(fields=["setting", "language"], name="one_footer_a_language")
        ]


class NewsletterPage(RoutablePageMixin, NewsroomPage):
    """The newsletter's own page in one language: the signup form, then the archive of sent
    editions (each at ``<id>/``), with RSS and Atom feeds of the archive."""

    intro = models.TextField(_("intro"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["publishing.HomePage"]
    subpage_types: list[str] = []
    template = "newsletter/newsletter_page.html"

    class Meta:
        verbose_name = _("newsletter page")

    def sent_editions(self) -> models.QuerySet[Edition]:
        return Edition.objects.filter(
            language=self.locale.language_code, status=Edition.Status.SENT
        ).order_by("-finished_at")

    def get_cached_paths(self) -> list[str]:
        """The signup page with the archive, its feeds, and every sent edition."""
        editions = self.sent_editions().values_list("pk", flat=True)
        return ["/", *feed_paths("/"), *(f"/{pk}/" for pk in editions)]

    @path("", name="index")
    def index(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, context_overrides={"editions": self.sent_editions()[:100]})

    @path("<int:edition_id>/", name="edition")
    def edition(self, request: HttpRequest, edition_id: int) -> HttpResponse:
        edition = self.sent_editions().filter(pk=edition_id).first()
        if edition is None:
            raise Http404("No such edition")
        return self.render(
            request,
            template="newsletter/edition_page.html",
            context_overrides={"edition": edition, "canonical_url": absolute(request.path)},
        )

    @re_path(r"^feed/(?P<kind>rss|atom)/$", name="feed")
    def feed(self, request: HttpRequest, kind: str) -> HttpResponse:
        from samizdat.newsletter.mail import archive_feed

        return HttpResponse(
            archive_feed(self, kind, request), content_type=f"application/{kind}+xml; charset=utf-8"
        )
