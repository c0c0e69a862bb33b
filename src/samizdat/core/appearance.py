"""The newsroom's look (Settings → Appearance): name, logo, accent colour and fonts.

Read on every page, so it is kept as plain data in the cache and forgotten when the setting is
saved. The accent and the fonts reach the pages through one generated stylesheet,
``/appearance.css`` (a file of the static bundle like any page), linked with a version query
only when the newsroom chose something: reader pages allow no inline style, and the default
look (system fonts, the stylesheet's own accent) costs no request at all. Fonts are the
project's own subset WOFF2 files under ``static/samizdat/fonts/`` (``tools/make_fonts.py``);
only the chosen fonts' files are named, and the text font's regular weight is preloaded.

An SVG logo is put into every page as markup, so it is checked when it is uploaded: anything
that could run script, load something from elsewhere or link away is refused with a reason,
and what the page's style policy would block (``style`` attributes) becomes plain attributes.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from samizdat.core import build_memo

CACHE_KEY = "samizdat:core:appearance:v1"
STYLESHEET_PATH = "/appearance.css"
FONTS_DIR = "static/samizdat/fonts/"

# WCAG AA for normal text: the accent carries white text (buttons, labels) and is itself text
# on the paper colour (kickers, links on hover).
MINIMUM_CONTRAST = 4.5
ACCENT_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")

SYSTEM_FONTS = "system"
SERIF_FALLBACK = 'Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif'
SANS_FALLBACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, '
    "sans-serif"
)


@dataclass(frozen=True)
class FontChoice:
    """A choice of fonts: the families for text (``--serif``) and for headlines, navigation
    and forms (``--sans``), and the files they need (``family-weight.woff2``)."""

    label: Any
    text: str = ""
    headlines: str = ""
    files: tuple[tuple[str, str, int], ...] = ()  # (family, file stem, weight)

    @property
    def preload(self) -> str:
        """The one file worth fetching before the stylesheet asks: the text's regular."""
        for family, stem, weight in self.files:
            if family == self.text and weight == 400:
                return FONTS_DIR + stem + ".woff2"
        return ""


_LITERATA = (("Literata", "literata-400", 400), ("Literata", "literata-700", 700))
_INTER = (("Inter", "inter-400", 400), ("Inter", "inter-700", 700))
FONT_CHOICES: dict[str, FontChoice] = {
    SYSTEM_FONTS: FontChoice(_("The reader's system fonts (nothing to download)")),
    "literata-inter": FontChoice(
        _("Literata for text, Inter for headlines"), "Literata", "Inter", _LITERATA + _INTER
    ),
    "literata": FontChoice(_("Literata throughout"), "Literata", "Literata", _LITERATA),
    "inter": FontChoice(_("Inter throughout"), "Inter", "Inter", _INTER),
}


def font_choices() -> list[tuple[str, Any]]:
    return [(key, choice.label) for key, choice in FONT_CHOICES.items()]


# Colours


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2) of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_accent(value: str) -> None:
    if not ACCENT_PATTERN.match(value):
        raise ValidationError(
            _("Write the colour as # and six hexadecimal digits, e.g. #8a1c1c."), code="format"
        )
    ratio = contrast(value, "#ffffff")
    if ratio < MINIMUM_CONTRAST:
        raise ValidationError(
            _(
                "White text on this colour, and this colour as text on the page, would be hard "
                "to read: the contrast is %(ratio)s:1, at least %(minimum)s:1 is needed. Choose "
                "a darker colour."
            ),
            code="contrast",
            params={"ratio": f"{ratio:.1f}", "minimum": MINIMUM_CONTRAST},
        )


# SVG logos

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_SVG_UPLOAD = 200 * 1024
MAX_SVG_INLINE = 16 * 1024  # it is part of every page
SVG_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "title", "desc", "defs", "lineargradient", "radialgradient", "stop", "clippath",
    "mask", "symbol", "use",
}  # fmt: skip
REFUSED_ELEMENTS = {
    "script": _("it contains a script"),
    "foreignobject": _("it embeds content that is not SVG (foreignObject)"),
    "image": _("it embeds an image file; upload a raster logo as an image instead"),
    "style": _("it has a style sheet; use presentation attributes (fill, stroke) instead"),
    "a": _("it contains a link"),
    "iframe": _("it embeds another page"),
    "animate": _("it is animated"),
    "set": _("it is animated"),
    "animatetransform": _("it is animated"),
    "animatemotion": _("it is animated"),
    "feimage": _("it loads an image in a filter"),
}
# Presentation properties a ``style`` attribute may carry: they become attributes, because the
# reader pages' policy blocks inline style.
PRESENTATION = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "opacity", "stop-color", "stop-opacity", "font-family", "font-size",
    "font-weight", "font-style", "text-anchor", "letter-spacing", "clip-rule", "display",
    "visibility", "transform",
}  # fmt: skip
LOCAL_URL = re.compile(r"url\(\s*['\"]?#[\w.:-]+['\"]?\s*\)")


