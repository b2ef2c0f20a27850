from __future__ import annotations

from pathlib import Path

import pytest

from local.cloud import LocalCloud
from local.cloud.template import TemplateError


def test_a_resource_type_it_cannot_bring_up_stops_the_start(tmp_path: Path) -> None:
    template = (Path(__file__).resolve().parents[3] / "template.yaml").read_text()
    template = template.replace("Resources:\n", "Resources:\n  Box:\n    Type: AWS::EC2::Instance\n"
                                "    Properties: {ImageId: ami-1}\n", 1)
    path = tmp_path / "template.yaml"
    path.write_text(template)
    with pytest.raises(TemplateError, match=r"Box \(AWS::EC2::Instance\)"):
        LocalCloud(template_path=path).start()
