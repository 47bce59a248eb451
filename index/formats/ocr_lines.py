"""OCR'd text lines put in order: fragments of one printed row merged left to right (parts
a gutter apart stay apart, for the layout to see columns), rows top to bottom, and lines
grouped into paragraphs by their vertical gaps with words hyphenated across lines rejoined."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

import numpy as np

# Reading order: two fragments are on one text row when their vertical centres are closer
# than ROW_TOLERANCE of the row's height, and a row's fragments are merged into one line when
# the horizontal gap between them is at most ROW_MERGE_GAP line (box) heights. The detector
# split a 12 pt line at gaps of 16 pt and more (boxes 0.8-1.3 line heights apart), never at
# word spaces; merging up to 1.5 rejoins a label and its value set a tab apart, while a gutter
# of two columns (Word's default 0.5 in: ~2.5 line heights) or a wide table gap stays apart,
# as separate lines left to right, for a layout step to see.
ROW_TOLERANCE = 0.5
ROW_MERGE_GAP = 1.5

# Paragraphs: a line starts a new paragraph when its distance to the previous line (centre to
# centre) is more than PARAGRAPH_GAP times the usual line pitch. Body text has a pitch of
# 1.15-1.3 font sizes, and the extra space between paragraphs in policy documents is half a
# line or more, which makes the ratio 1.4 or more.
PARAGRAPH_GAP = 1.35


@dataclass(frozen=True)
class OcrLine:
    """One line of recognised text.

    Attributes:
        text: the text, NFKC-normalised (full-width punctuation the Chinese-trained model can
            emit becomes ASCII).
        x0, y0, x1, y1: its box as fractions of the page's width and height, (0, 0) the
            page's top-left corner, y growing downward.
        score: the recogniser's confidence, 0..1 (for a merged line, the mean over its
            characters).
    """

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def y_centre(self) -> float:
        return (self.y0 + self.y1) / 2


# --- reading order -----------------------------------------------------------------------


def reading_order(fragments: list[OcrLine]) -> list[OcrLine]:
    """Rows top to bottom, fragments in a row left to right, close fragments merged."""
    lines: list[OcrLine] = []
    for row in _rows(fragments):
        lines.extend(_merge_row(sorted(row, key=lambda f: f.x0)))
    return lines


def _rows(fragments: list[OcrLine]) -> list[list[OcrLine]]:
    """Fragments grouped into text rows by their vertical centres."""
    rows: list[list[OcrLine]] = []
    for fragment in sorted(fragments, key=lambda f: f.y_centre):
        if rows:
            row = rows[-1]
            row_centre = median(f.y_centre for f in row)
            row_height = median(f.height for f in row)
            tolerance = ROW_TOLERANCE * min(row_height, fragment.height)
            if abs(fragment.y_centre - row_centre) <= tolerance:
                row.append(fragment)
                continue
        rows.append([fragment])
    return rows


def _merge_row(row: list[OcrLine]) -> list[OcrLine]:
    """Join a row's left-to-right fragments that are closer than ROW_MERGE_GAP line heights."""
    merged = [row[0]]
    for fragment in row[1:]:
        last = merged[-1]
        gap = fragment.x0 - last.x1
        if gap <= ROW_MERGE_GAP * max(last.height, fragment.height):
            merged[-1] = _join(last, fragment)
        else:
            merged.append(fragment)
    return merged


def _join(left: OcrLine, right: OcrLine) -> OcrLine:
    chars = len(left.text) + len(right.text)
    return OcrLine(
        text=f"{left.text} {right.text}",
        x0=min(left.x0, right.x0),
        y0=min(left.y0, right.y0),
        x1=max(left.x1, right.x1),
        y1=max(left.y1, right.y1),
        score=(left.score * len(left.text) + right.score * len(right.text)) / max(1, chars),
    )


# --- paragraphs --------------------------------------------------------------------------


def lines_to_paragraphs(lines: list[OcrLine]) -> list[str]:
    """Group ``lines`` (in reading order) into paragraph texts by the gaps between them.

    A line starts a new paragraph when it is further below the previous line than
    PARAGRAPH_GAP times the usual line pitch, or when it is above it (a new column). A word
    hyphenated at a line end is rejoined ("infor-" + "mation" -> "information"; before a
    capital or a digit the hyphen stays: "Anglo-" + "French" -> "Anglo-French"); other lines
    are joined with a space.
    """
    if not lines:
        return []
    pitch = _usual_pitch(lines)
    paragraphs: list[list[str]] = [[lines[0].text]]
    for previous, line in pairwise(lines):
        step = line.y_centre - previous.y_centre
        if step < -ROW_TOLERANCE * previous.height or step > PARAGRAPH_GAP * pitch:
            paragraphs.append([line.text])
        else:
            paragraphs[-1].append(line.text)
    return [_join_lines(texts) for texts in paragraphs]


def _usual_pitch(lines: list[OcrLine]) -> float:
    """The usual distance between the centres of consecutive rows."""
    steps = [
        b.y_centre - a.y_centre
        for a, b in pairwise(lines)
        if b.y_centre - a.y_centre > ROW_TOLERANCE * a.height  # a next row, not the same one
    ]
    if not steps:
        return float("inf")
    # The lower quartile, not the median: on a page of short paragraphs, half the steps can be
    # paragraph gaps, while the usual pitch is the common small one.
    return float(np.percentile(steps, 25))


_HYPHENATED = re.compile(r"[^\W\d_]-$")


def _join_lines(texts: list[str]) -> str:
    out = texts[0]
    for text in texts[1:]:
        if not _HYPHENATED.search(out):
            out = f"{out} {text}"
        elif text[:1].islower():
            out = out[:-1] + text  # "infor-" + "mation": a word broken across lines
        else:
            out = out + text  # "Anglo-" + "French", "mid-" + "2020": the hyphen is the word's
    return out
