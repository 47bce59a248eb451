"""Reading documents: titles, section detection, offsets into the original text."""

from __future__ import annotations

from pathlib import Path

from index import document_id, load_corpus, read_document
from tests.conftest import BRIEFING, CORPUS


def test_briefing_title_comes_from_first_line() -> None:
    document = read_document(BRIEFING, CORPUS)
    assert document.title == "Kazakhstan: human rights situation"


def test_briefing_headings_become_sections() -> None:
    document = read_document(BRIEFING, CORPUS)
    titles = [s.title for s in document.sections]
    for heading in (
        "Current situation",
        "Prevention of torture and ill-treatment of detainees",
        "Violence in Zhanaozen",
        "Press freedom",
        "Women's rights",
        "Regulatory framework for civil society organisations",
        "Freedom of religion",
        "UN human rights instruments",
        "Kazakhstan and the EU",
    ):
        assert heading in titles
    # Body lines that merely wrap are not headings.
    assert not any(t.startswith(("161 of", "Dialogues", "continues")) for t in titles)


def test_briefing_text_is_the_file_byte_for_byte() -> None:
    document = read_document(BRIEFING, CORPUS)
    assert document.text.encode("utf-8") == BRIEFING.read_bytes()


def test_section_offsets_point_at_their_headings() -> None:
    document = read_document(BRIEFING, CORPUS)
    for section in document.sections:
        if section.heading_start is not None:
            heading = document.text[section.heading_start : section.heading_end]
            assert heading.strip() == section.title


def test_document_id_is_derived_from_path() -> None:
    assert document_id("briefings/EU Kazakhstan 2014.pdf") == "briefings-eu-kazakhstan-2014"


def test_unreadable_file_is_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A title\nSome body text that is long enough.\n")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "empty.txt").write_text("   \n")
    documents, errors = load_corpus(tmp_path)
    assert [d.id for d in documents] == ["good"]
    assert any(e.startswith("broken.pdf") for e in errors)
    assert any(e.startswith("empty.txt") for e in errors)
