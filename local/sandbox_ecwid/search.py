"""The sandbox Ecwid's catalog reads: products and combinations as the API renders them, the
product, category and deleted-product searches, product classes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from local.sandbox_ecwid.args import ApiError, bool_arg, ecwid_date, int_arg, page, time_arg
from local.sandbox_ecwid.model import (
    MAX_LIMIT,
    Store,
)
from local.sandbox_ecwid.products import ProductState


class ProductSearch(ProductState):
    def render_product(self, store: Store, product: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": product["id"],
            "sku": product["sku"],
            "name": product["name"],
            "price": product["price"],
            "defaultDisplayedPrice": product["price"],
            "unlimited": product["unlimited"],
            "inStock": self._in_stock(product) or any(self._in_stock(product, c) for c in product["combinations"]),
            "enabled": product["enabled"],
            "description": product["description"],
            "categoryIds": list(product["categoryIds"]),
            "categories": [{"id": c, "enabled": True} for c in product["categoryIds"]],
            "defaultCategoryId": product["defaultCategoryId"],
            "productClassId": product["productClassId"],
            "options": copy.deepcopy(product["options"]),
            "combinations": [self._render_combination(product, c) for c in product["combinations"]],
            "attributes": [],
            "createTimestamp": product["createTimestamp"],
            "updateTimestamp": product["updateTimestamp"],
            "created": ecwid_date(product["createTimestamp"]),
            "updated": ecwid_date(product["updateTimestamp"]),
            "url": f"{self.public_url}/store/{store.id}/p/{product['id']}",
        }
        if not product["unlimited"]:
            out["quantity"] = product["quantity"]
        if product["compareToPrice"] is not None:
            out["compareToPrice"] = product["compareToPrice"]
        if product["weight"] is not None:
            out["weight"] = product["weight"]
        if product["dimensions"]:
            out["dimensions"] = dict(product["dimensions"])
        for attribute in store.classes[product["productClassId"]]["attributes"]:
            value = product["attributes"].get(attribute["name"])
            if value:
                out["attributes"].append(
                    {
                        "id": attribute["id"],
                        "name": attribute["name"],
                        "value": value,
                        "type": attribute["type"],
                        "show": attribute["show"],
                    }
                )
        images = []
        for order, image_id in enumerate(product["images"]):
            url = self._image_url(store, image_id)
            images.append(
                {
                    "id": str(image_id),
                    "isMain": order == 0,
                    "orderBy": order,
                    "imageOriginalUrl": url,
                    "image160pxUrl": url,
                    "image400pxUrl": url,
                    "image800pxUrl": url,
                    "image1500pxUrl": url,
                }
            )
        out["media"] = {"images": images}
        if product["images"]:
            main = store.images[product["images"][0]]
            main_url = self._image_url(store, product["images"][0])
            out["originalImage"] = {"url": main_url, "width": main["width"], "height": main["height"]}
            out["imageUrl"] = main_url
            out["originalImageUrl"] = main_url
        return out

    def _render_combination(self, product: dict[str, Any], combo: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": combo["id"],
            "combinationNumber": combo["combinationNumber"],
            "options": copy.deepcopy(combo["options"]),
            "inStock": self._in_stock(product, combo),
            "unlimited": bool(combo.get("unlimited")) and self.owns_stock(combo),
        }
        if combo.get("sku"):
            out["sku"] = combo["sku"]
        if self.owns_stock(combo) and not combo.get("unlimited"):
            out["quantity"] = combo["quantity"]
        for name in ("price", "weight"):
            if name in combo:
                out[name] = combo[name]
        if combo.get("attributes"):
            out["attributes"] = [{"name": "UPC", "value": combo["attributes"]["UPC"], "type": "UPC"}]
        return out

    def get_product(self, store_id: int | str, product_id: int | str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            return self.render_product(store, self._product(store, product_id))

    def get_combinations(self, store_id: int | str, product_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            return [self._render_combination(product, c) for c in product["combinations"]]

    def get_combination(self, store_id: int | str, product_id: int | str, combination_id: int | str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            return self._render_combination(product, self._combination(product, combination_id))

    def search_products(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            products = list(store.products.values())
            if args.get("sku"):  # exact, product or combination SKU; other filters are ignored
                sku = args["sku"]
                products = [
                    p for p in products if p["sku"] == sku or any(c.get("sku") == sku for c in p["combinations"])
                ]
            else:
                products = self._filter_products(products, args)
            sort = (args.get("sortBy") or "ADDED_TIME_DESC").upper()
            keys: dict[str, Callable[[dict[str, Any]], Any]] = {
                "ADDED_TIME": lambda p: (p["createTimestamp"], p["id"]),
                "UPDATED_TIME": lambda p: (p["updateTimestamp"], p["id"]),
                "NAME": lambda p: (p["name"].lower(), p["id"]),
                "PRICE": lambda p: (p["price"], p["id"]),
                "SKU": lambda p: (p["sku"], p["id"]),
            }
            base, _, direction = sort.rpartition("_")
            products.sort(key=keys.get(base, keys["ADDED_TIME"]), reverse=direction == "DESC")
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            limit = int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0
            answer = page(products, offset, limit)
            answer["items"] = [self.render_product(store, p) for p in answer["items"]]
            return answer

    def _filter_products(self, products: list[dict[str, Any]], args: Mapping[str, str]) -> list[dict[str, Any]]:
        def number(name: str) -> int | None:
            value = args.get(name)
            return time_arg(value, name) if value not in (None, "") else None

        if args.get("productId"):
            wanted = {int_arg(x, "productId") for x in args["productId"].split(",") if x.strip()}
            products = [p for p in products if p["id"] in wanted]
        if args.get("keyword"):
            word = args["keyword"].lower()
            products = [
                p
                for p in products
                if word in p["name"].lower() or word in p["sku"].lower() or word in p["description"].lower()
            ]
        if args.get("category") not in (None, ""):
            category = int_arg(args["category"], "category")
            products = [
                p for p in products if (category in p["categoryIds"]) or (category == 0 and not p["categoryIds"])
            ]
        enabled = bool_arg(args.get("enabled"))
        if enabled is not None:
            products = [p for p in products if p["enabled"] == enabled]
        in_stock = bool_arg(args.get("inStock"))
        if in_stock is not None:
            products = [
                p
                for p in products
                if (self._in_stock(p) or any(self._in_stock(p, c) for c in p["combinations"])) == in_stock
            ]
        for name, key, cmp in (
            ("updatedFrom", "updateTimestamp", 1),
            ("updatedTo", "updateTimestamp", -1),
            ("createdFrom", "createTimestamp", 1),
            ("createdTo", "createTimestamp", -1),
        ):
            bound = number(name)
            if bound is not None:
                products = [p for p in products if (p[key] >= bound if cmp == 1 else p[key] <= bound)]
        return products

    def deleted_products(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            low = time_arg(args["from_date"], "from_date") if args.get("from_date") else 0
            high = time_arg(args["to_date"], "to_date") if args.get("to_date") else None
            entries = [
                {"id": pid, "date": ecwid_date(when)}
                for pid, when in store.deleted
                if when >= low and (high is None or when <= high)
            ]
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            return page(entries, offset, int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0)

    def search_categories(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            categories = sorted(store.categories.values(), key=lambda c: (c["orderBy"], c["id"]))
            if args.get("parent") not in (None, ""):
                parent = int_arg(args["parent"], "parent") or 0
                categories = [c for c in categories if c["parentId"] == parent]
            with_ids = bool_arg(args.get("productIds")) is True
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            answer = page(categories, offset, int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0)
            rendered = []
            for category in answer["items"]:
                members = sorted(p["id"] for p in store.products.values() if category["id"] in p["categoryIds"])
                item = dict(category, productCount=len(members))
                if with_ids:
                    item["productIds"] = members
                rendered.append(item)
            answer["items"] = rendered
            return answer

    def get_category(self, store_id: int | str, category_id: int | str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            try:
                return dict(store.categories[int(category_id)])
            except (KeyError, ValueError):
                raise ApiError(404, f"Category {category_id} not found", "CATEGORY_NOT_FOUND") from None

    def product_classes(self, store_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(sorted(self.store(store_id).classes.values(), key=lambda c: c["id"]))
