"""StreamField blocks of an article body.

Each block renders itself in Python rather than through a template: an article has a dozen
blocks and a template per block would copy the whole page context each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import format_html, format_html_join, linebreaks, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info, gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailmedia.blocks import AudioChooserBlock, VideoChooserBlock

from samizdat.core import storage
from samizdat.core.paths import link, relative_html
from samizdat.publishing.audio_video import duration_text, mime_type
from samizdat.publishing.renditions import image_tag, webp_renditions

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]
Context = Mapping[str, Any] | None
NOTE_KINDS = [
    ("correction", _("Correction")),
    ("update", _("Update")),
    ("clarification", _("Clarification")),
]


def caption(text: str, credit: str) -> SafeString:
    if not (text or credit):
        return mark_safe("")
    if not credit:
        return format_html("<figcaption>{}</figcaption>", text)
    return format_html('<figcaption>{} <small class="credit">{}</small></figcaption>', text, credit)


class SubheadingBlock(blocks.CharBlock):
    def render_basic(self, value: str, context: Context = None) -> SafeString:
        return format_html("<h2>{}</h2>", value)

    class Meta:
        icon = "title"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    speaker = blocks.CharBlock(label=_("Speaker"), max_length=120)
    source = blocks.CharBlock(
        label=_("Source"), max_length=200, required=False, help_text=_("Role, or where it was said")
    )

    def render_basic(self, value: Mapping[str, str], context: Context = None) -> SafeString:
        source = format_html(", <cite>{}</cite>", value["source"]) if value.get("source") else ""
        return format_html(
            '<figure class="pullquote"><blockquote><p>{}</p></blockquote>'
            "<figcaption>{}{}</figcaption></figure>",
            value["text"],
            value["speaker"],
            source,
        )

    class Meta:
        icon = "openquote"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)
    credit = blocks.CharBlock(label=_("Credit"), max_length=120, required=False)

    def render_basic(self, value: Mapping[str, Any], context: Context = None) -> SafeString:
        return format_html(
            '<figure class="inline-image">{}{}</figure>',
            image_tag(context, value["image"], value.get("caption") or None),
            caption(value.get("caption", ""), value.get("credit", "")),
        )

    class Meta:
        icon = "image"


class GalleryImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)
    credit = blocks.CharBlock(label=_("Credit"), max_length=120, required=False)
    alt = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=250,
        required=False,
        help_text=_("What the photo shows, for readers who cannot see it (else the caption)"),
    )

    class Meta:
        icon = "image"


# Two photos side by side from 36rem (site.css; the article column is 40rem wide).
GALLERY_SIZES = "(min-width: 36rem) 20rem, 100vw"


class GalleryBlock(blocks.StructBlock):
    """Several photos, each with its caption and credit: a list of figures, read without
    any script (stacked on phones, two to a row on wider screens)."""

    title = blocks.CharBlock(label=_("Title"), max_length=200, required=False)
    images = blocks.ListBlock(GalleryImageBlock(), min_num=2, max_num=60, label=_("Photos"))

    def render_basic(self, value: Mapping[str, Any], context: Context = None) -> SafeString:
        title = value.get("title") or ""
        items = format_html_join(
            "",
            "<li><figure>{}{}</figure></li>",
            (
                (
                    image_tag(
                        context,
                        item["image"],
                        item.get("alt") or item.get("caption") or None,
                        sizes=GALLERY_SIZES,
                    ),
                    caption(item.get("caption", ""), item.get("credit", "")),
                )
                for item in value["images"]
                if item.get("image") is not None
            ),
        )
        heading = format_html('<h2 class="gallery-title">{}</h2>', title) if title else ""
        return format_html(
            '<section class="gallery" aria-label="{}">{}<ol class="gallery-items">{}</ol></section>',
            title or gettext("Photo gallery"),
            heading,
            items,
        )

    class Meta:
        icon = "image"


class DocumentBlock(blocks.StructBlock):
    """A file published with the story (a ruling, a leaked paper): its title, type and size,
    a description and a plain download link. Readers may fetch it once a live public page
    links it (``publishing/documents.py``)."""

    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("What readers see (else the document's own title)"),
    )
    description = blocks.TextBlock(label=_("Description"), required=False)

    def render_basic(self, value: Mapping[str, Any], context: Context = None) -> SafeString:
        document = value.get("document")
        if document is None:
            return mark_safe("")
        description = (
            format_html("<p>{}</p>", value["description"]) if value.get("description") else ""
        )
        return format_html(
            '<aside class="document" aria-label="{}"><p class="document-title">{}</p>{}'
            '<p class="document-file"><a href="{}" type="{}" download>{}</a> '
            '<small class="document-meta">{}, {}</small></p></aside>',
            gettext("Document"),
            value.get("title") or document.title,
            description,
            link(context, document.file.url),
            document.content_type,
            gettext("Download"),
            document.file_extension.upper() or gettext("File"),
            filesizeformat(document.get_file_size() or 0),
        )

    class Meta:
        icon = "doc-full"


class LinkCardBlock(blocks.StructBlock):
    """An embed shown as a plain link card: nothing is loaded from the other site."""

    url = blocks.URLBlock(label=_("Address"))
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    description = blocks.TextBlock(label=_("Description"), required=False)

    def render_basic(self, value: Mapping[str, str], context: Context = None) -> SafeString:
        address = urlsplit(value["url"])
        if address.scheme not in ("http", "https") or not address.hostname:
            return mark_safe("")  # only ever a plain web link
        host = address.hostname
        description = (
            format_html("<p>{}</p>", value["description"]) if value.get("description") else ""
        )
        return format_html(
            '<aside class="link-card" aria-label="{}"><a href="{}" rel="noopener noreferrer nofollow">'
            '{}</a>{}<small class="link-host">{}</small></aside>',
            gettext("Linked page"),
            value["url"],
            value["title"],
            description,
            host,
        )

    class Meta:
        icon = "link"


class ParagraphBlock(blocks.RichTextBlock):
    """Rich text whose links to our own pages are relative, like every link of the page."""

    def render_basic(self, value: Any, context: Context = None) -> SafeString:
        return mark_safe(relative_html(context, str(super().render_basic(value, context))))  # noqa: S308


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


class SubtitlesBlock(blocks.StructBlock):
    """A WebVTT file (a document) with the language of its text."""

    file = DocumentChooserBlock(label=_("WebVTT file"))
    language = blocks.ChoiceBlock(choices=language_choices, label=_("Language"))
    kind = blocks.ChoiceBlock(
        choices=[
            ("subtitles", _("Subtitles (a translation of the speech)")),
            ("captions", _("Captions (speech and sounds, for readers who cannot hear them)")),
        ],
        default="subtitles",
        label=_("Kind"),
    )

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        document = cleaned.get("file")
        if document is not None and not document.file.name.lower().endswith(".vtt"):
            raise StructBlockValidationError(
                {"file": ValidationError(gettext("Choose a WebVTT file (.vtt)."))}
            )
        return cleaned

    class Meta:
        icon = "doc-full"


def track_tags(context: Context, tracks: Any) -> SafeString:
    """``<track>`` elements, the page's language first and on by default."""
    language = get_language() or settings.LANGUAGE_CODE
    usable = [track for track in tracks or [] if track.get("file") is not None]
    usable.sort(key=lambda track: track["language"] != language)
    tags: list[SafeString] = []
    for track in usable:
        code = track["language"]
        try:
            label = get_language_info(code)["name_local"]
        except KeyError:
            label = code
        if track["kind"] == "captions":
            label = gettext("%(language)s (captions)") % {"language": label}
        tags.append(
            format_html(
                '<track kind="{}" srclang="{}" label="{}" src="{}"{}>',
                track["kind"],
                code,
                label,
                link(context, track["file"].file.url),
                mark_safe(" default") if code == language and not tags else "",
            )
        )
    return format_html_join("", "{}", ((tag,) for tag in tags))


