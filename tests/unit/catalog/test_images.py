from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from connector.catalog.images import ImageUnreadable, prepare_main_image


def encode(image: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def px(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_non_square_is_padded_on_white_with_the_content_centred() -> None:
    result = prepare_main_image(encode(Image.new("RGB", (1200, 600), (200, 0, 0))))
    image = decode(result.data)
    assert image.format == "JPEG" and image.size == (1200, 1200) == (result.width, result.height)
    assert all(c > 245 for c in px(image, (600, 100)))  # padding above
    assert all(c > 245 for c in px(image, (600, 1100)))  # padding below
    red = px(image, (600, 600))
    assert red[0] > 180 and red[1] < 30 and red[2] < 30  # content in the middle
    assert px(image, (5, 600))[0] > 180  # full width kept: aspect unchanged


def test_small_image_is_upscaled_to_600() -> None:
    result = prepare_main_image(encode(Image.new("RGB", (300, 150), (0, 0, 200))))
    image = decode(result.data)
    assert image.size == (600, 600)
    assert px(image, (300, 300))[2] > 180
    assert all(c > 245 for c in px(image, (300, 50)))


def test_large_image_is_downscaled_to_4000() -> None:
    result = prepare_main_image(encode(Image.new("RGB", (5000, 2500), (0, 120, 0)), "JPEG"))
    assert decode(result.data).size == (4000, 4000)


def test_transparency_becomes_white() -> None:
    image = decode(prepare_main_image(encode(Image.new("RGBA", (700, 700), (0, 0, 0, 0)))).data)
    assert all(c > 245 for c in px(image, (350, 350)))


def test_byte_limit_is_met_by_quality_then_size() -> None:
    rng = random.Random(1)
    noise = Image.frombytes("RGB", (1500, 1500), bytes(rng.getrandbits(8) for _ in range(1500 * 1500 * 3)))
    result = prepare_main_image(encode(noise), max_bytes=400_000)
    assert len(result.data) <= 400_000
    assert 600 <= result.width < 1500 and result.width == result.height == decode(result.data).width


def test_compliant_jpeg_is_returned_unchanged() -> None:
    data = encode(Image.new("RGB", (800, 800), (10, 20, 30)), "JPEG", quality=85)
    result = prepare_main_image(data)
    assert result.data == data and not result.changed


@pytest.mark.parametrize("data", [b"", b"not an image", encode(Image.new("RGB", (10, 10)), "PNG")[:40]])
def test_unreadable_bytes_raise(data: bytes) -> None:
    with pytest.raises(ImageUnreadable):
        prepare_main_image(data)