def _local_name(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _check_value(name: str, value: str) -> None:
    lowered = re.sub(r"\s+", "", value).lower()
    if "javascript:" in lowered or "data:" in lowered or "@import" in lowered:
        raise ValidationError(
            _("This SVG cannot be used: its “%(name)s” attribute points at a script or a file."),
            code="svg_reference",
            params={"name": name},
        )
    if "url(" in lowered and LOCAL_URL.sub("", value).lower().count("url(") > 0:
        raise ValidationError(
            _(
                "This SVG cannot be used: its “%(name)s” attribute refers to another file or "
                "site. Only references inside the drawing (url(#id)) are allowed."
            ),
            code="svg_reference",
            params={"name": name},
        )


def clean_svg(text: str) -> str:
    """A copy of an uploaded SVG logo that is safe to put into every page, or a
    ``ValidationError`` that says what makes it unsafe."""
    if len(text.encode()) > MAX_SVG_UPLOAD:
        raise ValidationError(_("The SVG file is too large (at most 200 KB)."), code="svg_size")
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise ValidationError(
            _("This SVG cannot be used: it has a document type or entity declarations."),
            code="svg_doctype",
        )
    try:
        root = ET.fromstring(text)  # noqa: S314  (no DTD, so no entities to expand)
    except ET.ParseError:
        raise ValidationError(_("This file is not a readable SVG drawing."), code="svg") from None
    if _local_name(root.tag) != (SVG_NS, "svg"):
        raise ValidationError(_("This file is not an SVG drawing."), code="svg")
    _clean_element(root)
    if not root.get("viewBox") and not (root.get("width") and root.get("height")):
        raise ValidationError(
            _("The SVG needs a viewBox (or a width and a height) so that it can be scaled."),
            code="svg_size",
        )
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    cleaned = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    cleaned = re.sub(r">\s+<", "><", cleaned).strip()
    if len(cleaned.encode()) > MAX_SVG_INLINE:
        raise ValidationError(
            _(
                "The SVG is too large to be part of every page (%(size)s KB once cleaned, at "
                "most 16 KB). Simplify the drawing or upload it as an image."
            ),
            code="svg_size",
            params={"size": len(cleaned.encode()) // 1024},
        )
    return cleaned


def _clean_element(element: ET.Element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str):  # a comment or processing instruction
            element.remove(child)
            continue
        namespace, name = _local_name(child.tag)
        if namespace != SVG_NS:
            # Editors' metadata (Inkscape, Sodipodi, RDF): dropped; nothing of it is drawn.
            # HTML or anything else inside an SVG is refused.
            if namespace in {"", "http://www.w3.org/1999/xhtml"}:
                raise ValidationError(
                    _("This SVG cannot be used: it contains a “%(name)s” element."),
                    code="svg_element",
                    params={"name": name},
                )
            element.remove(child)
            continue
        if name.lower() == "metadata":  # the drawing program's notes: nothing is drawn
            element.remove(child)
            continue
        reason = REFUSED_ELEMENTS.get(name.lower())
        if reason is not None:
            raise ValidationError(
                _("This SVG cannot be used: %(reason)s."),
                code="svg_element",
                params={"reason": reason},
            )
        if name.lower() not in SVG_ELEMENTS:
            raise ValidationError(
                _("This SVG cannot be used: it contains a “%(name)s” element."),
                code="svg_element",
                params={"name": name},
            )
    _clean_attributes(element)
    for child in element:
        _clean_element(child)


def _clean_attributes(element: ET.Element) -> None:
    for key in list(element.attrib):
        namespace, name = _local_name(key)
        value = element.attrib[key]
        if name.lower().startswith("on"):
            raise ValidationError(
                _("This SVG cannot be used: it runs script when something happens (%(name)s)."),
                code="svg_script",
                params={"name": name},
            )
        if name == "href" and namespace in {"", XLINK_NS}:
            if not value.strip().startswith("#"):
                raise ValidationError(
                    _("This SVG cannot be used: it refers to another file or site (%(target)s)."),
                    code="svg_reference",
                    params={"target": value[:80]},
                )
            continue
        if namespace not in {""}:
            del element.attrib[key]  # editors' attributes (inkscape:label, sodipodi:…)
            continue
        if name == "style":
            del element.attrib[key]
            for declaration in value.split(";"):
                prop, _colon, prop_value = declaration.partition(":")
                prop, prop_value = prop.strip().lower(), prop_value.strip()
                if prop in PRESENTATION and prop_value:
                    _check_value(prop, prop_value)
                    element.set(prop, prop_value)
            continue
        _check_value(name, value)


# What the pages use


@dataclass(frozen=True)
class Logo:
    """A raster logo's rendition: its address (media/…), 2× address and display size."""

    url: str
    url_2x: str
    width: int
    height: int


@dataclass(frozen=True)
class Look:
    """The appearance as plain data, as pages use it."""

    site_name: str = ""
    accent: str = ""
    fonts: str = SYSTEM_FONTS
    logo_svg: str = ""
    logo: Logo | None = None

    @property
    def name(self) -> str:
        return self.site_name or settings.SITE_NAME

    @property
    def font_choice(self) -> FontChoice:
        return FONT_CHOICES.get(self.fonts, FONT_CHOICES[SYSTEM_FONTS])

    @property
    def customised(self) -> bool:
        """Whether the pages need the generated stylesheet."""
        return bool(self.accent) or self.font_choice.files != ()

    @property
    def version(self) -> str:
        return hashlib.sha256(stylesheet(self).encode()).hexdigest()[:8]


LOGO_HEIGHT = 48  # CSS pixels in the masthead; the rendition has twice as many


def _logo_of(image: Any) -> Logo | None:
    if image is None:
        return None
    try:
        single = image.get_rendition(f"height-{LOGO_HEIGHT}|format-webp")
        double = image.get_rendition(f"height-{LOGO_HEIGHT * 2}|format-webp")
    except Exception:  # a missing or unreadable file: the name alone, never an error page
        return None
    return Logo(single.url, double.url, single.width, single.height)


def load() -> Look:
    """The current appearance (cached; read once in a bundle build, whose every page shows
    it several times)."""
    return build_memo.remembered(("appearance",), _load)


def _load() -> Look:
    look = cache.get(CACHE_KEY)
    if look is None:
        from samizdat.core.models import Appearance

        setting = Appearance.objects.select_related("logo").first()
        if setting is None:
            look = Look()
        else:
            look = Look(
                site_name=setting.site_name,
                accent=setting.accent.lower(),
                fonts=setting.fonts,
                logo_svg=setting.logo_svg,
                logo=_logo_of(setting.logo),
            )
        cache.set(CACHE_KEY, look, 300)
    return look


def forget() -> None:
    cache.delete(CACHE_KEY)


def site_name() -> str:
    """The newsroom's name as the public site shows it (pages, feeds, structured data)."""
    return load().name


def _css_family(name: str, fallback: str) -> str:
    return f'"{name}", {fallback}' if name else fallback


def stylesheet(look: Look) -> str:
    """``/appearance.css``: the accent and the chosen fonts (font files relative to the site's
    root, where this stylesheet is)."""
    lines = []
    choice = look.font_choice
    for family, stem, weight in choice.files:
        lines.append(
            f'@font-face{{font-family:"{family}";src:url({FONTS_DIR}{stem}.woff2) '
            f'format("woff2");font-weight:{weight};font-style:normal;font-display:optional}}'
        )
    properties = []
    if look.accent:
        properties.append(f"--accent:{look.accent}")
    if choice.files:
        properties.append(f"--serif:{_css_family(choice.text, SERIF_FALLBACK)}")
        properties.append(f"--sans:{_css_family(choice.headlines, SANS_FALLBACK)}")
    if properties:
        lines.append(":root{" + ";".join(properties) + "}")
    return "\n".join(lines) + "\n"


class AppearanceForm(WagtailAdminModelForm):
    """The Appearance setting's form: an SVG logo is uploaded as a file and kept as a
    cleaned copy; a raster logo is an image from the library."""

    svg_logo_file = forms.FileField(
        label=_("SVG logo"),
        required=False,
        help_text=_(
            "An SVG file, shown in the masthead beside the name. Scripts, animations, links and "
            "references to other files are refused. Instead of an image, not with one."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".svg,image/svg+xml"}),
    )
    remove_svg_logo = forms.BooleanField(label=_("Remove the SVG logo"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("svg_logo_file")
        if cleaned.get("remove_svg_logo"):
            self.instance.logo_svg = ""
        if upload:
            try:
                text = upload.read(MAX_SVG_UPLOAD + 1).decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("svg_logo_file", _("This file is not a readable SVG drawing."))
            else:
                try:
                    self.instance.logo_svg = clean_svg(text)
                except ValidationError as error:
                    self.add_error("svg_logo_file", error)
        if self.instance.logo_svg and cleaned.get("logo"):
            self.add_error(
                "logo",
                _("Choose either an image or an SVG logo: remove the SVG logo to use an image."),
            )
        return cleaned
