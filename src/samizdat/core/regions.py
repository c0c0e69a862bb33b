"""Regions: places in a page or a letter where other apps put a block of their own.

A template says ``{% load regions %}…{% region "after_article" %}``; an app adds to it by
registering ``render(context) -> HTML`` under ``hooks.region("after_article")`` in its
``wagtail_hooks.py`` (``order`` places it among the others). The regions in use:

- ``banner``: under the masthead of every reader page
- ``after_article``: after an article's body
- ``front_page_end``: at the end of each language's front page
- ``letter_end``, ``letter_end_text``: after the stories of a newsletter (HTML, plain text)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.template import Context
from django.utils.safestring import SafeString, mark_safe

from samizdat.core import hooks


def render_region(context: Context, name: str) -> SafeString:
    """What every app registered for the region ``name`` renders, in order."""
    return mark_safe("".join(render(context) for render in hooks.registered(hooks.region(name))))  # noqa: S308 - rendered templates


def render_block(context: Context, template_name: str, values: dict[str, Any]) -> SafeString:
    """``template_name`` rendered with ``values`` in a context derived from the region's own
    (same request, same autoescaping), as an inclusion tag renders."""
    template = context.template.engine.get_template(template_name)  # type: ignore[union-attr]
    return SafeString(template.render(context.new(values)))


def register_letter_block(
    template: str, values: Callable[[Context], dict[str, Any]], *, order: int
) -> None:
    """Put ``template``.html at the end of every letter's HTML (region ``letter_end``) and
    ``template``.txt at the end of its text (``letter_end_text``), both given ``values``."""
    for name, suffix in (("letter_end", ".html"), ("letter_end_text", ".txt")):

        def render(context: Context, suffix: str = suffix) -> SafeString:
            return render_block(context, template + suffix, values(context))

        hooks.register(hooks.region(name), render, order=order)
