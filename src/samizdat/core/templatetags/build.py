"""``{% once_per_build "name" value … %}…{% endonce_per_build %}``: a part of the page that a
bundle build renders once and hands back for every page where it comes out the same.

The masthead and footer of a thousand articles in one language are the same bytes: inside a
build (``core.build_memo``) the block is rendered the first time and remembered under its
name (one per template), the values given after it, the active language, and the way the page writes its links
(the ``../`` chain from its address to the site root, or absolute links in feeds). Whatever
else the block shows must be fixed for a build (the site's name, settings, its sections);
anything that differs from page to page must be among the values, or left outside the block.
Outside a build the block simply renders.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from samizdat.core import build_memo
from samizdat.core.paths import relative_prefix

register = template.Library()


class OncePerBuildNode(template.Node):
    def __init__(self, nodelist: NodeList, values: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.values = values

    def render(self, context: template.Context) -> SafeString:
        if not build_memo.is_building():
            return self.nodelist.render(context)
        request = context.get("request")
        links = (
            "absolute"
            if context.get("absolute_urls")
            else relative_prefix(request.path if request is not None else "/")
        )
        key: tuple[Any, ...] = (
            "once per build",
            getattr(self.origin, "name", ""),  # the template that holds the block
            translation.get_language(),
            links,
            *(value.resolve(context) for value in self.values),
        )
        return build_memo.remembered(key, lambda: mark_safe(self.nodelist.render(context)))  # noqa: S308 - rendered template


@register.tag
def once_per_build(parser: Parser, token: Token) -> OncePerBuildNode:
    """``{% once_per_build "footer" LANG page.locale_id %}`` … ``{% endonce_per_build %}``:
    the name (for the reader of the template) and the values the block depends on."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name for the block")
    nodelist = parser.parse(("endonce_per_build",))
    parser.delete_first_token()
    return OncePerBuildNode(nodelist, [parser.compile_filter(bit) for bit in bits[1:]])
