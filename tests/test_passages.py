"""Passages: sentence-aligned, inside one section, with offsets that slice the original text."""

from __future__ import annotations

from pathlib import Path

from index import PassageOptions, PassageRecord, SentenceRecord, cut_passages, read_document
from index.text import reflow, split_sentences
from tests.conftest import BRIEFING, CORPUS


def _passages():  # type: ignore[no-untyped-def]
    document = read_document(BRIEFING, CORPUS)
    sentences, passages = cut_passages(document, 0, PassageOptions())
    return document, sentences, passages


def test_passage_offsets_slice_the_original_text() -> None:
    _, _, passages = _passages()
    original = BRIEFING.read_text(encoding="utf-8")
    for passage in passages:
        assert reflow(original[passage.start : passage.end]) == passage.text


def test_passages_start_and_end_on_sentence_boundaries() -> None:
    document, sentences, passages = _passages()
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    for passage in passages:
        assert passage.start in starts
        assert passage.end in ends
        assert document.text[passage.end - 1] in ".!?'\""


def test_passages_stay_inside_one_section() -> None:
    document, _, passages = _passages()
    for passage in passages:
        section = document.section_at(passage.start)
        assert section is not None
        assert section.title == passage.section
        assert passage.end <= section.end


def test_every_sentence_is_in_some_passage() -> None:
    _, sentences, passages = _passages()
    covered = {sid for p in passages for sid in p.sentence_ids}
    assert covered == set(range(len(sentences)))


def test_sentence_split_keeps_initials_and_abbreviations_together() -> None:
    text = "Mr. J. Smith met the U.N. envoy on 3 May. He left. It was 95.55% of votes."
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces == [
        "Mr. J. Smith met the U.N. envoy on 3 May.",
        "He left.",
        "It was 95.55% of votes.",
    ]


def test_reflow_joins_hard_wrapped_lines() -> None:
    document, sentences, _ = _passages()
    first = sentences[0]
    assert "\n" in document.text[first.start : first.end]
    assert "\n" not in first.text


def test_passage_text_is_its_sentences_joined_by_spaces() -> None:
    # The answerer computes highlight offsets from this identity.
    _, sentences, passages = _passages()
    for passage in passages:
        assert passage.text == " ".join(sentences[s].text for s in passage.sentence_ids)


MANUAL = """\
Packaging Manual

1. Control files

   Every package has control files that describe it.

  1.1. Fields

   The following fields are required:
    - Package, the name of the binary package
    - Version, the version of the package
    - Architecture, the machines it runs on
    - Maintainer, who looks after it

  1.2. Version

   The version must increase with every upload to the archive.
"""


def _manual(tmp_path: Path) -> tuple[list[SentenceRecord], list[PassageRecord]]:
    path = tmp_path / "manual.txt"
    path.write_text(MANUAL)
    return cut_passages(read_document(path, tmp_path), 0, PassageOptions())


def test_passages_carry_their_heading_path_and_document(tmp_path: Path) -> None:
    _, passages = _manual(tmp_path)
    version = next(p for p in passages if p.section == "1.2. Version")
    assert version.search_text.startswith(
        "1.2. Version \u00b7 1. Control files \u00b7 Packaging Manual. The version must increase"
    )


def test_passages_of_a_list_keep_its_lead_in(tmp_path: Path) -> None:
    sentences, passages = _manual(tmp_path)
    later = next(p for p in passages if p.text.startswith("Version, the version"))
    assert "The following fields are required:" in later.search_text
    assert sentences[later.sentence_ids[0]].kind == "list_item"


def test_passages_sentences_know_their_block_kind(tmp_path: Path) -> None:
    sentences, _ = _manual(tmp_path)
    kinds = {s.text: s.kind for s in sentences}
    assert kinds["Every package has control files that describe it."] == "paragraph"
    assert kinds["Version, the version of the package"] == "list_item"
