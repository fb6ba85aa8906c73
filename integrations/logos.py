"""Which logo bytes we accept and serve: images only, of a known type, under a size cap."""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image

# A logo is a few hundred pixels a side. An image's header declares its size in a few bytes
# (a 29-byte GIF can claim a billion pixels): those are read, and refused, before any decoding.
MAX_SIDE = 4096
MAX_PIXELS = MAX_SIDE * MAX_SIDE
# Pillow's own guard for any other Image.open in this process: a warning above, an error at twice.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Between one and two times that, Pillow only warns; sniff() refuses those itself, by name.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

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
    """The image type the bytes really are, or None; LogoRejected if they declare absurd dimensions."""
    if _SVG_START.match(data.removeprefix(b"\xef\xbb\xbf")[:4096]):
        return "image/svg+xml"
    try:
        # Image.open reads the header only: the size is known before a pixel is decoded.
        with Image.open(io.BytesIO(data)) as image:
            _check_dimensions(*image.size)
            image.verify()
            return _PILLOW_FORMATS.get(image.format or "")
    except LogoRejected:
        raise
    except Image.DecompressionBombError:
        raise LogoRejected(f"logo declares more than {2 * MAX_PIXELS} pixels") from None
    except Exception:  # Pillow raises many kinds on hostile bytes: none of them is an image we serve
        return None


def _check_dimensions(width: int, height: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise LogoRejected(
            f"logo declares {width}x{height} pixels, over the {MAX_SIDE}x{MAX_SIDE} cap"
        )


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
