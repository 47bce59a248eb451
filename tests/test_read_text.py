"""Plain text read into blocks over the file's own text: numbered, underlined and all-capitals
headings, hard-wrapped paragraphs, list items, rule lines, tables of contents."""

from __future__ import annotations

from index.formats.plain_text import read_text
from index.model import HEADING, LIST_ITEM, PARAGRAPH, ParsedDocument
from index.sections import sections_from_blocks

CLAUSES = """\
Service Agreement

   This agreement is made between the parties named below. It sets out
   the terms on which the services are provided.

1. Definitions

   In this agreement "Services" means the maintenance work described in
   the schedule, and "Fees" means the amounts payable for them.

2. Term and termination

  2.1. Duration
   The agreement runs for two years from the date of signature.

  2.2. Termination
   Either party may end it with three months' written notice.
   Notice must be given in writing
   to the registered address.

Payment terms
-------------

   Invoices are payable within thirty days. Late payment carries
   interest at two percent a month.

   The following may be invoiced separately:
    - travel outside the city
    - work on public holidays

ANNEX ON DISPUTES

   Disputes go to the arbitration board of the chamber of commerce.
"""


def _blocks(parsed: ParsedDocument, kind: str) -> list[str]:
    return [" ".join(parsed.text[b.start : b.end].split()) for b in parsed.blocks if b.kind == kind]


def test_text_keeps_the_file_byte_for_byte() -> None:
    assert read_text(CLAUSES).text == CLAUSES


def test_text_numbered_underlined_and_capital_headings() -> None:
    headings = _blocks(read_text(CLAUSES), HEADING)
    assert headings == [
        "Service Agreement",
        "1. Definitions",
        "2. Term and termination",
        "2.1. Duration",
        "2.2. Termination",
        "Payment terms",
        "ANNEX ON DISPUTES",
    ]


def test_text_heading_levels_follow_numbers() -> None:
    parsed = read_text(CLAUSES)
    levels = {
        parsed.text[b.start : b.end].strip(): b.level for b in parsed.blocks if b.kind == HEADING
    }
    assert levels["Service Agreement"] == 1
    assert levels["1. Definitions"] == 2 and levels["2.2. Termination"] == 3


def test_text_numbered_heading_does_not_run_into_the_next_sentence() -> None:
    parsed = read_text(CLAUSES)
    duration = next(
        s for s in sections_from_blocks(parsed.text, parsed.blocks) if s.title == "2.1. Duration"
    )
    assert duration.number == "2.1"
    body = parsed.text[duration.start : duration.end]
    assert body.strip().startswith("The agreement runs for two years")


def test_text_wrapped_lines_are_one_paragraph_not_headings() -> None:
    paragraphs = _blocks(read_text(CLAUSES), PARAGRAPH)
    assert (
        "Either party may end it with three months' written notice. Notice must be given in "
        "writing to the registered address." in paragraphs
    )


def test_text_rule_lines_are_dropped() -> None:
    parsed = read_text(CLAUSES)
    assert not any("----" in parsed.text[b.start : b.end] for b in parsed.blocks)


def test_text_list_items_are_blocks_with_their_marker() -> None:
    parsed = read_text(CLAUSES)
    items = [b for b in parsed.blocks if b.kind == LIST_ITEM]
    assert [parsed.text[b.start : b.end] for b in items] == [
        "travel outside the city",
        "work on public holidays",
    ]
    assert {b.number for b in items} == {"-"}


def test_text_table_of_contents_entries_are_not_sections() -> None:
    text = (
        "Guide to the Port\n\n   Table of Contents\n\n   1. Access\n\n   2. Fees\n\n"
        "1. Access\n\n   Gates open at six in the morning and close at ten at night.\n\n"
        "2. Fees\n\n   Berthing costs twelve euros a metre a day.\n"
    )
    parsed = read_text(text)
    titles = [s.title for s in sections_from_blocks(parsed.text, parsed.blocks)]
    assert titles.count("1. Access") == 1 and titles.count("2. Fees") == 1
