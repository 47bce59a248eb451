"""Which sentences an earlier answer quoted, when the quote is whole and when it was cut
("head … tail"): the follow-up features and the section focus start from them."""

from __future__ import annotations

from service.answering.conversation import Turn, quoted_sentence_ids
from service.answering.excerpts import ELLIPSIS
from service.state import AppState


def _long_sentence(app_state: AppState) -> tuple[int, str]:
    index = app_state.holder.current()
    sid = max(range(len(index.sentences)), key=lambda i: len(index.sentences[i].text))
    return sid, index.sentences[sid].text


def test_sentences_containing_finds_a_piece_from_the_middle(app_state: AppState) -> None:
    index = app_state.holder.current()
    sid, text = _long_sentence(app_state)
    middle = text[len(text) // 3 : len(text) // 3 + 40]
    assert sid in index.sentences_containing(middle)
    assert all(middle in index.sentences[i].text for i in index.sentences_containing(middle))


def test_sentences_containing_never_matches_across_two_sentences(app_state: AppState) -> None:
    index = app_state.holder.current()
    first, second = index.sentences[0].text, index.sentences[1].text
    straddling = first[-15:] + " " + second[:15]
    assert index.sentences_containing(straddling) == set()
    assert index.sentences_containing("") == set()


def test_a_quote_cut_with_an_ellipsis_is_traced_to_its_sentence(app_state: AppState) -> None:
    index = app_state.holder.current()
    sid, text = _long_sentence(app_state)
    excerpt = f"{text[:30]} {ELLIPSIS} {text[-60:]} [1]"
    history = [Turn("an earlier question", excerpt)]
    assert sid in quoted_sentence_ids(index, history)
    whole = [Turn("an earlier question", f"{text} [1]")]
    assert quoted_sentence_ids(index, whole) == {sid}
