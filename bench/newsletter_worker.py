"""``python -m bench.newsletter_worker PATCH[,PATCH...]``: ``samizdat worker`` with proposed
changes from ``bench.newsletter_patches`` applied first (the benchmark's ``--patches``)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
    django.setup()
    from bench import newsletter_patches
    from samizdat.cli import main as samizdat

    newsletter_patches.apply([name for name in sys.argv[1].split(",") if name])
    samizdat(["samizdat", "worker", *sys.argv[2:]])


if __name__ == "__main__":
    main()
