"""The demo newsroom's look: a lantern drawn for The Lantern, an accent colour and fonts."""

from __future__ import annotations

from samizdat.core.appearance import clean_svg
from samizdat.core.models import Appearance

# A lantern: ring, cap, glass with a flame, base. Drawn for this project, in presentation
# attributes only (the reader pages allow no inline style).
LANTERN_LOGO = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">
<title>The Lantern</title>
<circle cx="24" cy="5" r="3" fill="none" stroke="#161616" stroke-width="2"/>
<path d="M14 14 L18 8 H30 L34 14 Z" fill="#161616"/>
<rect x="13" y="14" width="22" height="24" rx="3" fill="#fff4d6" stroke="#161616" stroke-width="2.5"/>
<path d="M24 19 C28 24 29 28 24 33 C19 28 20 24 24 19 Z" fill="#e0861a"/>
<path d="M24 25 C26 27.5 26 30 24 32 C22 30 22 27.5 24 25 Z" fill="#ffd23f"/>
<line x1="18" y1="14" x2="18" y2="38" stroke="#161616" stroke-width="1.5"/>
<line x1="30" y1="14" x2="30" y2="38" stroke="#161616" stroke-width="1.5"/>
<rect x="11" y="38" width="26" height="5" rx="1.5" fill="#161616"/>
</svg>"""
ACCENT = "#0b5c55"  # deep teal: 7.8:1 against white
FONTS = "literata-inter"


def seed_appearance() -> int:
    """Give the demo its look, once: 1 if it was set now, 0 if the newsroom had one."""
    if Appearance.objects.exists():
        return 0
    Appearance.objects.create(logo_svg=clean_svg(LANTERN_LOGO), accent=ACCENT, fonts=FONTS)
    return 1
