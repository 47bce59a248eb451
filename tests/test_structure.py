"""Where things are: section numbers asked in questions, matched to the corpus's sections."""

from __future__ import annotations

from pathlib import Path

from index import PassageOptions, cut_passages, read_document
from index.structure import Structure, number_match
from index.text import stems
from tests.test_passages import MANUAL


def _structure(tmp_path: Path) -> Structure:
    path = tmp_path / "manual.txt"
    path.write_text(MANUAL)
    document = read_document(path, tmp_path)
    _, passages = cut_passages(document, 0, PassageOptions())
    return Structure.of({document.id: document}, passages)


def test_structure_finds_a_named_section_number(tmp_path: Path) -> None:
    structure = _structure(tmp_path)
    assert structure.asked_numbers("What does section 1.2 say?") == ["1.2"]
    assert structure.asked_numbers("Which fields does § 1.1 require?") == ["1.1"]
    assert structure.sections_numbered(["1.2"]) == [("manual", "1.2. Version")]


def test_structure_ignores_numbers_the_corpus_has_no_section_for(tmp_path: Path) -> None:
    structure = _structure(tmp_path)
    assert structure.asked_numbers("What changed in version 4.6.1?") == []
    assert structure.asked_numbers("Does section 9 exist?") == []


def test_structure_bare_dotted_number_counts_when_it_is_a_section(tmp_path: Path) -> None:
    assert _structure(tmp_path).asked_numbers("And what does 1.1 require?") == ["1.1"]


def test_structure_heading_words_include_the_path(tmp_path: Path) -> None:
    structure = _structure(tmp_path)
    words = structure.heading_stems[("manual", "1.2. Version")]
    assert set(stems("version control files")) <= words  # its own title and its chapter's


def test_number_match_exact_within_and_other() -> None:
    assert number_match("5.6", ["5.6"]) == 1.0
    assert number_match("5.6.12", ["5.6"]) == 0.5
    assert number_match("5.7", ["5.6"]) == 0.0
    assert number_match("", ["5.6"]) == 0.0
