"""The partner's colours as CSS, with text colours chosen to keep WCAG AA contrast."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from django.conf import settings

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE, INK = "#ffffff", "#111827"


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _darken(color: str, factor: float) -> str:
    return "#" + "".join(f"{int(int(color[i:i + 2], 16) * factor):02x}" for i in (1, 3, 5))


def _ink_on_white(color: str) -> str:
    """The brand colour, darkened until text in it reads on white (4.5:1)."""
    factor = 1.0
    while contrast(_darken(color, factor), WHITE) < 4.6 and factor > 0:
        factor -= 0.05
    return _darken(color, max(factor, 0))


@lru_cache(maxsize=8)
def _css_for(brand: str) -> str:
    if not HEX_COLOR.match(brand):
        brand = "#1f5fbf"
    on_brand = WHITE if contrast(brand, WHITE) >= contrast(brand, INK) else INK
    return (
        ":root {\n"
        f"  --brand: {brand};\n"
        f"  --on-brand: {on_brand};\n"
        f"  --brand-ink: {_ink_on_white(brand)};\n"
        "}\n"
    )


def css() -> str:
    return _css_for(settings.PARTNER_BRAND_COLOR.lower())


def version() -> str:
    return hashlib.sha256(css().encode()).hexdigest()[:12]
