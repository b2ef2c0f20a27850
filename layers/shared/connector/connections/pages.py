"""The few HTML pages a merchant sees during the install (plain, escaped, no scripts), and the
security headers every one of them is sent with."""

from __future__ import annotations

import base64
import hashlib
import html

_STYLE = "body{font-family:sans-serif;max-width:40em;margin:3em auto}"
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

#: No script, no plugin, no form, nothing from elsewhere; only our one stylesheet. No site may
#: frame the pages (the install runs in the top window: OAuth consent pages refuse frames too),
#: no URL (with its code and state) leaks as a Referer, and nothing is cached: the pages carry
#: connection tokens.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self'; "
                                "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def page(title: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if link:
        body += f'<p><a id="next" href="{html.escape(link[1], quote=True)}">{html.escape(link[0])}</a></p>'
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>")


def esc(text: str) -> str:
    return html.escape(text, quote=True)
