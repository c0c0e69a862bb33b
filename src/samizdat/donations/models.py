"""Gifts and the log of what providers told us, plus the appeal's settings.

Donor data is kept to what a receipt and a recurring gift need: an email address, an optional
name, the language of the receipt. No card data, no postal address, no IP address.
Amounts are integers in the currency's minor unit (cents).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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

from samizdat.donations.providers.base import Frequency

LANGUAGE_CHOICES = [("en", "English"), ("ru", "Русский")]


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
    email = models.EmailField(_("email"), max_length=254, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True, db_index=True)
    receipt_sent_at = models.DateTimeField(_("receipt sent"), null=True, blank=True)

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
        return f"{self.reference} {self.amount / 100:.2f} {self.currency}"


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
    email = models.EmailField(_("email"), max_length=254, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")
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
        return f"{self.amount / 100:.2f} {self.currency} {self.get_frequency_display()}"

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
    payload = models.JSONField(null=True, blank=True)

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
    """``"2, 5, 10"`` → amounts in major units; raises ValidationError on anything else."""
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
        if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
            raise ValidationError(_("“%(value)s” is not an amount."), params={"value": part})
        amounts.append(value)
    return amounts


def validate_amounts(text: str) -> None:
    if len(parse_amounts(text)) > 6:
        raise ValidationError(_("Suggest at most six amounts."))


@register_setting(icon="pick")
class DonationSettings(ClusterableModel, BaseGenericSetting):
    """The appeal's words (per language), how long "remind me later" lasts, and the
    currencies with their suggested amounts; editable in Settings → Donations."""

    banner_en = models.CharField(
        _("banner (English)"),
        max_length=300,
        blank=True,
        default="Independent journalism, paid for by readers. Support us today.",
    )
    banner_ru = models.CharField(
        _("banner (Russian)"),
        max_length=300,
        blank=True,
        default="Независимая журналистика, которую оплачивают читатели. Поддержите нас.",
    )
    appeal_title_en = models.CharField(
        _("appeal title (English)"), max_length=200, blank=True, default="Keep this newsroom free"
    )
    appeal_title_ru = models.CharField(
        _("appeal title (Russian)"),
        max_length=200,
        blank=True,
        default="Помогите редакции оставаться свободной",
    )
    appeal_en = models.TextField(
        _("appeal after articles (English)"),
        blank=True,
        default="We have no owner, no state money and no paywall. Every story you read here is "
        "paid for by readers who can afford to give a little. Even a small monthly gift "
        "keeps a reporter working.",
    )
    appeal_ru = models.TextField(
        _("appeal after articles (Russian)"),
        blank=True,
        default="У нас нет владельца, государственных денег и платного доступа. Каждый текст "
        "здесь оплачен читателями, которые могут дать немного. Даже небольшой ежемесячный "
        "взнос позволяет репортёру продолжать работу.",
    )
    newsletter_appeal_en = models.TextField(
        _("appeal in the newsletter (English)"),
        blank=True,
        default="This letter is free because readers pay for it. If you can, support us.",
    )
    newsletter_appeal_ru = models.TextField(
        _("appeal in the newsletter (Russian)"),
        blank=True,
        default="Это письмо бесплатно, потому что за него платят читатели. Если можете, "
        "поддержите нас.",
    )
    thanks_en = models.TextField(
        _("thank-you message (English)"),
        blank=True,
        default="Thank you. Your gift keeps our reporters working. A receipt is on its way "
        "if you gave us an email address.",
    )
    thanks_ru = models.TextField(
        _("thank-you message (Russian)"),
        blank=True,
        default="Спасибо. Ваш взнос позволяет нашим журналистам продолжать работу. Если вы "
        "указали адрес почты, квитанция уже в пути.",
    )
    snooze_days = models.PositiveIntegerField(
        _("“Remind me later” hides the appeal for (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    snooze_after_gift_days = models.PositiveIntegerField(
        _("after a gift, hide the appeal for (days)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("banner_en"), FieldPanel("appeal_title_en"), FieldPanel("appeal_en"),
             FieldPanel("newsletter_appeal_en"), FieldPanel("thanks_en")],
            heading=_("English"),
        ),
        MultiFieldPanel(
            [FieldPanel("banner_ru"), FieldPanel("appeal_title_ru"), FieldPanel("appeal_ru"),
             FieldPanel("newsletter_appeal_ru"), FieldPanel("thanks_ru")],
            heading=_("Russian"),
        ),
        MultiFieldPanel(
            [FieldPanel("snooze_days"), FieldPanel("snooze_after_gift_days")],
            heading=_("Remind me later"),
        ),
        # The appeal's stylesheet shows the amounts of up to six currencies without JavaScript.
        InlinePanel(
            "currencies", heading=_("Currencies and suggested amounts"), min_num=1, max_num=6
        ),
    ]  # fmt: skip

    class Meta:
        verbose_name = _("Donations")

    def text(self, field: str, language: str) -> str:
        return str(getattr(self, f"{field}_{language}", "") or getattr(self, f"{field}_en"))


class AppealCurrency(Orderable):
    """One currency readers can give in: its minimum, suggested amounts per frequency and the
    bank details for a transfer. Amounts are in major units (dollars, euros)."""

    setting = ParentalKey(DonationSettings, on_delete=models.CASCADE, related_name="currencies")
    code = models.CharField(
        _("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. USD, EUR, GBP.")
    )
    minimum = models.DecimalField(_("minimum gift"), max_digits=8, decimal_places=2, default=2)
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
        if len(self.code) != 3 or not self.code.isalpha():
            raise ValidationError({"code": _("Use a three-letter ISO 4217 code.")})
        if self.minimum is not None and self.minimum <= 0:
            raise ValidationError({"minimum": _("The minimum must be above zero.")})
        for field in ("once", "monthly", "annual"):
            amounts = parse_amounts(getattr(self, field))
            if self.minimum is not None and any(a < self.minimum for a in amounts):
                raise ValidationError(
                    {field: _("Every suggested amount must be at least the minimum.")}
                )

    def suggested(self, frequency: str) -> list[Decimal]:
        return parse_amounts(getattr(self, frequency))


class PaymentLink(models.Model):
    """A Stripe Payment Link for one suggested amount: how readers give when no address of
    the app can be reached from where they are (the link is Stripe's own page).

    Made by ``samizdat donations payment-links`` for every suggested amount, frequency and
    currency; one row per amount, kept and reactivated when the amount is suggested again."""

    currency = models.CharField(_("currency"), max_length=3)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    url = models.URLField(_("address"), max_length=500)
    stripe_id = models.CharField(_("Stripe payment link id"), max_length=255, unique=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en"
    )  # of the thank-you page and the receipt
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["currency", "frequency", "amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "frequency", "amount"], name="payment_link_unique_amount"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount / 100:.2f} {self.currency} {self.get_frequency_display()}"
