"""StreamField blocks of an article body."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    speaker = blocks.CharBlock(label=_("Speaker"), max_length=120)
    source = blocks.CharBlock(
        label=_("Source"), max_length=200, required=False, help_text=_("Role, or where it was said")
    )

    class Meta:
        icon = "openquote"
        template = "publishing/blocks/quote.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)
    credit = blocks.CharBlock(label=_("Credit"), max_length=120, required=False)

    class Meta:
        icon = "image"
        template = "publishing/blocks/image.html"


class LinkCardBlock(blocks.StructBlock):
    """An embed shown as a plain link card: nothing is loaded from the other site."""

    url = blocks.URLBlock(label=_("Address"))
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    description = blocks.TextBlock(label=_("Description"), required=False)

    class Meta:
        icon = "link"
        template = "publishing/blocks/link_card.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES,
        label=_("Paragraph"),
        template="publishing/blocks/paragraph.html",
    )
    subheading = blocks.CharBlock(
        max_length=120,
        label=_("Subheading"),
        icon="title",
        template="publishing/blocks/subheading.html",
    )
    quote = QuoteBlock(label=_("Pull quote"))
    image = CaptionedImageBlock(label=_("Image"))
    link = LinkCardBlock(label=_("Embed (link card)"))
