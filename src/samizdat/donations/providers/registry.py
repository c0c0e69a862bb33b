"""The payment providers of this installation, from ``settings.DONATIONS_PROVIDERS``.

The setting names their packages in the order readers see them in. Each package has a ``provider`` attribute, an instance of ``base.Provider``. Adding a provider
is adding its package and its dotted path to the setting; nothing else names it.
"""

from __future__ import annotations

import functools
import re
from importlib import import_module

from django.conf import settings

from samizdat.donations.providers.base import Provider

NAME = re.compile(r"[a-z0-9_-]{1,20}")


def registered() -> dict[str, Provider]:
    """Every provider of the installation that loads, configured or not, by name."""
    return _load(tuple(settings.DONATIONS_PROVIDERS))[0]


def problems() -> list[str]:
    """What is wrong with the setting: entries that do not load as providers (left out of
    ``registered()``; ``samizdat check`` reports them)."""
    return list(_load(tuple(settings.DONATIONS_PROVIDERS))[1])


def available() -> dict[str, Provider]:
    """The providers readers can choose now, in the order they are offered."""
    return {name: p for name, p in registered().items() if p.available()}


def get(name: str) -> Provider | None:
    return registered().get(name)


def label(name: str) -> str:
    """What staff call a provider; the stored name for one no longer registered."""
    found = get(name)
    return found.staff_label if found else name


def with_capability(capability: str) -> list[str]:
    """The names of the providers that have ``capability`` (e.g. ``confirmed_by_staff``)."""
    return [name for name, p in registered().items() if getattr(p, capability)]


@functools.cache
def _load(paths: tuple[str, ...]) -> tuple[dict[str, Provider], tuple[str, ...]]:
    found: dict[str, Provider] = {}
    problems: list[str] = []
    for path in paths:
        try:
            module = import_module(path)
        except ImportError as error:
            problems.append(f"DONATIONS_PROVIDERS: cannot import {path!r} ({error})")
            continue
        provider = getattr(module, "provider", None)
        if not isinstance(provider, Provider) or not provider.name:
            problems.append(
                f"DONATIONS_PROVIDERS: {path!r} has no `provider` (a named base.Provider)"
            )
        elif not NAME.fullmatch(provider.name):
            problems.append(
                f"DONATIONS_PROVIDERS: {path!r} is named {provider.name!r}; a provider's name "
                "is up to 20 lower-case letters, digits, - and _ (it is in /webhooks/<name>/)"
            )
        elif provider.name in found:
            problems.append(f"DONATIONS_PROVIDERS: {provider.name!r} twice")
        else:
            found[provider.name] = provider
    return found, tuple(problems)
