"""Small real files for evidence tests, made on the spot (nothing downloaded)."""

import io

from PIL import Image


def jpeg(size=(64, 48), colour=(90, 120, 160), taken="2026:11:20 14:03:05", offset=None, gps=None):
    """A real JPEG photo, optionally with EXIF time (and offset) and GPS (lon, lat)."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    if taken:
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9003] = taken  # DateTimeOriginal
        if offset:
            exif_ifd[0x9011] = offset  # OffsetTimeOriginal
    if gps:
        lon, lat = gps

        def dms(value):
            value = abs(value)
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 4)
            return (d, m, s)

        exif[0x8825] = {
            1: "S" if lat < 0 else "N",
            2: dms(lat),
            3: "W" if lon < 0 else "E",
            4: dms(lon),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size=(32, 32)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def mp4():
    """The first box of an MP4 file: enough for content sniffing."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def pdf():
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bomb(side=20_000):
    """A PNG that claims side x side pixels but compresses to a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()
