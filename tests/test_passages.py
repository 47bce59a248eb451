"""Passages: sentence-aligned, inside one section, with offsets that slice the original text."""

from __future__ import annotations

from index import PassageOptions, cut_passages, read_document
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
