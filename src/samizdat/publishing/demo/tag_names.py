"""The demo's tags read as their names: a demo seeded by an earlier version named its tags
by their slugs ("press-freedom"), which every page and feed then showed."""

from __future__ import annotations

from django.utils.text import slugify
from taggit.models import Tag

from samizdat.publishing.demo.articles_a import ARTICLES_A
from samizdat.publishing.demo.articles_b import ARTICLES_B


def name_demo_tags() -> int:
    """Give the demo's tags that carry their slug as their name the name the demo writes;
    return how many were renamed. Tags an editor named are left alone."""
    names = {name for spec in [*ARTICLES_A, *ARTICLES_B] for name in spec["tags"]}
    renamed = 0
    for name in sorted(names):
        slug = slugify(name)
        if slug != name and not Tag.objects.filter(name=name).exists():
            renamed += Tag.objects.filter(slug=slug, name=slug).update(name=name)
    return renamed
