"""What an input image must be before anything uses it: a PNG, JPEG, WebP or GIF (told from
its bytes), whose header Pillow reads, of at most ``image_max_pixels`` pixels. The size is read
from the header alone: a small file that would decode to gigabytes (a decompression bomb) is
refused before any pixel is decoded."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from reelgate.errors import ValidationError
from reelgate_flows.inputs import sniff_image_type

FIELD = "input_image_url"


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of an image :func:`checked_image_type` accepted."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return int(width), int(height)


def checked_image_type(data: bytes, max_pixels: int, field: str = FIELD) -> str:
    """The MIME type of the image ``data``; ValidationError (400) for bytes that are no image
    of a known type, an unreadable header, or more than ``max_pixels`` pixels."""
    mime = sniff_image_type(data)
    if mime is None:
        raise ValidationError(f"{field} is not a PNG, JPEG, WebP or GIF image", field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise ValidationError(
            f"{field} has more than {max_pixels:,} pixels ({exc})", field=field
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(f"{field} is not a readable {mime} image", field=field) from exc
    if width * height > max_pixels:
        raise ValidationError(
            f"{field} is {width}x{height} pixels; at most {max_pixels:,} pixels are accepted",
            field=field,
        )
    return mime
