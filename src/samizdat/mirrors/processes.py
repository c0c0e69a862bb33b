"""The start of a process that renders part of a full build (``bundle._render_into``).

Its own module, importable before Django is set up: a spawned process imports the function
that readies it before anything else, and ``bundle`` imports the models.
"""

from __future__ import annotations


def start_renderer(databases: dict[str, str]) -> None:
    """Ready a rendering process: Django set up (a forked process has it already) on the
    databases the build reads (a test's database has another name than the settings say),
    and values remembered for the build, which the process lives for (``core.build_memo``)."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    from samizdat.core import build_memo

    for alias, name in databases.items():
        settings.DATABASES[alias]["NAME"] = name
        connections[alias].settings_dict["NAME"] = name
    build_memo.begin()
