"""PNG images of exact sizes for the sandbox's product pictures (rendered on first request)."""

from __future__ import annotations

import functools
import io


@functools.lru_cache(maxsize=256)
def render_png(width: int, height: int, color: tuple[int, int, int], label: str = "") -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    inset = max(1, min(width, height) // 8)
    contrast = tuple(255 - c for c in color)
    draw.rectangle((inset, inset, width - inset - 1, height - inset - 1), outline=contrast, width=max(1, inset // 8))
    if label:
        draw.text((inset + 4, inset + 4), label, fill=contrast)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast: the sandbox renders every image it serves
    return buffer.getvalue()
