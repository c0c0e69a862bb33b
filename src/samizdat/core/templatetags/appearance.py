"""The appearance in the page: the stylesheet and font links, the masthead's logo."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from samizdat.core import appearance, paths

register = template.Library()


@register.simple_tag(takes_context=True)
def appearance_links(context: template.Context) -> SafeString:
    """The generated stylesheet (and the text font's preload), when the newsroom chose an
    accent or fonts; nothing for the default look."""
    look = appearance.load()
    if not look.customised:
        return mark_safe("")
    links = format_html(
        '<link rel="stylesheet" href="{}?v={}">',
        paths.link(context, appearance.STYLESHEET_PATH),
        look.version,
    )
    preload = look.font_choice.preload
    if preload:
        links += format_html(
            '\n<link rel="preload" href="{}" as="font" type="font/woff2" crossorigin>',
            paths.link(context, "/" + preload),
        )
    return links


@register.simple_tag(takes_context=True)
def masthead_logo(context: template.Context) -> SafeString:
    """The logo before the newsroom's name: the cleaned SVG inline, or the raster rendition
    with its size (the name beside it is the link's text, so the logo itself is decoration)."""
    look = appearance.load()
    if look.logo_svg:
        # Cleaned when it was uploaded (appearance.clean_svg): no script, no references out.
        svg = look.logo_svg.replace("<svg ", '<svg class="brand-logo" aria-hidden="true" ', 1)
        return mark_safe(svg)  # noqa: S308
    if look.logo is not None:
        return format_html(
            '<img class="brand-logo" src="{}" srcset="{} 2x" width="{}" height="{}" alt="">',
            paths.link(context, look.logo.url),
            paths.link(context, look.logo.url_2x),
            look.logo.width,
            look.logo.height,
        )
    return mark_safe("")
