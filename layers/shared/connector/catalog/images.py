"""Images that break TikTok's main-image rule (square, at least 600 x 600, at most 4000 px and
5 MB) are fixed instead of rejected: padded to a square on white, the content centred with
its aspect kept, then enlarged or reduced. Bytes in, JPEG bytes out.

Pillow is imported inside the functions (it costs tens of milliseconds at import).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

MIN_SIDE = 600
MAX_SIDE = 4000
MAX_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 20_000 * 20_000
"""Larger sources are refused (decompression bombs), as TikTok refuses above 20000 px."""
_QUALITIES = (90, 82, 74, 66)


class ImageUnreadable(ValueError):
    """The bytes are not an image Pillow can read (or it is absurdly large)."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    width: int
    height: int
    changed: bool
    """False when the source was already a compliant JPEG and is returned as is."""


def _open(data: bytes) -> tuple[PILImage, bool]:
    """The decoded image, upright (EXIF orientation applied), and whether it was already a
    plain upright RGB JPEG."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image: PILImage = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_SOURCE_PIXELS:
            raise ImageUnreadable(f"image is {image.width}x{image.height} px")
        image.load()
        upright = image.getexif().get(0x0112, 1) in (0, 1)  # 0x0112: Orientation
        plain_jpeg = getattr(image, "format", None) == "JPEG" and image.mode == "RGB" and upright
        if not upright:
            image = ImageOps.exif_transpose(image)
    except ImageUnreadable:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageUnreadable(type(exc).__name__) from None
    return image, plain_jpeg


def _flatten(image: PILImage) -> PILImage:
    """RGB on white (transparency composited, palettes and CMYK converted)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def square_canvas_side(width: int, height: int, *, min_side: int = MIN_SIDE, max_side: int = MAX_SIDE) -> int:
    return min(max_side, max(min_side, width, height))


def prepare_main_image(
    data: bytes,
    *,
    min_side: int = MIN_SIDE,
    max_side: int = MAX_SIDE,
    max_bytes: int = MAX_BYTES,
) -> PreparedImage:
    """A square JPEG, ``min_side`` to ``max_side`` px a side and at most ``max_bytes`` (past the
    quality steps, the side shrinks by a fifth at a time, never below ``min_side``)."""
    source, plain_jpeg = _open(data)
    if plain_jpeg and source.width == source.height and min_side <= source.width <= max_side and len(data) <= max_bytes:
        return PreparedImage(data=data, width=source.width, height=source.height, changed=False)

    image = _flatten(source)
    side = square_canvas_side(image.width, image.height, min_side=min_side, max_side=max_side)
    while True:
        canvas = _square(image, side)
        for quality in _QUALITIES:
            out = io.BytesIO()
            canvas.save(out, format="JPEG", quality=quality, optimize=True)
            encoded: bytes = out.getvalue()
            if len(encoded) <= max_bytes:
                return PreparedImage(data=encoded, width=side, height=side, changed=True)
        if side <= min_side:
            return PreparedImage(data=encoded, width=side, height=side, changed=True)
        side = max(min_side, int(side * 0.8))


def _square(image: PILImage, side: int) -> PILImage:
    from PIL import Image

    scale = side / max(image.width, image.height)
    width = max(1, round(image.width * scale))
    height = max(1, round(image.height * scale))
    content = image if (width, height) == image.size else image.resize((width, height), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    canvas.paste(content, ((side - width) // 2, (side - height) // 2))
    return canvas
