"""Stand-in until the real body conversion lands: each paragraph becomes a paragraph block."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from samizdat.importer import media

PARAGRAPH = re.compile(r"<p[^>]*>(.*?)</p>", re.S | re.I)
BLOCK_TAG = re.compile(r"</?(p|br|div|li|h[1-6]|blockquote)\b[^>]*>", re.I)
TAG = re.compile(r"<[^>]*>")


@dataclass
class Converted:
    blocks: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def convert_body(
    html_text: str, *, resolver: media.Resolver, page_type: Literal["article", "info"] = "article"
) -> Converted:
    """Each ``<p>`` (or the whole text, when there is none) as a paragraph block."""
    found = PARAGRAPH.findall(html_text) or ([html_text] if html_text.strip() else [])
    blocks = [
        {"type": "paragraph", "value": f"<p>{text.strip()}</p>", "id": str(uuid.uuid4())}
        for text in found
        if text.strip()
    ]
    return Converted(blocks=blocks, notes=[])


def plain_text(html_text: str) -> str:
    """The text of some HTML, spaces collapsed."""
    return " ".join(html.unescape(TAG.sub("", BLOCK_TAG.sub(" ", html_text))).split())
