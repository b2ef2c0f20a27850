"""The store's HTML description reduced to what TikTok renders (part of the transform to a listing).

Kept: text, ``<p>``, ``<ul>``/``<ol>``/``<li>``, ``<br>`` and ``<img src>`` (at most 30, the
store's URLs left as placeholders for the caller to re-host, or swapped through ``image_src``).
Tables become one line per row, ``cell | cell``. Scripts, styles and the like go with their
content; every other tag goes, its text stays. Nested lists are flattened. Stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from connector.catalog.rules import MAX_DESCRIPTION_IMAGES

_DROP_CONTENT = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "head",
        "title",
        "select",
        "button",
        "textarea",
        "canvas",
        "audio",
        "video",
    }
)
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "main",
        "nav",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "address",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "details",
        "summary",
        "center",
    }
)
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")


@dataclass
class _Img:
    src: str


@dataclass
class _Br:
    pass


_Inline = str | _Img | _Br


@dataclass
class _Para:
    inlines: list[_Inline] = field(default_factory=list)


@dataclass
class _List:
    ordered: bool
    items: list[list[_Inline]] = field(default_factory=list)


def _usable_src(src: str | None) -> str | None:
    if not src:
        return None
    src = src.strip()
    if src.startswith("//"):
        src = "https:" + src
    return src if src.lower().startswith(("http://", "https://")) else None


class _Reducer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Para | _List] = []
        self.para: _Para | None = None
        self.list: _List | None = None
        self.list_depth = 0
        self.item: list[_Inline] | None = None
        self.drop_depth = 0
        self.table_depth = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.row_images: list[_Img] = []

    # --- structure helpers ---------------------------------------------------------------

    def _end_para(self) -> None:
        if self.para is not None:
            self.blocks.append(self.para)
            self.para = None

    def _end_item(self) -> None:
        if self.list is not None and self.item is not None:
            self.list.items.append(self.item)
        self.item = None

    def _end_list(self) -> None:
        self._end_item()
        if self.list is not None:
            self.blocks.append(self.list)
        self.list = None
        self.list_depth = 0

    def _target(self) -> list[_Inline]:
        if self.list is not None:
            if self.item is None:
                self.item = []
            return self.item
        if self.para is None:
            self.para = _Para()
        return self.para.inlines

    def _break(self) -> None:
        """A block boundary: a new paragraph, or a line break inside a list item."""
        if self.list is not None:
            if self.item:
                self.item.append(_Br())
        else:
            self._end_para()

    def _end_cell(self) -> None:
        if self.cell is not None:
            if self.row is None:
                self.row = []
            self.row.append(_SPACES.sub(" ", "".join(self.cell)).strip())
        self.cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self.row is not None:
            line = " | ".join(cell for cell in self.row if cell)
            inlines: list[_Inline] = [line] if line else []
            self.blocks.append(_Para([*inlines, *self.row_images]))
        elif self.row_images:
            self.blocks.append(_Para(list(self.row_images)))
        self.row = None
        self.row_images = []

    # --- parser callbacks ----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.drop_depth += 1
            return
        if self.drop_depth:
            return
        if tag == "img":
            src = _usable_src(dict(attrs).get("src"))
            if src is not None:
                if self.table_depth:
                    self.row_images.append(_Img(src))
                else:
                    self._target().append(_Img(src))
            return
        if self.table_depth:
            if tag == "table":
                self.table_depth += 1
            elif tag == "tr":
                self._end_row()
                self.row = []
            elif tag in _CELLS:
                self._end_cell()
                self.cell = []
            elif tag == "br" and self.cell is not None:
                self.cell.append(" ")
            return
        if tag == "table":
            self._end_para()
            self._end_list()
            self.table_depth = 1
        elif tag in ("ul", "ol"):
            if self.list is None:
                self._end_para()
                self.list = _List(ordered=tag == "ol")
            self.list_depth += 1
        elif tag == "li":
            if self.list is None:
                self._end_para()
            else:
                self._end_item()
                self.item = []
        elif tag == "br":
            if self.list is not None or self.para is not None:
                self._target().append(_Br())
        elif tag in _BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            return  # self-closed: nothing to drop
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.drop_depth = max(0, self.drop_depth - 1)
            return
        if self.drop_depth:
            return
        if self.table_depth:
            if tag == "table":
                self.table_depth -= 1
                if not self.table_depth:
                    self._end_row()
            elif tag == "tr":
                self._end_row()
            elif tag in _CELLS:
                self._end_cell()
            return
        if tag in ("ul", "ol"):
            if self.list is not None:
                self.list_depth -= 1
                if self.list_depth <= 0:
                    self._end_list()
        elif tag == "li":
            self._end_item()
        elif tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.drop_depth:
            return
        if self.table_depth:
            if self.cell is None:
                if not data.strip():
                    return
                self.cell = []
            self.cell.append(data)
            return
        if not data.strip() and self.para is None and (self.list is None or not self.item):
            return  # whitespace between blocks
        self._target().append(data)

    def finish(self) -> list[_Para | _List]:
        self.close()
        self.table_depth = min(self.table_depth, 1)
        if self.table_depth:
            self._end_row()
        self._end_para()
        self._end_list()
        return self.blocks


@dataclass(frozen=True)
class Description:
    html: str
    image_urls: tuple[str, ...]
    """The distinct store image URLs the description shows, in order (to re-host)."""


def _render_inlines(inlines: list[_Inline], src_of: Callable[[str], str | None], budget: list[int]) -> str:
    parts: list[str] = []
    pending_br = False
    for inline in inlines:
        if isinstance(inline, _Br):
            pending_br = bool(parts)
            continue
        if isinstance(inline, _Img):
            src = src_of(inline.src)
            if src is None or budget[0] <= 0:
                continue
            budget[0] -= 1
            piece = f'<img src="{escape(src, quote=True)}">'
        else:
            piece = escape(_SPACES.sub(" ", inline), quote=False)
            if not piece.strip():
                if parts and not parts[-1].endswith(" "):
                    parts.append(" ")
                continue
            if parts and parts[-1].endswith(" ") and piece.startswith(" "):
                piece = piece[1:]
        if pending_br:
            parts.append("<br>")
            pending_br = False
        parts.append(piece)
    text = "".join(parts).strip()
    return re.sub(r"\s*<br>\s*", "<br>", text)


def reduce_html(html: str, image_src: Callable[[str], str | None] | None = None) -> Description:
    """The description as TikTok renders it. ``image_src`` maps a store image URL to the one to
    show (``None`` drops the image); without it the store URLs stay, as placeholders."""
    reducer = _Reducer()
    try:
        reducer.feed(html)
        blocks = reducer.finish()
    except (AssertionError, ValueError):  # pragma: no cover - html.parser is lenient
        blocks = [_Para([html])]
    src_of: Callable[[str], str | None] = image_src if image_src is not None else (lambda url: url)
    budget = [MAX_DESCRIPTION_IMAGES]
    urls: list[str] = []
    out: list[str] = []
    for block in blocks:
        if isinstance(block, _Para):
            urls.extend(i.src for i in block.inlines if isinstance(i, _Img))
            body = _render_inlines(block.inlines, src_of, budget)
            if body:
                out.append(f"<p>{body}</p>")
        else:
            items: list[str] = []
            for item in block.items:
                urls.extend(i.src for i in item if isinstance(i, _Img))
                body = _render_inlines(item, src_of, budget)
                if body:
                    items.append(f"<li>{body}</li>")
            if items:
                tag = "ol" if block.ordered else "ul"
                out.append(f"<{tag}>{''.join(items)}</{tag}>")
    return Description(html="".join(out), image_urls=tuple(dict.fromkeys(urls)))


def listing_description(html: str, title: str, image_src: Callable[[str], str | None] | None = None) -> Description:
    """:func:`reduce_html`, or the title as one paragraph when nothing is left (TikTok requires
    a description)."""
    reduced = reduce_html(html, image_src)
    if reduced.html:
        return reduced
    return Description(html=f"<p>{escape(_SPACES.sub(' ', title).strip(), quote=False)}</p>", image_urls=())
