"""What every page of one bundle build renders identically, rendered once for that build.

A full build renders thousands of pages that share blocks: the donate form after each article
of a language, the full text of a story in each feed that lists it. Inside ``building()`` (a
bundle build, in the process that renders), ``remembered(key, compute)`` computes a value once
and hands the same value back for the same key; outside a build it simply computes, so the
dynamic site never serves a remembered value. The values live in this thread's context for
the length of the build and are dropped with it: the next build starts from the database.

A key names everything the value depends on beyond what is fixed for a build (the content as
the build started, the settings): the page and its revision, the active language.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_values: ContextVar[dict[Hashable, Any] | None] = ContextVar("samizdat_build_memo", default=None)


@contextmanager
def building() -> Iterator[None]:
    """Remember values in this thread until the block ends (one build). Nested, the outer
    build's values stay in use."""
    if _values.get() is not None:
        yield
        return
    token = _values.set({})
    try:
        yield
    finally:
        _values.reset(token)


def begin() -> None:
    """Remember values in this thread from now on: in a process that lives for one build."""
    if _values.get() is None:
        _values.set({})


def is_building() -> bool:
    return _values.get() is not None


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per build for ``key``; every time outside a build."""
    values = _values.get()
    if values is None:
        return compute()
    try:
        return values[key]
    except KeyError:
        value = values[key] = compute()
        return value
