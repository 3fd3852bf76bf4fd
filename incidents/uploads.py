"""What an evidence upload really is, decided by its content, never by its name.

`inspect(handle)` reads a file and says whether SkyLedger accepts it as evidence (photos,
video, audio, PDF), what it is, and for photos the EXIF time and GPS position; `preview`
makes a resized copy of a photo without its metadata for the browser. No Django models here:
Evidence.clean() and save() call these.
"""

import io
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

import filetype
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Media types accepted as evidence, by what their first bytes say they are.
ACCEPTED = {
    "image/jpeg": "photo",
    "image/png": "image",
    "image/gif": "image",
    "image/webp": "image",
    "image/tiff": "image",
    "image/heic": "photo",
    "image/avif": "image",
    "video/mp4": "video",
    "video/x-m4v": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "video/x-matroska": "video",
    "video/x-msvideo": "video",
    "video/mpeg": "video",
    "video/3gpp": "video",
    "audio/mpeg": "audio recording",
    "audio/mp4": "audio recording",
    "audio/aac": "audio recording",
    "audio/ogg": "audio recording",
    "audio/x-flac": "audio recording",
    "audio/x-wav": "audio recording",
    "audio/amr": "audio recording",
    "application/pdf": "PDF",
}
# Images Pillow can check and preview (HEIC and AVIF need plugins it may not have).
_PILLOW_CHECKED = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff"}
# Web content hidden in a photo or PDF makes it a polyglot: a browser could run it.
_POLYGLOT = re.compile(
    rb"<\s*(script|html|svg|iframe|object|embed|body)\b|<\?php|/JavaScript\b", re.I
)
_SCAN_CHUNK = 1024 * 1024
PREVIEW_SIZE = (1280, 1280)


@dataclass
class Inspection:
    media_type: str | None = None
    problem: str | None = None
    taken_at: datetime | None = None
    lonlat: tuple[float, float] | None = None


def _read_head(handle, size=8192):
    handle.seek(0)
    head = handle.read(size)
    handle.seek(0)
    return head


def _polyglot(handle):
    """True when web or script content is embedded anywhere in the file."""
    handle.seek(0)
    tail = b""
    while chunk := handle.read(_SCAN_CHUNK):
        if _POLYGLOT.search(tail + chunk):
            handle.seek(0)
            return True
        tail = chunk[-64:]
    handle.seek(0)
    return False


def inspect(handle, name="", max_pixels=80_000_000):
    """Decide from the content whether a file may be stored as evidence."""
    head = _read_head(handle)
    kind = filetype.guess(head)
    shown = f"“{name}”" if name else "This file"
    if kind is None:
        return Inspection(
            problem=f"{shown} is not a photo, video, audio recording or PDF that SkyLedger "
            "recognises from its content (whatever its name says). Upload the original file "
            "from the camera, phone or recorder."
        )
    if kind.mime not in ACCEPTED:
        return Inspection(
            problem=f"{shown} contains {kind.mime}, which is not accepted as evidence. Upload "
            "photos, videos, audio recordings or PDF documents."
        )
    result = Inspection(media_type=kind.mime)
    label = ACCEPTED[kind.mime]
    if (kind.mime.startswith("image/") or kind.mime == "application/pdf") and _polyglot(handle):
        result.problem = (
            f"{shown} is a {label} that also carries web page or script content (a polyglot "
            "file), so it is refused. Export the original again from the camera or scanner."
        )
        return result
    if kind.mime in _PILLOW_CHECKED:
        result.problem = _check_image(handle, shown, label, max_pixels, result)
    return result


def _check_image(handle, shown, label, max_pixels, result):
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    size = None
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises only above twice that: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            handle.seek(0)
            with Image.open(handle) as image:
                size = image.size
                image.verify()
            handle.seek(0)
            with Image.open(handle) as image:
                result.taken_at, result.lonlat = _exif(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        claimed = f" ({size[0]:,} by {size[1]:,})" if size else ""
        return (
            f"{shown} claims more pixels{claimed} than the {max_pixels:,} allowed: a "
            "decompression bomb, or a scan far too large. It is refused; upload the photo as "
            "the camera saved it."
        )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"{shown} looks like a {label} but is damaged ({exc}). Upload the file again."
    finally:
        Image.MAX_IMAGE_PIXELS = previous
        handle.seek(0)
    return None


def _exif(image):
    """(time taken as an aware datetime or None, (lon, lat) or None) from a photo's EXIF."""
    try:
        exif = image.getexif()
    except Exception:
        return None, None
    details = exif.get_ifd(ExifTags.IFD.Exif)
    taken = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    taken_at = None
    if isinstance(taken, str):
        try:
            naive = datetime.strptime(taken.strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            naive = None
        if naive is not None:
            offset = details.get(ExifTags.Base.OffsetTimeOriginal)
            taken_at = _with_offset(naive, offset)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    return taken_at, _gps_lonlat(gps)


def _with_offset(naive, offset):
    """EXIF times are the camera's local time: exact (UTC) with an offset tag such as
    +07:00, else naive, for the caller to read in the site's time zone."""
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip()):
        return datetime.fromisoformat(naive.isoformat() + offset.strip()).astimezone(UTC)
    return naive


def _gps_lonlat(gps):
    def degrees(value):
        d, m, s = (float(part) for part in value)
        return d + m / 60 + s / 3600

    try:
        lat = degrees(gps[ExifTags.GPS.GPSLatitude])
        lon = degrees(gps[ExifTags.GPS.GPSLongitude])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if gps.get(ExifTags.GPS.GPSLatitudeRef, "N") in ("S", b"S"):
        lat = -lat
    if gps.get(ExifTags.GPS.GPSLongitudeRef, "E") in ("W", b"W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def preview(handle):
    """JPEG bytes of the photo turned upright and resized, with no EXIF or other metadata."""
    handle.seek(0)
    with Image.open(handle) as image:
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail(PREVIEW_SIZE)
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        out = io.BytesIO()
        upright.save(out, "JPEG", quality=85)
    handle.seek(0)
    return out.getvalue()
