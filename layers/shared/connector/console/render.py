"""HTML responses of the console: Jinja2 templates with autoescaping on (store text is untrusted
HTML), our own CSS and script, and the headers every console answer carries."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.runtime import environ

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from jinja2 import Environment

HERE = Path(__file__).parent
ECWID_SDK = "https://djqizrxa6f10j.cloudfront.net/ecwid-sdk/js/1.3.0/ecwid-app.js"
ECWID_CSS = "https://d35z3p2poghz10.cloudfront.net/ecwid-sdk/css/1.3.19/ecwid-app-ui.css"
"""Ecwid's JS SDK and app CSS framework (Ecwid's "Building a native app" page); loaded only
inside the Ecwid admin."""
DEFAULT_FRAME_ANCESTORS = "https://my.ecwid.com"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

STATUS_WORDS = {"not_synced": "Not synced", "sync_failed": "Sync failed", "in_review": "In review",
                "review_failed": "Update failed", "active": "Live", "deactivated": "Deactivated"}
STATE_WORDS = {"waiting_hold": "Waiting (on hold)", "claimed": "Being created", "created": "Created",
               "blocked": "Blocked", "shipped": "Shipped", "in_transit": "In transit", "delivered": "Delivered",
               "completed": "Completed", "cancelled": "Cancelled", "refunded": "Refunded", "skipped": "Skipped"}


@functools.lru_cache(maxsize=1)
def templates() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["status_words"] = lambda s: STATUS_WORDS.get(s, str(s).replace("_", " "))
    env.filters["state_words"] = lambda s: STATE_WORDS.get(s, str(s).replace("_", " "))
    env.filters["when"] = _when
    return env


def _when(stamp: int | None) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(stamp))) if stamp else "—"


def frame_ancestors(platform_ancestors: str | None = None) -> str:
    """Where an admin page may be framed: the store platform's admin (Ecwid's when not named;
    ``CONSOLE_FRAME_ANCESTORS`` overrides, space-separated origins)."""
    return environ().get("CONSOLE_FRAME_ANCESTORS") or platform_ancestors or DEFAULT_FRAME_ANCESTORS


def image_sources() -> str:
    """Where product thumbnails may load from: the stores' HTTPS image hosts (``https:``), plus
    ``CONSOLE_IMAGE_SOURCES`` (space-separated sources, e.g. a local sandbox store's
    ``http://127.0.0.1:*``)."""
    extra = " ".join(part for part in environ().get("CONSOLE_IMAGE_SOURCES", "").split()
                     if part.startswith(("http://", "https://")) and ";" not in part and "'" not in part)
    return "'self' https: data:" + (f" {extra}" if extra else "")


def security_headers(*, in_admin: bool, admin_ancestors: str | None = None, ecwid_files: bool = True
                     ) -> dict[str, str]:
    ancestors = frame_ancestors(admin_ancestors) if in_admin else "'none'"
    sdk = in_admin and ecwid_files
    sdk_script = " https://djqizrxa6f10j.cloudfront.net https://d35z3p2poghz10.cloudfront.net" if sdk else ""
    sdk_style = " https://d35z3p2poghz10.cloudfront.net" if sdk else ""
    policy = (f"default-src 'self'; script-src 'self'{sdk_script}; style-src 'self'{sdk_style}; "
              f"img-src {image_sources()}; connect-src 'self'; form-action 'self'; base-uri 'none'; "
              f"object-src 'none'; frame-ancestors {ancestors}")
    return {"Content-Security-Policy": policy, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}


def html(http_status: int, template: str, /, *, in_admin: bool = False, admin_ancestors: str | None = None,
         ecwid_files: bool = True, **context: Any) -> Response[Any]:
    from aws_lambda_powertools.event_handler import Response

    body = templates().get_template(template).render(in_admin=in_admin, **context)
    return Response(status_code=http_status, content_type="text/html; charset=utf-8", body=body,
                    headers=security_headers(in_admin=in_admin, admin_ancestors=admin_ancestors,
                                             ecwid_files=ecwid_files))


def static(name: str) -> Response[Any]:
    from aws_lambda_powertools.event_handler import Response

    path = HERE / "static" / name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response(status_code=404, content_type="text/plain; charset=utf-8", body="no such file")
    return Response(status_code=200, content_type=kind, body=path.read_text("utf-8"),
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})
