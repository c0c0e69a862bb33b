"""The project's documents stand on their own: every document they point to is in the
repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCUMENT_IN_CODE = re.compile(r"`([^`\s]+\.md)`")


def referenced(document: Path) -> list[str]:
    text = document.read_text(encoding="utf-8")
    return MARKDOWN_LINK.findall(text) + DOCUMENT_IN_CODE.findall(text)


def test_documents_point_only_into_the_repository() -> None:
    assert len(DOCUMENTS) >= 3
    outside = []
    for document in DOCUMENTS:
        if "../shared" in document.read_text(encoding="utf-8"):
            outside.append((document.name, "../shared"))
        for target in referenced(document):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a web address or a heading of the same page
            path = (document.parent / target.split("#", 1)[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                outside.append((document.name, target))
    assert outside == []
