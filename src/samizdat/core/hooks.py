"""What each app contributes to the whole installation, through Wagtail's hooks.

``core`` imports no app: each app registers its contributions in its own ``wagtail_hooks.py``
under the names below (``order`` sets the sequence where it matters), and core, the worker and
the ``demo`` and ``seed`` commands only ever iterate what is registered. Adding an app is
adding it to ``INSTALLED_APPS``; it plugs in here without an edit anywhere else.

===========================  ===============================================================
hook                         a registered function…
===========================  ===============================================================
``PERIODIC_JOBS``            ``job(now)``: work every worker does on its schedule (every
                             minute); safe to run in several workers at once
``DEMO_CONTENT``             ``seed()`` → ``{"what": count}``: the demo newsroom's content,
                             created once (idempotent)
``DEMO_LOGINS``              ``note(user)`` → str: readies a demo account for signing in and
                             says how (printed by ``samizdat demo`` beside the password)
``SEEDERS``                  returns a ``Seeder``: synthetic data ``samizdat seed`` can add
``FORM_ORIGINS``             ``origins()``: origins whose pages may post reader forms
``FORM_ACTION_ORIGINS``      ``origins()``: origins reader forms may lead to (a payment
                             provider's hosted page)
``FORGET_CACHED``            ``forget()``: drop values cached from content, so a process that
                             renders the public site sees the latest
``PUBLIC_PATHS``             ``paths()``: public addresses no page owns (sitemaps, robots.txt,
                             lists of an app's own)
``URLS``                     ``patterns()``: URL patterns of the app (forms, webhooks…)
``LANGUAGE_URLS``            ``patterns()``: URL patterns under the language prefix
``region(name)``             ``render(context)`` → HTML: a block of a page or a letter (see
                             ``templatetags/regions.py``)
``ERASERS``                  returns an ``Eraser``: what the app keeps about a person, found,
                             counted and erased by their email address ("Erase a person")
``LETTER_ATTACHMENTS``       ``attachments(edition_id=…, language=…)`` → ``[(file name,
                             content type, bytes)]``: files every letter of a newsletter
                             edition carries
``NGINX_REDIRECTS``          ``redirects()`` → ``[(old path, new URL)]``: permanent redirects
                             the readers' web server answers without the app (old path as
                             Wagtail's ``Redirect.normalise_path`` writes it, with its query)
===========================  ===============================================================
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wagtail import hooks

logger = logging.getLogger(__name__)

PERIODIC_JOBS = "samizdat_periodic_jobs"
DEMO_CONTENT = "samizdat_demo_content"
DEMO_LOGINS = "samizdat_demo_logins"
SEEDERS = "samizdat_seeders"
FORM_ORIGINS = "samizdat_form_origins"
FORM_ACTION_ORIGINS = "samizdat_form_action_origins"
FORGET_CACHED = "samizdat_forget_cached"
PUBLIC_PATHS = "samizdat_public_paths"
URLS = "samizdat_urls"
LANGUAGE_URLS = "samizdat_language_urls"
ERASERS = "samizdat_erasers"
LETTER_ATTACHMENTS = "samizdat_letter_attachments"
NGINX_REDIRECTS = "samizdat_nginx_redirects"


def region(name: str) -> str:
    """The hook name of a region: ``banner``, ``after_article``, ``letter_end``…"""
    return f"samizdat_region_{name}"


registered = hooks.get_hooks
register = hooks.register


def collect(name: str) -> list[str]:
    """Every value the functions registered under ``name`` return, in order, without
    repeats (for the hooks that return strings: origins, paths)."""
    found: dict[str, None] = {}
    for contribute in registered(name):
        found.update(dict.fromkeys(contribute()))
    return list(found)


def forget_cached() -> None:
    """Drop every value an app cached from content (before rendering the public site)."""
    for forget in registered(FORGET_CACHED):
        forget()


@dataclass(frozen=True)
class Seeder:
    """Synthetic data ``samizdat seed --<option> N`` adds (for load tests and benchmarks).

    ``add(count, options, progress)`` returns how many it added; ``options`` are the parsed
    command line (with ``arguments``, the seeder's own extra options); ``progress(done,
    total)`` shows a progress bar on the terminal.
    """

    option: str  # "articles": the command's --articles N
    noun: str  # "articles": for the report
    help: str
    add: Callable[[int, Mapping[str, Any], Callable[[int, int], None]], int]
    arguments: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = field(default=())

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(f"--{self.option}", type=int, default=0, help=self.help)
        for names, options in self.arguments:
            parser.add_argument(*names, **options)


def seeders() -> list[Seeder]:
    return [contribute() for contribute in registered(SEEDERS)]


@dataclass(frozen=True)
class Eraser:
    """What one app keeps about a person, by their email address: "Erase a person" (Settings)
    counts it, shows the counts, and erases it everywhere in one transaction.

    The address is only ever a function argument (never a task's, a log line's or a URL's);
    each app normalises it as it stores addresses. ``kinds`` names what the counts count,
    in the order they are shown (``{"subscribers": _("subscription")}``);
    ``count(email)`` and ``erase(email)`` return ``{kind: number}``. ``refusal(email)`` says
    why the person cannot be erased now ("" if they can: e.g. a recurring gift still runs at
    a payment provider); ``erase`` raises ``ErasureRefused`` with that reason, so nothing is
    erased anywhere. ``permitted(user)``: whether this member of staff may erase what the app
    keeps; erasing a person needs every app's permission.
    """

    label: Any  # the app, as staff read it ("Newsletter")
    kinds: Mapping[str, Any]
    count: Callable[[str], Mapping[str, int]]
    erase: Callable[[str], Mapping[str, int]]
    permitted: Callable[[Any], bool]
    refusal: Callable[[str], str] = field(default=lambda email: "")


class ErasureRefused(ValueError):
    """A person (or a donor) cannot be erased now; the message says why and what to do."""


def erasers() -> list[Eraser]:
    return [contribute() for contribute in registered(ERASERS)]


def run_each(name: str, *args: Any, what: str = "", **kwargs: Any) -> None:
    """Call every function registered under ``name``; one that fails is logged and the others
    still run."""
    for job in registered(name):
        try:
            job(*args, **kwargs)
        except Exception:
            logger.exception("%s%s failed", what, _name_of(job))


def _name_of(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"
