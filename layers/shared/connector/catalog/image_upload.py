"""Images uploaded to TikTok once per distinct image (a record per image keeps its TikTok URI),
main images fitted to TikTok's rules first, description images uploaded and swapped in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from connector import dynamo, keys
from connector.catalog.context import Catalog

if TYPE_CHECKING:
    from connector.stores.protocol import StoreProduct

MAIN_IMAGE_MAX_BYTES = 5 * 1024 * 1024


class ImageProblem(Exception):
    pass


def upload_image(cat: Catalog, url: str, use_case: str) -> str:
    """The TikTok ``uri`` (main / SKU images) or ``url`` (description images) of a store image,
    uploaded once per shop: remembered under the shop by the hash of its URL and use case.
    Images breaking the square / 600 px / 5 MB rule are padded and resized first."""
    key = _image_key(cat, url, use_case)
    client, table = cat.products.client, cat.products.table_name
    known = cat._images.get((use_case, url))
    if known is not None:
        return known
    if (use_case, url) not in cat._images_checked:
        got = client.get_item(TableName=table, Key=key)
        if "Item" in got:
            return str(got["Item"]["ref"]["S"])
    try:
        data = cat.read(url)
    except Exception as exc:  # an unreadable image is reported, never fatal
        raise ImageProblem(f"it could not be downloaded: {type(exc).__name__}") from None
    if use_case == "MAIN_IMAGE":
        data = _fit_main_image(data)
    uploaded = cat.tiktok.upload_image(cat.shop_ref, data, use_case=use_case)
    ref = uploaded.uri if use_case != "DESCRIPTION_IMAGE" else (uploaded.url or uploaded.uri)
    client.put_item(TableName=table, Item={**key, **dynamo.to_item({"ref": ref, "url": url})})
    cat._images[(use_case, url)] = ref
    return ref


def _image_key(cat: Catalog, url: str, use_case: str) -> dict[str, Any]:
    source = hashlib.sha256(f"{use_case}\n{url}".encode()).hexdigest()[:40]
    return dynamo.to_item({keys.PK: keys.conn_pk(cat.connection_id), keys.SK: keys.image_sk(cat.shop.shop_id, source)})


def prefetch_images(cat: Catalog, urls: Iterable[tuple[str, str]]) -> None:
    """Read what is known of these (use case, url) images in one batch (instead of one read each)."""
    wanted = [(use_case, url) for use_case, url in dict.fromkeys(urls)
              if (use_case, url) not in cat._images and (use_case, url) not in cat._images_checked]
    client, table = cat.products.client, cat.products.table_name
    for start in range(0, len(wanted), 100):
        chunk = wanted[start:start + 100]
        by_key = {_image_key(cat, url, use_case)[keys.SK]["S"]: (use_case, url) for use_case, url in chunk}
        request: dict[str, Any] = {table: {"Keys": [_image_key(cat, url, use_case) for use_case, url in chunk]}}
        while request:
            got = client.batch_get_item(RequestItems=request)
            for item in got.get("Responses", {}).get(table, []):
                found = by_key.get(item[keys.SK]["S"])
                if found is not None:
                    cat._images[found] = str(item["ref"]["S"])
            request = got.get("UnprocessedKeys") or {}
        cat._images_checked.update(chunk)


def _fit_main_image(data: bytes) -> bytes:
    """The bytes as they are when already fine (square, 600-4000 px, <= 5 MB, a common format),
    else the padded and resized JPEG."""
    import io

    from connector.catalog.images import ImageUnreadable, prepare_main_image

    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as probe:
            width, height, kind = probe.width, probe.height, probe.format
        if width == height and 600 <= width <= 4000 and len(data) <= MAIN_IMAGE_MAX_BYTES \
                and kind in ("JPEG", "PNG", "WEBP"):
            return data
        return prepare_main_image(data).data
    except (ImageUnreadable, OSError, ValueError) as exc:
        raise ImageProblem(f"it is not an image TikTok can use: {type(exc).__name__}") from None


def description_images(cat: Catalog, product: StoreProduct) -> dict[str, str]:
    from connector.catalog.description import listing_description

    hosted: dict[str, str] = {}
    for url in listing_description(product.description_html, product.title).image_urls[:30]:
        try:
            hosted[url] = upload_image(cat, url, "DESCRIPTION_IMAGE")
        except ImageProblem:
            continue
    return hosted
