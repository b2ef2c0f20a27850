"""The local cloud: template.yaml brought up inside moto's server (see cloud.py)."""

from local.cloud.cloud import LocalCloud

__all__ = ["LocalCloud"]
