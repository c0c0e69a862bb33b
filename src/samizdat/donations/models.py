"""Gifts and the log of what providers told us, plus the appeal's settings.

Donor data is kept to what a receipt and a recurring gift need: an email address, an optional
name, the language of the receipt. No card data, no postal address, no IP address.
Amounts are integers in the currency's minor unit as ISO 4217 has it (``money.py``): cents,
yen, fils. Languages are codes of ``settings.LANGUAGES``, checked by forms, never ``choices``
(a new language needs no migration).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

from samizdat.core.fields import (
    EncryptedCharField,
    EncryptedEmailField,
    EncryptedJSONField,
    LookupHashField,
)
from samizdat.donations import money
from samizdat.donations.providers.base import Frequency

MAX_SUGGESTED = 6  # the appeal's stylesheet shows six amounts per set


def language_choices() -> list[tuple[str, str]]:
    """The languages of this installation, for forms (never for a model field's choices)."""
    return [("", "---------"), *settings.LANGUAGES]


def default_language() -> str:
    return str(settings.LANGUAGE_CODE)


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


class Donation(models.Model):
    """One payment (or, for a bank transfer, one expected payment)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment", "pending")
        FAILED = "failed", _("failed")
        PAID = "paid", _("paid")
        REFUNDED = "refunded", _("refunded")

    provider = models.CharField(_("provider"), max_length=20)
    provider_payment_id = models.CharField(_("provider's payment id"), max_length=255, blank=True)
    provider_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    reference = models.CharField(_("reference"), max_length=20, db_index=True)
    gift = models.ForeignKey(
        "RecurringGift",
        verbose_name=_("recurring gift"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    amount_refunded = models.PositiveBigIntegerField(_("refunded (minor units)"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    # Encrypted (core/fields.py); the address is found through its keyed digest.
    email = EncryptedEmailField(_("email"), max_length=254, blank=True, hash_field="email_hash")
    email_hash = LookupHashField(source="email", db_index=True)
    name = EncryptedCharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default=default_language)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True, db_index=True)
    receipt_sent_at = models.DateTimeField(_("receipt sent"), null=True, blank=True)
    # Retries of a receipt the mail server refused (not of one it was down for), and why.
    receipt_attempts = models.PositiveSmallIntegerField(_("receipt attempts"), default=0)
    receipt_error = models.CharField(_("receipt not sent"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~models.Q(provider_payment_id=""),
                name="donation_unique_provider_payment",
            )
        ]
        indexes = [
            models.Index(fields=["status", "paid_at"]),
            # SQLite cannot use the partial unique index for a lookup by payment id.
            models.Index(
                fields=["provider", "provider_payment_id"], name="donation_payment_lookup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {money.format(self.amount, self.currency, self.language)}"


class RecurringGift(models.Model):
    """A monthly or annual gift: a subscription at the provider."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("not yet paid")
        ACTIVE = "active", _("active")
        PAST_DUE = "past_due", _("payment overdue")
        CANCELLED = "cancelled", _("cancelled")

    provider = models.CharField(_("provider"), max_length=20)
    provider_gift_id = models.CharField(_("provider's subscription id"), max_length=255)
    provider_customer_id = models.CharField(max_length=255, blank=True)
    reference = models.CharField(_("reference"), max_length=20, blank=True, db_index=True)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.INCOMPLETE
    )
    # Encrypted (core/fields.py); the address is found through its keyed digest.
    email = EncryptedEmailField(_("email"), max_length=254, blank=True, hash_field="email_hash")
    email_hash = LookupHashField(source="email", db_index=True)
    name = EncryptedCharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default=default_language)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    next_payment_at = models.DateTimeField(_("next payment"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, db_index=True)
    # When the provider said what we last applied (the gift's own events for its amount and
    # frequency, any event for its status): older news is not applied over newer.
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recurring gift")
        verbose_name_plural = _("recurring gifts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_gift_id"], name="gift_unique_provider_gift"
            )
        ]

    def __str__(self) -> str:
        amount = money.format(self.amount, self.currency, self.language)
        return f"{amount} {self.get_frequency_display()}"

    @property
    def monthly_amount(self) -> Decimal:
        """What the gift brings in a month, in minor units (an annual gift counts 1/12)."""
        months = 12 if self.frequency == Frequency.ANNUAL else 1
        return Decimal(self.amount) / months