def media_facts(media: Any, kind_label: str) -> str:
    """ "MP3 audio · 4:05 · 2.1 MB": what a reader is about to play or download."""
    parts = [f"{media.file_extension.upper()} {kind_label}"]
    if length := duration_text(media.duration):
        parts.append(length)
    # A file missing from storage: the player says so itself.
    if (size := storage.known_size(media.file.name, media.file.storage)) is not None:
        parts.append(str(filesizeformat(size)))
    return " · ".join(parts)


def media_text_blocks() -> list[tuple[str, blocks.Block]]:
    """What audio and video blocks share after the file: caption, credit, transcript, tracks."""
    return [
        ("caption", blocks.CharBlock(label=_("Caption"), max_length=300, required=False)),
        ("credit", blocks.CharBlock(label=_("Credit"), max_length=120, required=False)),
        (
            "transcript",
            blocks.TextBlock(
                label=_("Transcript"),
                required=False,
                help_text=_("Everything said, for readers who cannot listen; found by the search."),
            ),
        ),
        ("subtitles", blocks.ListBlock(SubtitlesBlock(), label=_("Subtitles and captions"))),
    ]


class MediaBlock(blocks.StructBlock):
    """An uploaded audio or video file played by the browser's own controls: nothing is loaded
    before the reader presses play (``preload="none"``), nothing from another site."""

    element = "audio"

    def kind_label(self) -> str:
        return gettext("audio")

    def poster(self, context: Context, value: Mapping[str, Any]) -> SafeString:
        return mark_safe("")

    def render_basic(self, value: Mapping[str, Any], context: Context = None) -> SafeString:
        media = value.get("media")
        if media is None:
            return mark_safe("")
        src = link(context, media.file.url)
        facts = media_facts(media, self.kind_label())
        download = format_html('<a href="{}" download>{}</a>', src, gettext("Download"))
        transcript = (
            format_html(
                '<details class="transcript"><summary>{}</summary>{}</details>',
                gettext("Transcript"),
                # linebreaks escapes the text itself and adds only <p> and <br>.
                mark_safe(linebreaks(value["transcript"], autoescape=True)),  # noqa: S308
            )
            if value.get("transcript")
            else ""
        )
        return format_html(
            '<figure class="media media-{}"><{} controls preload="none"{}>'
            '<source src="{}" type="{}">{}</{}>{}<p class="media-facts">{} · {}</p>{}</figure>',
            self.element,
            self.element,
            self.poster(context, value),
            src,
            mime_type(media.filename),
            track_tags(context, value.get("subtitles")),
            self.element,
            caption(value.get("caption", ""), value.get("credit", "")),
            facts,
            download,
            transcript,
        )


