"""The partner's colours: WCAG contrast, text darkened until it reads on white, a safe fallback."""

import pytest
from django.test import override_settings

from commerce_portal.theme import INK, WHITE, _ink_on_white, contrast, css


@pytest.mark.parametrize(
    "a, b, ratio",
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#777777", "#ffffff", 4.48),  # one step lighter: fails
        ("#ff0000", "#ffffff", 4.0),
        ("#0000ff", "#ffffff", 8.59),
    ],
)
def test_contrast_ratios_of_known_pairs(a, b, ratio):
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)
    assert contrast(b, a) == contrast(a, b)


@pytest.mark.parametrize("brand", ["#ffff00", "#00ffff", "#ff9900", "#777777", "#ffffff", "#1f5fbf"])
def test_brand_ink_reads_on_white(brand):
    ink = _ink_on_white(brand)
    assert contrast(ink, WHITE) >= 4.5


def test_a_dark_enough_brand_colour_is_used_as_it_is():
    assert _ink_on_white("#1f5fbf") == "#1f5fbf"
    assert _ink_on_white("#ffff00") != "#ffff00"


def declarations(text: str) -> dict[str, str]:
    return dict(line.strip().rstrip(";").split(": ") for line in text.splitlines() if line.strip().startswith("--"))


@pytest.mark.parametrize(
    "setting, brand, on_brand",
    [
        ("#FFFF00", "#ffff00", INK),  # light brand: dark text on it
        ("#1f5fbf", "#1f5fbf", WHITE),  # dark brand: white text on it
        ("blue", "#1f5fbf", WHITE),  # not a #rrggbb colour: the default brand colour instead
        ("#12345", "#1f5fbf", WHITE),
        ("#1f5fbf; } body { display: none", "#1f5fbf", WHITE),  # nothing of it reaches the CSS
    ],
)
def test_css_declares_the_brand_and_the_text_on_it(setting, brand, on_brand):
    with override_settings(PARTNER_BRAND_COLOR=setting):
        declared = declarations(css())
    assert declared == {"--brand": brand, "--on-brand": on_brand, "--brand-ink": _ink_on_white(brand)}