class ProviderEvent(models.Model):
    """Every event a provider sent, once: the idempotency log. The raw payload is kept for
    ``SAMIZDAT_DONATIONS_EVENT_PAYLOAD_DAYS`` to investigate problems, then dropped."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=300, blank=True)
    payload = EncryptedJSONField(null=True, blank=True)  # donors' data: encrypted

    class Meta:
        verbose_name = _("provider event")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="event_unique_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


def parse_amounts(text: str) -> list[Decimal]:
    """``"2, 5, 10"`` → amounts in major units; raises ValidationError on anything else.

    Whether each fits the currency's minor unit is the currency's ``clean``'s business.
    """
    amounts = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise ValidationError(
                _("“%(value)s” is not an amount."), params={"value": part}
            ) from None
        if not value.is_finite() or value <= 0:
            raise ValidationError(_("“%(value)s” is not an amount."), params={"value": part})
        amounts.append(value)
    return amounts


def validate_amounts(text: str) -> None:
    if len(parse_amounts(text)) > MAX_SUGGESTED:
        raise ValidationError(_("Suggest at most six amounts."))


@register_setting(icon="pick")
class DonationSettings(ClusterableModel, BaseGenericSetting):
    """Settings → Donations: the appeal's words, "remind me later" and the currencies.

    The words are ``AppealText`` rows, one per language; the currencies ``AppealCurrency``
    rows with their suggested amounts.
    """

    # One lifetime for every reason to hide the appeal ("remind me later", or a donor's
    # "hide the appeal" after a gift): the cookie on a reader's device must not tell one
    # from the other.
    snooze_days = models.PositiveIntegerField(
        _("“Remind me later” hides the appeal for (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Also after a gift, when the donor asks to hide the appeal: the same length for "
            "both, so that nothing on a reader's device shows who gave."
        ),
    )

    panels = [
        InlinePanel(
            "texts",
            heading=_("The appeal's words, per language"),
            help_text=_(
                "Write the appeal in each language you publish in. An empty field (or a "
                "language without its own words here) shows the default wording."
            ),
            label=_("Words in one language"),
        ),
        MultiFieldPanel(
            [FieldPanel("snooze_days")],
            heading=_("Remind me later"),
        ),
        # The appeal's stylesheet shows the amounts of up to six currencies without JavaScript.
        InlinePanel(
            "currencies", heading=_("Currencies and suggested amounts"), min_num=1, max_num=6
        ),
    ]

    class Meta:
        verbose_name = _("Donations")


class AppealText(Orderable):
    """The appeal's words in one language, as the newsroom wrote them.

    What is left empty comes from the default wording (``appeal.DEFAULT_TEXTS``, translated).
    """

    setting = ParentalKey(DonationSettings, on_delete=models.CASCADE, related_name="texts")
    # A code of settings.LANGUAGES, checked in clean(): a new language needs no migration.
    language = models.CharField(_("language"), max_length=8)
    banner = models.CharField(_("banner"), max_length=300, blank=True)
    appeal_title = models.CharField(_("appeal title"), max_length=200, blank=True)
    appeal = models.TextField(_("appeal after articles"), blank=True)
    newsletter_appeal = models.TextField(_("appeal in the newsletter"), blank=True)
    thanks = models.TextField(_("thank-you message"), blank=True)

    FIELDS = ("banner", "appeal_title", "appeal", "newsletter_appeal", "thanks")

    panels = [
        FieldPanel("language", widget=forms.Select(choices=language_choices)),  # type: ignore[arg-type]
        FieldPanel("banner"),
        FieldPanel("appeal_title"),
        FieldPanel("appeal"),
        FieldPanel("newsletter_appeal"),
        FieldPanel("thanks"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("appeal in one language")
        constraints = [
            models.UniqueConstraint(fields=["setting", "language"], name="appeal_text_language")
        ]

    def __str__(self) -> str:
        return language_name(self.language)

    def clean(self) -> None:
        if self.language not in dict(settings.LANGUAGES):
            raise ValidationError(
                {
                    "language": _("Choose one of the languages you publish in: %(languages)s.")
                    % {"languages": ", ".join(code for code, _name in settings.LANGUAGES)}
                }
            )


class AppealCurrency(Orderable):
    """One currency readers can give in: its minimum, suggested amounts per frequency and the
    bank details for a transfer. Amounts are in major units (dollars, yen, dinars)."""

    setting = ParentalKey(DonationSettings, on_delete=models.CASCADE, related_name="currencies")
    code = models.CharField(
        _("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. USD, EUR, GBP.")
    )
    minimum = models.DecimalField(_("minimum gift"), max_digits=12, decimal_places=3, default=2)
    once = models.CharField(
        _("suggested one-off amounts"),
        max_length=100,
        default="10, 25, 50",
        validators=[validate_amounts],
    )
    monthly = models.CharField(
        _("suggested monthly amounts"),
        max_length=100,
        default="2, 5, 10",
        validators=[validate_amounts],
    )
    annual = models.CharField(
        _("suggested annual amounts"),
        max_length=100,
        default="24, 60, 120",
        validators=[validate_amounts],
        help_text=_("Its own set: readers who give once a year think in yearly sums."),
    )
    default_for = models.CharField(
        _("default for readers in"),
        max_length=20,
        blank=True,
        help_text=_("Language codes, e.g. “en” or “ru”: the currency selected for them first."),
    )
    bank_details = models.TextField(
        _("bank transfer details"), blank=True,
        help_text=_("Account holder, IBAN, BIC… Leave empty to offer no transfer in this currency."),
    )  # fmt: skip

    panels = [
        FieldPanel("code"),
        FieldPanel("minimum"),
        FieldPanel("once"),
        FieldPanel("monthly"),
        FieldPanel("annual"),
        FieldPanel("default_for"),
        FieldPanel("bank_details"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("currency")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        self.code = self.code.strip().upper()
        if not money.is_current(self.code):
            raise ValidationError(
                {
                    "code": _(
                        "“%(code)s” is not the ISO 4217 code of a currency in use today; "
                        "use one like USD, EUR, GBP or JPY."
                    )
                    % {"code": self.code}
                }
            )
        errors: dict[str, Any] = {}
        if self.minimum is not None:
            if self.minimum <= 0:
                errors["minimum"] = _("The minimum must be above zero.")
            elif not money.fits(self.minimum, self.code):
                errors["minimum"] = self._too_precise()
        for field in ("once", "monthly", "annual"):
            try:
                amounts = parse_amounts(getattr(self, field))
            except ValidationError:
                continue  # the field's own validator says so
            if any(not money.fits(a, self.code) for a in amounts):
                errors[field] = self._too_precise()
            elif self.minimum is not None and any(a < self.minimum for a in amounts):
                errors[field] = _("Every suggested amount must be at least the minimum.")
        if errors:
            raise ValidationError(errors)

    def _too_precise(self) -> str:
        places = money.digits(self.code)
        if places == 0:
            return _("%(code)s has no smaller unit: use whole amounts.") % {"code": self.code}
        return _("%(code)s amounts have at most %(places)s decimal places.") % {
            "code": self.code,
            "places": places,
        }

    def suggested(self, frequency: str) -> list[Decimal]:
        return parse_amounts(getattr(self, frequency))


class PaymentLink(models.Model):
    """A provider's payment link for one suggested amount (e.g. a Stripe Payment Link).

    How readers give when no address of the app can be reached from where they are (the link
    is the provider's own page). Made by ``samizdat donations payment-links`` (``payment_links.py``) for every suggested
    amount, frequency and currency; one row per amount, kept and reactivated when the amount
    is suggested again."""

    provider = models.CharField(_("provider"), max_length=20)
    currency = models.CharField(_("currency"), max_length=3)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    url = models.URLField(_("address"), max_length=500)
    link_id = models.CharField(_("provider's id of the link"), max_length=255)
    price_id = models.CharField(max_length=255, blank=True)
    # Of the thank-you page and the receipt.
    language = models.CharField(_("language"), max_length=8, default=default_language)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["currency", "frequency", "amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "currency", "frequency", "amount"],
                name="payment_link_unique_amount",
            ),
            models.UniqueConstraint(fields=["provider", "link_id"], name="payment_link_unique_id"),
        ]

    def __str__(self) -> str:
        amount = money.format(self.amount, self.currency, self.language)
        return f"{amount} {self.get_frequency_display()}"


class ManageLink(models.Model):
    """A "manage my gift" link mailed to a donor.

    The letter carries a random token; the row keeps its SHA-256 (``token_hash``, filled when
    the letter is written). The link shows the donor's recurring gifts for
    ``DONATIONS_MANAGE_LINK_HOURS`` and is used up when it opens a provider's page to change or
    cancel one; the address is forgotten then, and the row deleted once it has expired.
    """

    token_hash = models.CharField(max_length=64, null=True, unique=True, editable=False)
    email = EncryptedEmailField(_("email"), max_length=254, blank=True, hash_field="email_hash")
    email_hash = LookupHashField(source="email", db_index=True)
    language = models.CharField(_("language"), max_length=8, default=default_language)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("link to manage a gift")
        verbose_name_plural = _("links to manage a gift")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"manage link {self.pk}"