class AudioBlock(MediaBlock):
    def __init__(self, **kwargs: Any) -> None:
        media = AudioChooserBlock(label=_("Audio file"))
        super().__init__([("media", media), *media_text_blocks()], **kwargs)

    class Meta:
        icon = "media"


class VideoBlock(MediaBlock):
    def __init__(self, **kwargs: Any) -> None:
        media = VideoChooserBlock(label=_("Video file"))
        poster = ImageChooserBlock(
            label=_("Poster"), required=False, help_text=_("Shown before the video plays.")
        )
        super().__init__(
            [("media", media), ("poster_image", poster), *media_text_blocks()], **kwargs
        )

    element = "video"

    def kind_label(self) -> str:
        return gettext("video")

    def poster(self, context: Context, value: Mapping[str, Any]) -> SafeString:
        image = value.get("poster_image")
        media = value["media"]
        if image is None:
            if media.width and media.height:
                return format_html(' width="{}" height="{}"', media.width, media.height)
            return mark_safe("")
        renditions = webp_renditions(image)
        chosen = renditions[min(1, len(renditions) - 1)]
        return format_html(
            ' poster="{}" width="{}" height="{}"',
            link(context, chosen.url),
            chosen.width,
            chosen.height,
        )

    class Meta:
        icon = "media"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock(features=RICH_TEXT_FEATURES, label=_("Paragraph"))
    subheading = SubheadingBlock(max_length=120, label=_("Subheading"))
    quote = QuoteBlock(label=_("Pull quote"))
    image = CaptionedImageBlock(label=_("Image"))
    link = LinkCardBlock(label=_("Embed (link card)"))
    gallery = GalleryBlock(label=_("Gallery"))
    document = DocumentBlock(label=_("Document"))
    audio = AudioBlock(label=_("Audio"))
    video = VideoBlock(label=_("Video"))

    def render_basic(self, value: Any, context: Context = None) -> SafeString:
        return format_html_join("\n", "{}", ((child.render(context=context),) for child in value))


