"""The few HTML pages a merchant sees during the install (plain, escaped, no scripts)."""

from __future__ import annotations

import html


def page(title: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if link:
        body += f'<p><a id="next" href="{html.escape(link[1], quote=True)}">{html.escape(link[0])}</a></p>'
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>")


def esc(text: str) -> str:
    return html.escape(text, quote=True)
