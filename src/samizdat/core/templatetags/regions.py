"""``{% region "name" %}``: the blocks other apps put into this place (see ``core.regions``)."""

from __future__ import annotations

from django import template
from django.template import Context
from django.utils.safestring import SafeString

from samizdat.core.regions import render_region

register = template.Library()


@register.simple_tag(takes_context=True)
def region(context: Context, name: str) -> SafeString:
    return render_region(context, name)
