"""Remake the reader pages' self-hosted fonts: WOFF2 files with Latin and Cyrillic glyphs.

Usage (from the repository root, with the dev environment installed)::

    .venv/bin/python tools/make_fonts.py

The fonts are Literata (text) and Inter (headlines), both under the SIL Open Font License 1.1
without reserved font names, as published on the npm registry by the Fontsource project
(``@fontsource/literata``, ``@fontsource/inter``). Those packages split each weight into one
WOFF2 file per script; this script fetches them with ``npm pack``, merges the Latin and the
Cyrillic file of each weight with fontTools and subsets the result to the characters the
newsroom's languages need (English, Russian, Ukrainian: ґ є і ї and the apostrophe included),
then writes ``src/samizdat/static/samizdat/fonts/<family>-<weight>.woff2`` and each font's
licence beside them. It needs ``npm`` and ``fonttools`` with ``brotli``; it imports nothing of
samizdat. Each file must stay within 60 KB (the script refuses to write a larger one).
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parent.parent / "src/samizdat/static/samizdat/fonts"
PACKAGES = {"literata": "@fontsource/literata@5.3.0", "inter": "@fontsource/inter@5.3.0"}
WEIGHTS = ("400", "700")
SCRIPTS = ("latin", "cyrillic")
LIMIT = 60 * 1024
# Basic Latin, Latin-1, typographic punctuation, the euro, rouble and hryvnia signs, №;
# Cyrillic with the Ukrainian letters; the combining acute for stressed vowels.
UNICODES = (
    "U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+02BC,U+02C6,U+02DA,U+02DC,U+0301,"
    "U+0400-045F,U+0490-0491,U+2000-206F,U+20AC,U+20B4,U+20BD,U+2116,U+2122,U+2212"
)


def fetch(package: str, into: Path) -> Path:
    """Unpack an npm package into ``into`` and return its folder."""
    name = subprocess.run(
        ["npm", "pack", "--silent", package],
        cwd=into,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    folder = into / name.removesuffix(".tgz")
    with tarfile.open(into / name) as archive:
        archive.extractall(folder, filter="data")
    return folder / "package"


def merged(parts: list[Path]) -> TTFont:
    """One font from several script subsets of the same family and weight."""
    plain = []
    for part in parts:
        font = TTFont(part)
        font.flavor = None
        buffer = io.BytesIO()
        font.save(buffer)
        buffer.seek(0)
        plain.append(buffer)
    return Merger().merge(plain)


def subsetted(font: TTFont) -> TTFont:
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["kern", "liga", "calt", "locl", "case", "ccmp", "mark", "mkmk"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
    subsetter.subset(font)
    font.flavor = "woff2"
    return font


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for family, package in PACKAGES.items():
            source = fetch(package, Path(tmp))
            (OUT / f"{family}-LICENSE.txt").write_bytes((source / "LICENSE").read_bytes())
            for weight in WEIGHTS:
                parts = [source / "files" / f"{family}-{s}-{weight}-normal.woff2" for s in SCRIPTS]
                font = subsetted(merged(parts))
                buffer = io.BytesIO()
                font.save(buffer)
                data = buffer.getvalue()
                if len(data) > LIMIT:
                    print(f"{family} {weight}: {len(data)} bytes, over {LIMIT}", file=sys.stderr)
                    return 1
                (OUT / f"{family}-{weight}.woff2").write_bytes(data)
                print(f"{family}-{weight}.woff2: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
