"""The document view's structure: the document model's blocks as the page shows them —
headings at their level, lists, tables, code, footnotes, page markers — with the cited passage
and the quoted sentences marked at the index's own offsets (so what is marked is exactly what
was cited, in a PDF as in a text file)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from index import Block, Document

# HTML heading levels: h1 is the page's title, so a document's top-level heading is h2, and
# anything deeper than h6 is shown as h6.
_DEEPEST_HEADING = 6
_SPAN = re.compile(r"^(\d+)-(\d+)$")
_ORDERED = re.compile(r"^\(?(\d+|[a-z]|[ivx]+)[.)]$")


@dataclass
class Run:
    """A piece of a block's text with the way it is marked."""

    text: str
    cited: bool = False
    answer: bool = False
    anchor: str | None = None
    # The page this run starts, where a block runs on from one page to the next: the view
    # marks the break inside the block, so a passage that crosses pages shows where.
    page_break: int | None = None


@dataclass
class ViewBlock:
    """One block of the view: its kind (the model's), text runs, page (where it starts),
    level and marker, and the page it ends on."""

    kind: str
    runs: list[Run] = field(default_factory=list)
    page: int | None = None
    level: int = 0
    number: str = ""
    end_page: int | None = None


@dataclass
class Group:
    """Blocks shown together: a list (its items), a table (its rows), or one block alone."""

    kind: str  # "list", "table" or the block's own kind
    blocks: list[ViewBlock]
    ordered: bool = False

    @property
    def page(self) -> int | None:
        """The page the group starts on."""
        return self.blocks[0].page


def parse_spans(raw: str | None, limit: int) -> list[tuple[int, int]]:
    """The ``hl`` parameter (``a-b,c-d``) as offsets within ``limit``; others are ignored."""
    spans = []
    for part in (raw or "").split(",")[:20]:
        match = _SPAN.match(part.strip())
        if match:
            a, b = int(match.group(1)), int(match.group(2))
            if 0 <= a < b <= limit:
                spans.append((a, b))
    return spans


def document_groups(
    document: Document, cited: tuple[int, int] | None, answer_spans: list[tuple[int, int]]
) -> list[Group]:
    """The document's blocks, marked, grouped into lists and tables."""
    marker = _Marker(document.text, cited, answer_spans, document.page_starts)
    shown = [b for b in document.blocks if not (b.kind == "heading" and b.level <= 1)]
    groups: list[Group] = []
    for block in shown:
        page = block.page or document.page_at(block.start)
        runs = marker.runs(block)
        breaks = [r.page_break for r in runs if r.page_break is not None]
        view = ViewBlock(
            block.kind, runs, page, _level(block), block.number, breaks[-1] if breaks else page
        )
        kind = {"list_item": "list", "table_row": "table"}.get(block.kind, block.kind)
        if kind in ("list", "table") and groups and groups[-1].kind == kind:
            groups[-1].blocks.append(view)
        else:
            ordered = kind == "list" and bool(_ORDERED.match(block.number))
            groups.append(Group(kind, [view], ordered))
    return groups


def _level(block: Block) -> int:
    if block.kind == "heading":
        return min(max(block.level, 2), _DEEPEST_HEADING)
    return block.level


class _Marker:
    """Cuts a block's text where the cited passage and the quoted sentences begin and end,
    and where a new page begins inside it."""

    def __init__(
        self,
        text: str,
        cited: tuple[int, int] | None,
        answer_spans: list[tuple[int, int]],
        page_starts: list[int],
    ) -> None:
        self.text = text
        self.cited = cited
        self.answer_spans = answer_spans
        self.anchored = False
        # Page n (1-based) begins at page_starts[n - 1]; the first page needs no break.
        self.breaks = {offset: n for n, offset in enumerate(page_starts, start=1) if n > 1}

    def runs(self, block: Block) -> list[Run]:
        a, b = block.start, block.end
        cuts = {a, b}
        for x, y in ([self.cited] if self.cited else []) + self.answer_spans:
            cuts.update(p for p in (x, y) if a < p < b)
        inside = {p: n for p, n in self.breaks.items() if a < p < b}
        cuts.update(inside)
        runs = []
        for x, y in itertools.pairwise(sorted(cuts)):
            in_cited = bool(self.cited and self.cited[0] <= x < self.cited[1])
            in_answer = any(s <= x < e for s, e in self.answer_spans)
            anchor = None
            if in_cited and not self.anchored:
                anchor, self.anchored = "cited", True
            piece = self.text[x:y]
            # Hard-wrapped lines of a text file read as one paragraph; code keeps its lines.
            shown = piece if block.kind == "code" else piece.replace("\n", " ")
            runs.append(Run(shown, in_cited, in_answer, anchor, inside.get(x)))
        return runs
