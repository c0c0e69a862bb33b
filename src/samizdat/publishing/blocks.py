"""StreamField blocks of an article body.

Each block renders itself in Python rather than through a template: an article has a dozen
blocks and a template per block would copy the whole page context each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info, gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailmedia.blocks import AudioChooserBlock, VideoChooserBlock

from samizdat.core.paths import link, relative_html
from samizdat.publishing.audio_video import duration_text, mime_type
from samizdat.publishing.renditions import image_tag, webp_renditions

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]
Context = Mapping[str, Any] | None


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
    with suppress(OSError):  # a file missing from storage: the player says so itself
        parts.append(str(filesizeformat(media.file.size)))
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
    audio = AudioBlock(label=_("Audio"))
    video = VideoBlock(label=_("Video"))

    def render_basic(self, value: Any, context: Context = None) -> SafeString:
        return format_html_join("\n", "{}", ((child.render(context=context),) for child in value))
