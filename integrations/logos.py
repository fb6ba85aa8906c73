"""Which logo bytes we accept and serve: images only, of a known type, under a size cap."""

from __future__ import annotations

import io
import re

from PIL import Image, UnidentifiedImageError

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
}
CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
_PILLOW_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
_SVG_START = re.compile(
    rb"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?(<!--.*?-->\s*)*<svg[\s>]",
    re.DOTALL | re.IGNORECASE,
)


class LogoRejected(ValueError):
    pass


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are, or None."""
    if _SVG_START.match(data.removeprefix(b"\xef\xbb\xbf")[:4096]):
        return "image/svg+xml"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return _PILLOW_FORMATS.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def validate(declared: str, data: bytes, *, max_bytes: int) -> str:
    """The content type to serve the bytes with; LogoRejected if they are not an acceptable image."""
    if len(data) > max_bytes:
        raise LogoRejected(f"logo is {len(data)} bytes, over the {max_bytes}-byte cap")
    declared = _ALIASES.get(declared, declared)
    if declared not in EXTENSIONS and declared not in ("", "application/octet-stream"):
        raise LogoRejected(f"logo has content type {declared!r}, not an image type we serve")
    actual = sniff(data)
    if actual is None:
        raise LogoRejected("logo bytes are not a PNG, JPEG, GIF, WebP or SVG image")
    if declared in EXTENSIONS and declared != actual:
        raise LogoRejected(f"logo claims {declared} but is {actual}")
    return actual
