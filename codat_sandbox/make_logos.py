"""Draws the sandbox's logo images (run once; the files are committed).

    python -m codat_sandbox.make_logos

Real Codat serves official logos from its static host; the sandbox serves
these stand-ins: a full (wordmark) and a square (monogram) image per platform.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .data import PLATFORMS, logo_filename

OUT = Path(__file__).with_name("logos")


def _initials(name: str) -> str:
    words = [w for w in name.replace("(", " ").replace(")", " ").split() if w[0].isalnum()]
    return "".join(w[0] for w in words[:2]).upper()


def _png(platform, variant: str, path: Path) -> None:
    size = (360, 96) if variant == "full" else (128, 128)
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, size[0] - 1, size[1] - 1], radius=18, fill=platform.color)
    text = platform.name if variant == "full" else _initials(platform.name)
    font_size = 34 if variant == "full" else 52
    font = ImageFont.load_default(size=font_size)
    while draw.textlength(text, font=font) > size[0] - 32 and font_size > 12:
        font_size -= 2
        font = ImageFont.load_default(size=font_size)
    draw.text((size[0] / 2, size[1] / 2), text, font=font, fill="white", anchor="mm")
    image.save(path, optimize=True)


def _svg(platform, variant: str, path: Path) -> None:
    width, height = (360, 96) if variant == "full" else (128, 128)
    text = platform.name if variant == "full" else _initials(platform.name)
    font_size = 34 if variant == "full" else 52
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f'<rect width="{width}" height="{height}" rx="18" fill="{platform.color}"/>'
        f'<text x="50%" y="50%" dominant-baseline="central" text-anchor="middle" '
        f'font-family="sans-serif" font-size="{font_size}" fill="#fff">{text}</text></svg>\n'
    )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for platform in PLATFORMS:
        for variant in ("full", "square"):
            path = OUT / logo_filename(platform, variant)
            (_svg if platform.svg_logos else _png)(platform, variant, path)


if __name__ == "__main__":
    main()
