"""``samizdat``: this project's manage.py, plus demo, seed, serve, worker and setup."""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Build each ``django.mo`` from its ``django.po`` when missing or older; return those built."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from samizdat.core.files import write_atomic

    built = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        # Atomically: other processes (web workers, parallel tests) may be reading it.
        write_atomic(mo_path, compiled.getvalue())
        built.append(mo_path)
    return built


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "demo":
        # The demo is a local, single-machine run: debug mode, demo payment provider, outbox.
        os.environ.setdefault("SAMIZDAT_DEBUG", "1")
    if len(argv) > 1 and argv[1] == "setup":
        # A fresh machine has no settings yet: setup writes them, and needs none itself.
        from samizdat.core.setup import main as set_up

        sys.exit(set_up(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
    try:
        compile_catalogues()
    except OSError as exc:  # a read-only install must have been built with its catalogues
        print(f"samizdat: could not build translation catalogues: {exc}", file=sys.stderr)

    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
