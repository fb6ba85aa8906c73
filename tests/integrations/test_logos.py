"""Which logo bytes we accept: the size cap, the declared type (and its aliases), and what the bytes really are."""

import io

import pytest
from PIL import Image

from integrations.logos import LogoRejected, sniff, validate

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'


def raster(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("kind, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_raster_images_are_known_by_their_bytes(kind, content_type):
    data = raster(kind)
    assert sniff(data) == content_type
    assert sniff(data[:20]) is None  # a truncated image is not an image


@pytest.mark.parametrize(
    "data",
    [
        SVG,
        b"  \n" + SVG,
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + SVG,
        b'<?xml version="1.0"?><!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n' + SVG,
        b"\xef\xbb\xbf" + SVG,  # a UTF-8 byte-order mark first
        b"<SVG>" + SVG[4:],
    ],
    ids=["bare", "leading-space", "xml-declaration", "comment-and-doctype", "bom", "upper-case"],
)
def test_svg_is_known_by_its_root_element(data):
    assert sniff(data) == "image/svg+xml"


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body>" + SVG + b"</body></html>",  # an SVG inside something else is that something else
        b"<svgx/>",
        b"<!-- " + b"x" * 5000 + b" -->" + SVG,  # the root is looked for in the first 4 KiB only
        b"plain text",
        b"",
        b"\x89PNG\r\n\x1a\n",  # a PNG signature and nothing after it
    ],
    ids=["html", "other-element", "root-too-late", "text", "empty", "png-signature-only"],
)
def test_anything_else_is_not_an_image(data):
    assert sniff(data) is None


@pytest.mark.parametrize(
    "declared, data, served_as",
    [
        ("image/png", raster("PNG"), "image/png"),
        ("image/jpg", raster("JPEG"), "image/jpeg"),  # aliases some servers send
        ("image/pjpeg", raster("JPEG"), "image/jpeg"),
        ("", raster("GIF"), "image/gif"),  # no type, or a generic one: the bytes decide
        ("application/octet-stream", SVG, "image/svg+xml"),
        ("image/svg+xml", SVG, "image/svg+xml"),
    ],
)
def test_accepted_logos_are_served_as_what_they_are(declared, data, served_as):
    assert validate(declared, data, max_bytes=len(data)) == served_as  # exactly at the cap is allowed


@pytest.mark.parametrize(
    "declared, data, message",
    [
        ("image/png", raster("PNG") + b"\0", "logo is 80 bytes, over the 79-byte cap"),
        ("text/html", SVG, "logo has content type 'text/html', not an image type we serve"),
        ("image/png", SVG, "logo claims image/png but is image/svg+xml"),
        ("image/jpg", raster("PNG"), "logo claims image/jpeg but is image/png"),
        ("image/png", b"plain text", "logo bytes are not a PNG, JPEG, GIF, WebP or SVG image"),
        ("", b"<html></html>", "logo bytes are not a PNG, JPEG, GIF, WebP or SVG image"),
    ],
    ids=["over-the-cap", "not-an-image-type", "svg-as-png", "png-as-jpeg-alias", "text-as-png", "untyped-html"],
)
def test_rejected_logos_say_why(declared, data, message):
    with pytest.raises(LogoRejected) as rejected:
        validate(declared, data, max_bytes=79)
    assert str(rejected.value) == message


# --- absurd declared dimensions are refused before decoding (issue 15, item 5) --------------------

# A 29-byte GIF whose header claims 32,639 x 32,639 pixels (a billion); ASCII without NUL, so the
# sandbox can serve it from a fault's text body on SQLite and PostgreSQL alike.
HUGE_GIF = b"GIF89a\x7f\x7f\x7f\x7f\x01\x01\x01,\x01\x01\x01\x01\x7f\x7f\x7f\x7f\x01\x02\x02D\x01\x01;"


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG: a header chunk claiming these dimensions, then a few bytes of pixel data."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # refused by name, see logos.py
@pytest.mark.parametrize(
    "data",
    [HUGE_GIF, png_header_claiming(100_000, 100_000), png_header_claiming(5000, 10), png_header_claiming(4097, 4097)],
    ids=["gif-a-billion-pixels", "png-ten-billion", "png-too-wide", "png-just-over-the-pixel-cap"],
)
def test_images_that_declare_absurd_dimensions_are_rejected_with_a_reason(data):
    assert len(HUGE_GIF) == 29 and b"\x00" not in HUGE_GIF
    with pytest.raises(LogoRejected, match="pixels"):
        validate("", data, max_bytes=512 * 1024)


def test_a_sensible_image_still_passes_and_pillows_own_bomb_limit_is_set():
    from integrations import logos

    assert validate("image/png", raster("PNG"), max_bytes=10_000) == "image/png"
    assert Image.MAX_IMAGE_PIXELS == logos.MAX_PIXELS <= 4096 * 4096
