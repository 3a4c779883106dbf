"""Fits an input image to the exact video size the Videos API requires (letterbox padding)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from reelgate.errors import ValidationError


def fit_image(data: bytes, size: str) -> bytes:
    """``data`` scaled to fit ``size`` (``WxH``) and padded with black; PNG bytes."""
    width, height = (int(part) for part in size.split("x"))
    try:
        with Image.open(io.BytesIO(data)) as image:
            fitted = ImageOps.pad(image.convert("RGB"), (width, height), color=(0, 0, 0))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            "the input image could not be decoded", field="input_image_url"
        ) from exc
    out = io.BytesIO()
    fitted.save(out, format="PNG")
    return out.getvalue()
