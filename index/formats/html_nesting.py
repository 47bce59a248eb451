"""Refuses, before parsing, an HTML page nested so deeply that parsing it would take too long.

An HTML5 parser looks up its stack of open elements for scopes at many tags, so its work grows
with the depth of nesting at each tag: lexbor (selectolax 1.0) takes over two minutes for
200,000 nested ``<div>``s, and about 20 seconds for 50,000 ``<span>``s followed by 50,000
``<div>``s, while the page is only a megabyte. The guard estimates that work from the tags
alone, in one pass over the text, before the parser starts.
"""

from __future__ import annotations

import re

# The sum, over the tags, of the number of elements open at each: the parser's work. Lexbor
# runs about 10 ns a step, so 200 million is one or two seconds; a 10 MB page of ordinary
# depth (1 million tags, 30 deep) is 30 million.
MAX_NESTING_WORK = 200_000_000
_TAG = re.compile(r"<(/?)([a-z][a-z0-9:-]*)")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Elements whose end tag may be left out: a new one closes the open one, so they do not nest
# (a <p> never holds a <p>), and an unclosed one must not count as open for ever.
_OPTIONAL_END = frozenset(
    "p li dt dd tr td th option optgroup thead tbody tfoot colgroup caption rt rp html head "
    "body".split()
)
# Their content is text, not tags (a script may hold "<div>" in a string).
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp"})
_FOREIGN = frozenset({"svg", "math"})
# Start tags that end <svg> or <math> content: the parser closes the foreign elements first.
_BREAKOUT = frozenset(
    "h1 h2 h3 h4 h5 h6 b big blockquote body br center code dd div dl dt em embed head hr i "
    "img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt "
    "u ul var".split()
)


def refuse_deep_nesting(source: str) -> None:
    """Raise ValueError when parsing ``source`` would take too long.

    The depth of open elements is counted from the tags alone: an end tag closes an open
    element of its name (a stray one closes nothing); "/>" closes an element only inside
    <svg> or <math>, as in HTML. An estimate for the nesting of ordinary elements, not a proof
    against every pathological page (HTML inside an SVG <foreignObject> is not followed).
    """
    lowered = source.lower()
    open_by_name: dict[str, int] = {}
    depth = deepest = work = foreign = position = tag_end = 0
    while (match := _TAG.search(lowered, position)) is not None:
        position = match.end()
        closing, name = match.group(1), match.group(2)
        work += depth
        if work > MAX_NESTING_WORK:
            raise ValueError(
                f"HTML nested too deeply to read safely (over {deepest:,} elements inside "
                "one another)"
            )
        if name in _VOID or name in _OPTIONAL_END:
            continue
        if closing:
            if open_by_name.get(name):
                open_by_name[name] -= 1
                depth -= 1
                if name in _FOREIGN and foreign:
                    foreign -= 1
            continue
        if name in _RAW_TEXT:
            end = lowered.find(f"</{name}", position)
            position = len(source) if end < 0 else end
            continue
        if name in _BREAKOUT:
            foreign = 0
        if foreign:
            if tag_end < position:  # the ">" ending this tag, looked up once for many tags
                tag_end = lowered.find(">", position)
                tag_end = len(source) if tag_end < 0 else tag_end
            if lowered[tag_end - 1] == "/":
                continue
        if name in _FOREIGN:
            foreign += 1
        open_by_name[name] = open_by_name.get(name, 0) + 1
        depth += 1
        deepest = max(deepest, depth)
