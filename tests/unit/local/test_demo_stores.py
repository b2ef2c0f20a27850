"""The demo's ``--store`` choice: the known platforms pick their driver, another name is refused
with the choices before anything starts."""

from __future__ import annotations

from typing import Any

import pytest

from local.demo.__main__ import main
from local.demo.ecwid import EcwidDriver
from local.demo.shopify import ShopifyDriver
from local.demo.store import PLATFORMS, driver_for


class _World:
    shopify = object()


def test_an_unknown_store_platform_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--store", "woocommerce"])
    assert exit_.value.code == 2
    assert "invalid choice: 'woocommerce'" in capsys.readouterr().err


@pytest.mark.parametrize(("platform", "kind", "keeps_dimensions"),
                         [("ecwid", EcwidDriver, True), ("shopify", ShopifyDriver, False)])
def test_each_platform_has_its_driver(platform: str, kind: type[Any], keeps_dimensions: bool) -> None:
    driver = driver_for(platform, _World())  # type: ignore[arg-type]
    assert isinstance(driver, kind) and driver.keeps_dimensions is keeps_dimensions
    assert platform in PLATFORMS and driver.platform.lower() == platform