class SecureContactBlock(blocks.StaticBlock):
    """The newsroom's secure contacts as set in Settings → Secure contact, always current."""

    def render_basic(self, value: Any, context: Context = None) -> SafeString:
        from samizdat.publishing.models import SecureContactSettings
        from samizdat.publishing.secure_contact import render_secure_contact

        return render_secure_contact(SecureContactSettings.load())

    class Meta:
        icon = "lock"
        admin_text = _(
            "Shows the Signal contact, SecureDrop address, tips email and PGP key set in "
            "Settings → Secure contact."
        )


class InfoBodyBlock(blocks.StreamBlock):
    """The body of an information page (About, Contact, Imprint…)."""

    paragraph = ParagraphBlock(features=RICH_TEXT_FEATURES, label=_("Paragraph"))
    subheading = SubheadingBlock(max_length=120, label=_("Subheading"))
    quote = QuoteBlock(label=_("Pull quote"))
    image = CaptionedImageBlock(label=_("Image"))
    secure_contact = SecureContactBlock(label=_("Secure contact"))

    def render_basic(self, value: Any, context: Context = None) -> SafeString:
        return format_html_join("\n", "{}", ((child.render(context=context),) for child in value))


# Live updates and editors' notes: each block's Wagtail id (a UUID kept across revisions and
# reordering) gives it a stable anchor on the page.
LIVE_UPDATE_FEATURES = [*RICH_TEXT_FEATURES, "blockquote"]
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of editors' machines drift


def anchor_of(prefix: str, block_id: str | None) -> str:
    """The page anchor of a block: ``update-1a2b3c4d`` from its UUID's first 8 hex digits."""
    return f"{prefix}-{(block_id or '').replace('-', '')[:8]}"


class LiveUpdateBlock(blocks.StructBlock):
    """One timestamped update of a live story; an empty time is filled in when it is saved."""

    time = blocks.DateTimeBlock(
        label=_("Time"), required=False, help_text=_("Empty: the time it is saved.")
    )
    headline = blocks.CharBlock(label=_("Headline"), max_length=160, required=False)
    text = blocks.RichTextBlock(features=LIVE_UPDATE_FEATURES, label=_("Text"))
    image = ImageChooserBlock(label=_("Image"), required=False)
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors = {}
        # The editor's empty box arrives as an empty paragraph, which "required" lets through.
        if not strip_tags(str(value.get("text") or "")).strip():
            errors["text"] = ValidationError(gettext("An update needs some text."))
        if value.get("time") and value["time"] > timezone.now() + FUTURE_TOLERANCE:
            errors["time"] = ValidationError(gettext("An update cannot be dated in the future."))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "time"
        label = _("Update")


class ArticleNoteBlock(blocks.StructBlock):
    """A dated note on a published story: a correction, an update or a clarification."""

    kind = blocks.ChoiceBlock(choices=NOTE_KINDS, default="correction", label=_("Kind"))
    date = blocks.DateBlock(
        label=_("Date"), required=False, help_text=_("Empty: the day it is saved.")
    )
    text = blocks.TextBlock(
        label=_("Text"), help_text=_("What was wrong and what the story says now.")
    )

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value.get("date") and value["date"] > timezone.localdate() + timedelta(days=1):
            raise StructBlockValidationError(
                block_errors={
                    "date": ValidationError(gettext("A note cannot be dated in the future."))
                }
            )
        return value

    class Meta:
        icon = "warning"
        label = _("Correction or update")


class OptionalStreamBlock(blocks.StreamBlock):
    """A stream that a form may leave out altogether (a post made by a script, not the
    admin's own form): empty, rather than an error."""

    def value_from_datadict(self, data: Any, files: Any, prefix: str) -> Any:
        if f"{prefix}-count" not in data:
            return self.to_python([])
        return super().value_from_datadict(data, files, prefix)


class LiveUpdatesBlock(OptionalStreamBlock):
    update = LiveUpdateBlock()


class ArticleNotesBlock(OptionalStreamBlock):
    note = ArticleNoteBlock()
