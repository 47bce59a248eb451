"""Reads an HTML page's main content into the document model (headings, paragraphs, list
items, definitions, table rows, code, captions, footnotes), leaving out its navigation and
furniture. The tree is walked with an explicit stack, never by recursion; a page nested too
deeply to parse in reasonable time is refused before it is parsed (:mod:`.html_nesting`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..model import (
    CAPTION,
    CODE,
    FOOTNOTE,
    HEADING,
    LIST_ITEM,
    PARAGRAPH,
    TABLE_ROW,
    ParsedDocument,
    TextBuilder,
    heading_number,
)
from .html_nesting import refuse_deep_nesting

BULLET = "\u2022"
# Never read: not content, or the page's navigation and furniture.
_DROPPED_TAGS = frozenset(
    "script style noscript template svg head nav aside form iframe object select button input "
    "textarea dialog".split()
)
_DROPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# A table of contents repeats the headings: a quote from it would cite the contents, not the
# section (DocBook marks its contents so; old Sphinx themes their sidebar).
_DROPPED_CLASSES = frozenset({"toc", "sphinxsidebar"})
# Inside these, <header> and <footer> belong to the content (an article's own title line);
# anywhere else they are the page's banner and footer.
_SECTIONING = frozenset({"article", "section", "main"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that begin a block of their own; everything else (a, em, code, span, ...) is inline.
_BLOCKS = _HEADINGS | frozenset(
    "address article blockquote body center details dd div dl dt fieldset figcaption figure "
    "footer header hgroup hr html li main menu ol p pre section summary ul table caption "
    "thead tbody tfoot tr td th legend".split()
)
_OWN_KIND = {"pre": CODE, "figcaption": CAPTION, "caption": CAPTION, "dd": PARAGRAPH}
_SPACES = re.compile(r"\s+")


def read_html(source: str) -> ParsedDocument:
    """The main content's blocks; the title from ``<title>``, else the first ``<h1>``.

    Raises:
        ValueError: the page is nested too deeply to read safely.
    """
    refuse_deep_nesting(source)
    tree = LexborHTMLParser(source)
    title_node = tree.css_first("head > title")  # not an <svg>'s title
    title = _one_line(title_node.text()) if title_node is not None else ""
    root, notes = tree.body, []
    main = tree.css_first("main, [role=main]")
    articles = tree.css("article") if main is None else []
    if main is not None or len(articles) == 1:
        root = main if main is not None else articles[0]
        notes.append(f"read only the page's <{root.tag}> element")
    if root is None:
        return ParsedDocument("", title, [])
    reader = _Reader(single_h1=len(root.css("h1")) == 1, sectioned=root.tag in _SECTIONING)
    reader.walk(root)
    return reader.builder.build(title or reader.first_h1, notes)


@dataclass
class _List:
    next_number: int | None  # None in a bulleted list


@dataclass
class _Terms:
    """The terms (<dt>) of a definition list that the next definitions (<dd>) define."""

    terms: list[str] = field(default_factory=list)
    defined: bool = False  # a <dd> has used them: the next <dt> starts afresh

    def add(self, term: str) -> None:
        if self.defined:
            self.terms, self.defined = [], False
        self.terms.append(term)

    def prefix(self) -> str:
        """ "Term: ", or "Term, Other term: ", for the next definition."""
        self.defined = True
        terms = [t for t in self.terms if t]
        return ", ".join(terms) + ": " if terms else ""


@dataclass
class _Table:
    header: list[str] | None = None
    rows: int = 0


@dataclass
class _Frame:
    """An open block-level element while the tree is walked. ``owner`` is the element whose
    kind the text found here takes: a <p> inside an <li> is part of the list item."""

    tag: str
    kind: str = PARAGRAPH
    level: int = 0
    number: str = ""  # a list item's marker, given to its first block only
    prefix: str = ""  # a definition's "Term: ", given to its first block only
    owner: _Frame | None = None
    parts: list[str] = field(default_factory=list)
    list_depth: int = 0
    list: _List | None = None
    terms: _Terms | None = None
    table: _Table | None = None
    sectioned: bool = False
    preformatted: bool = False


class _Reader:
    def __init__(self, single_h1: bool, sectioned: bool) -> None:
        self.builder = TextBuilder()
        # One <h1> is the page's title (level 1) and <h2> its top-level headings (2); with
        # several, each <h1> is a top-level heading (2) and <hN> is N + 1, at most 6.
        self.heading_shift = 0 if single_h1 else 1
        self.frames = [_Frame("root", sectioned=sectioned)]
        self.first_h1 = ""

    def walk(self, root: LexborNode) -> None:
        """Visit every node once in document order, with an explicit stack: a node to enter,
        or a frame to close once its children are done."""
        pending: list[LexborNode | _Frame] = list(reversed(_children(root)))
        while pending:
            item = pending.pop()
            top = self.frames[-1]
            if isinstance(item, _Frame):
                self._close(item)
            elif item.tag == "-text":
                top.parts.append(item.text_content or "")
            elif item.tag == "br":
                top.parts.append("\n" if top.preformatted else " ")
            elif item.tag is None or _dropped(item, item.tag, top.sectioned):
                continue
            elif item.tag == "tr":  # cells and terms are read whole, as one line each
                self._add_row(item, top.table or _Table())
            elif item.tag == "dt" and top.terms is not None:
                top.terms.add(_flat_text(item))
            else:
                if item.tag in _BLOCKS:
                    pending.append(self._open(item.tag, item))
                pending.extend(reversed(_children(item)))
        self._emit(self.frames[0])  # text after the last block, directly in the root

    def _open(self, tag: str, node: LexborNode) -> _Frame:
        parent = self.frames[-1]
        frame = _Frame(
            tag,
            owner=parent.owner,
            list_depth=parent.list_depth,
            list=parent.list,
            terms=parent.terms,
            table=parent.table,
            sectioned=parent.sectioned or tag in _SECTIONING,
            preformatted=parent.preformatted or tag == "pre",
        )
        self.frames.append(frame)
        self._emit(parent)
        if tag in ("ul", "ol", "menu", "dl", "table", "pre") and parent.owner is not None:
            self._emit_term(parent.owner)  # a definition that is a list: its term stands alone
        self._shape(frame, node)
        return frame

    def _shape(self, frame: _Frame, node: LexborNode) -> None:
        """What a newly opened element is: its kind, level and marker, what it holds."""
        tag, attrs = frame.tag, node.attributes
        if tag in _HEADINGS:
            frame.owner, frame.kind = frame, HEADING
            frame.level = min(int(tag[1]) + self.heading_shift, 6)
        elif tag in ("ul", "ol", "menu"):
            frame.owner, frame.list_depth = None, frame.list_depth + 1
            frame.list = _List(_int(attrs.get("start"), 1) if tag == "ol" else None)
        elif tag == "li":
            frame.owner, frame.kind, frame.level = frame, LIST_ITEM, max(frame.list_depth, 1)
            frame.number = _marker(frame.list, attrs.get("value"))
        elif tag == "dl":
            frame.owner, frame.terms = None, _Terms()
        elif tag == "table":
            frame.owner, frame.table = None, _Table()
        elif tag in _OWN_KIND:
            frame.owner, frame.kind = frame, _OWN_KIND[tag]
        elif "footnote" in (attrs.get("class") or "").split() or attrs.get("role") in (
            "doc-footnote",
            "doc-endnote",
        ):
            frame.owner, frame.kind = frame, FOOTNOTE
        if tag == "dd" and frame.terms is not None:
            frame.prefix = frame.terms.prefix()

    def _close(self, frame: _Frame) -> None:
        self.frames.pop()
        self._emit(frame)
        self._emit_term(frame)  # a <dd> without text of its own
        if frame.tag == "dl" and frame.terms is not None and not frame.terms.defined:
            for term in frame.terms.terms:  # terms left without a definition
                self.builder.add(PARAGRAPH, term)

    def _add_row(self, row: LexborNode, table: _Table) -> None:
        """A row that makes sense alone. The first row is the header when it is in <thead> or
        its cells are all <th> (HTML says which cells head a table; Word does not); a row under
        a header reads "H1: c1 | H2: c2", any other "c1 | c2". A table inside a cell is read
        as its text."""
        cells = [c for c in _children(row) if c.tag in ("td", "th")]
        texts = [_flat_text(c) for c in cells]
        table.rows += 1
        in_head = row.parent is not None and row.parent.tag == "thead"
        if table.rows == 1 and cells and (in_head or all(c.tag == "th" for c in cells)):
            table.header = texts
        elif table.header is not None:
            self.builder.add(TABLE_ROW, labelled_row(table.header, texts))
            return
        self.builder.add(TABLE_ROW, " | ".join(t for t in texts if t))

    def _emit(self, frame: _Frame) -> None:
        """The text gathered in ``frame`` since its last block, as a block of its owner's
        kind."""
        text = "".join(frame.parts)
        frame.parts.clear()
        owner = frame.owner
        if not text.strip():
            return
        if owner is None:
            self.builder.add(PARAGRAPH, text)
            return
        prefix, owner.prefix = owner.prefix, ""
        number, owner.number = owner.number, ""
        if owner.kind == HEADING:
            number = heading_number(_one_line(text))[0]
            if owner.tag == "h1" and not self.first_h1:
                self.first_h1 = _one_line(text)
        self.builder.add(owner.kind, prefix + text, level=owner.level, number=number)

    def _emit_term(self, owner: _Frame) -> None:
        if owner.prefix:
            self.builder.add(PARAGRAPH, owner.prefix.rstrip(": "))
            owner.prefix = ""


def _dropped(node: LexborNode, tag: str, sectioned: bool) -> bool:
    if tag.startswith("-") or tag in _DROPPED_TAGS:  # comments, doctype; and page furniture
        return True
    attrs = node.attributes
    return (
        (tag in ("header", "footer") and not sectioned)
        or "hidden" in attrs
        or attrs.get("aria-hidden") == "true"
        or (attrs.get("role") or "").strip().lower() in _DROPPED_ROLES
        or not _DROPPED_CLASSES.isdisjoint((attrs.get("class") or "").split())
    )


def _flat_text(node: LexborNode) -> str:
    """All the text of a cell or term on one line, a space where a block or line break
    ends, nothing between inline elements."""
    parts: list[str] = []
    pending: list[LexborNode | str] = list(reversed(_children(node)))
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            parts.append(item)
        elif item.tag == "-text":
            parts.append(item.text_content or "")
        elif item.tag is not None and not _dropped(item, item.tag, True):
            gap = " " if item.tag in _BLOCKS or item.tag == "br" else ""
            pending.extend([gap, *reversed(_children(item)), gap])
    return _one_line("".join(parts))


def labelled_row(header: list[str], cells: list[str]) -> str:
    """ "Header: cell" for each non-empty cell, joined with " | "; a cell without a header, or
    under an identical one, stands alone."""
    labels = header + [""] * len(cells)
    pairs = zip(labels, cells, strict=False)
    return " | ".join(f"{h}: {c}" if h and h != c else c for h, c in pairs if c)


def _marker(in_list: _List | None, value: str | None) -> str:
    """ "•" in a <ul>; in an <ol>, the item's number ("3."), counting from ``start`` and
    following an item's own ``value``."""
    if in_list is None or in_list.next_number is None:
        return BULLET
    number = _int(value, in_list.next_number)
    in_list.next_number = number + 1
    return f"{number}."


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def _children(node: LexborNode) -> list[LexborNode]:
    children = []
    child = node.first_child
    while child is not None:
        children.append(child)
        child = child.next
    return children


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
