"""Answering across languages (issue #32): the route a question takes, the English route left
exactly as it was, the refusal while the second phase is being made, answers quoted in the
document's language."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import Embedder, build_index, load_index
from index.encoder.multilingual import MultilingualEncoder
from index.store.latent import question_terms
from index.store.multilingual import load_multilingual
from index.store.multilingual_search import search_multilingual
from service.answering import Answer, Answerer, DecisionModel
from service.answering.crosslingual import (
    OTHER_SCRIPT,
    SAME_LANGUAGE,
    SAME_SCRIPT,
    Crosslingual,
    CrosslingualModel,
    quoted_beside,
    threshold_of,
)
from service.answering.crosslingual_candidates import FEATURES, gather_cross_candidates
from service.answering.tunables import SECOND_SENTENCE_MARGIN
from service.cli.evaluation import load_cases
from tests.conftest import BRIEFING, DEV_SET


@pytest.fixture(scope="module")
def crosslingual(multilingual_encoder: MultilingualEncoder) -> Crosslingual:
    return Crosslingual(multilingual_encoder, CrosslingualModel())


@pytest.fixture(scope="module")
def decision() -> DecisionModel:
    return DecisionModel()


def _answerers(
    index_dir: Path, embedder: Embedder, decision: DecisionModel, crosslingual: Crosslingual
) -> tuple[Answerer, Answerer]:
    index = load_index(index_dir)
    plain = Answerer(embedder, lambda: index, decision, cache_size=0)
    routed = Answerer(embedder, lambda: index, decision, cache_size=0, crosslingual=crosslingual)
    return plain, routed


def _briefing_id(index_dir: Path) -> str:
    index = load_index(index_dir)
    return next(k for k, d in index.documents.items() if Path(d.path).name == BRIEFING.name)


def _as_before(answer: Answer) -> dict[str, object]:
    """An answer without what issue #32 added (languages) and the time it took."""
    row = dataclasses.asdict(answer)
    for key in ("took_ms", "language"):
        row.pop(key)
    for citation in row["citations"]:
        citation.pop("language")
    return row


def test_english_route_is_unchanged_on_the_dev_set(
    multilingual_world: Path,
    embedder: Embedder,
    decision: DecisionModel,
    crosslingual: Crosslingual,
) -> None:
    index_dir = multilingual_world / "index"
    plain, routed = _answerers(index_dir, embedder, decision, crosslingual)
    assert crosslingual.second(load_index(index_dir)) is not None  # the route is open
    english = [_briefing_id(index_dir)]
    cases = [c for c in load_cases(DEV_SET) if not c.history_questions]
    for case in cases:
        before = plain.ask(case.question, corpus=english)
        after = routed.ask(case.question, corpus=english)
        assert after.language == "en"
        assert _as_before(after) == _as_before(before), case.question
    assert len(cases) > 40


def test_german_question_is_answered_from_the_english_briefing(
    multilingual_world: Path,
    embedder: Embedder,
    decision: DecisionModel,
    crosslingual: Crosslingual,
) -> None:
    _, routed = _answerers(multilingual_world / "index", embedder, decision, crosslingual)
    english = [_briefing_id(multilingual_world / "index")]
    answer = routed.ask(
        "Wie viel Prozent der Stimmen erhielt Präsident Nasarbajew 2011?", corpus=english
    )
    assert answer.answered and "95.55%" in answer.answer  # quoted in English, verbatim
    assert answer.language == "de"
    assert answer.citations[0].language == "en"


def test_chinese_document_is_answered_in_chinese(
    multilingual_world: Path,
    embedder: Embedder,
    decision: DecisionModel,
    crosslingual: Crosslingual,
) -> None:
    _, routed = _answerers(multilingual_world / "index", embedder, decision, crosslingual)
    answer = routed.ask("地铁是哪一年开通的")
    assert answer.answered and "2008" in answer.answer
    assert answer.language == "zh" and answer.citations[0].language == "zh"


def test_language_given_overrides_detection(
    multilingual_world: Path,
    embedder: Embedder,
    decision: DecisionModel,
    crosslingual: Crosslingual,
) -> None:
    _, routed = _answerers(multilingual_world / "index", embedder, decision, crosslingual)
    assert routed.ask("Nazarbayev", language="de").language == "de"


def test_question_in_another_language_waits_for_the_second_phase(
    tmp_path: Path, embedder: Embedder, decision: DecisionModel, crosslingual: Crosslingual
) -> None:
    shutil.copytree(BRIEFING.parent, tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder)
    plain, routed = _answerers(tmp_path / "index", embedder, decision, crosslingual)
    waiting = routed.ask("Wer regiert Kasachstan seit 1991?")
    assert not waiting.answered
    assert waiting.refusal is not None and waiting.refusal.code == "multilingual_not_ready"
    assert "still being prepared" in waiting.answer  # never "does not answer this"
    english = "Who has dominated Kazakhstan's politics since 1991?"
    assert _as_before(routed.ask(english)) == _as_before(plain.ask(english))


def test_without_the_setting_every_question_takes_the_english_route(
    multilingual_world: Path, embedder: Embedder, decision: DecisionModel
) -> None:
    index = load_index(multilingual_world / "index")
    off = Answerer(embedder, lambda: index, decision, cache_size=0)
    answer = off.ask("Wer regiert Kasachstan seit 1991?")
    assert answer.refusal is None or answer.refusal.code != "multilingual_not_ready"
    assert answer.language == "de"


def test_close_runners_up_are_quoted_beside_the_best_when_they_fit() -> None:
    """As the English route does: up to two runners-up the model rates within
    SECOND_SENTENCE_MARGIN of the best join it when they fit MAX_ANSWER_CHARS with it; a
    distant or too long one does not."""
    probabilities = np.array([0.6, 0.9, 0.7, 0.1])
    order = np.argsort(-probabilities, kind="stable")  # 1, 2, 0, 3
    assert quoted_beside(probabilities, order, [60, 120, 90, 40]) == [2, 0]
    # The closest is too long to fit beside the best: the next close one that fits.
    assert quoted_beside(probabilities, order, [100, 120, 200, 40]) == [0]
    # The room left after the second decides the third.
    assert quoted_beside(probabilities, order, [100, 120, 90, 40]) == [2]
    # Nothing within the margin: the best alone.
    far = np.array([0.05, 0.9, 0.9 - SECOND_SENTENCE_MARGIN - 0.01, 0.1])
    assert quoted_beside(far, np.argsort(-far, kind="stable"), [100, 120, 90, 40]) == []
    assert quoted_beside(np.array([0.8]), np.array([0]), [50]) == []


def test_the_threshold_is_the_pairs_then_its_kinds_then_the_general_one() -> None:
    """Across scripts the model is less sure than within one: English questions over Chinese
    documents get their own operating point, and a pair never trained on that of the trained
    pairs of its kind — one language, one script, or two scripts."""
    thresholds = {"en>zh": 0.02, "en>en": 0.2, "*": 0.05}
    assert threshold_of(thresholds, "en", "zh") == 0.02
    assert threshold_of(thresholds, "en", "en") == 0.2
    assert threshold_of(thresholds, "fr", "en") == 0.05
    kinds = thresholds | {SAME_LANGUAGE: 0.15, SAME_SCRIPT: 0.09, OTHER_SCRIPT: 0.03}
    assert threshold_of(kinds, "ru", "ru") == 0.15
    assert threshold_of(kinds, "fr", "en") == 0.09  # both Latin
    assert threshold_of(kinds, "en", "ru") == 0.03  # Latin and Cyrillic
    assert threshold_of(kinds, "ar", "fa") == 0.09  # two languages of the Arabic script
    assert threshold_of(kinds, "en", "zh") == 0.02  # a trained pair keeps its own
    shipped = CrosslingualModel()
    assert any(">" in key for key in shipped.thresholds)
    # A kept-aside language finds the threshold of its kind.
    assert {SAME_LANGUAGE, SAME_SCRIPT, OTHER_SCRIPT} <= set(shipped.thresholds)
    for key in shipped.thresholds:
        language = key.split(">")[0]
        if ">" in key:
            assert shipped.threshold(language, key.split(">")[1]) == shipped.thresholds[key]


@pytest.mark.parametrize(
    ("question", "language", "found"),
    [
        ("¿Cuántos habitantes tiene Hohenfels?", "es", 1.0),  # the German document names it
        ("¿Cuántos habitantes tiene Tannenberg?", "es", 0.0),  # nothing read names it
        ("¿cuántos habitantes tiene el pueblo?", "es", -1.0),  # it names nothing
        ("Hohenfels有多少居民\uff1f", "zh", 1.0),  # a Latin name inside Chinese
        ("Tannenberg有多少居民\uff1f", "zh", 0.0),
        ("这个村有多少居民\uff1f", "zh", -1.0),  # Chinese has no capitals to tell names by
    ],
)
def test_names_the_question_asks_are_looked_for_in_what_was_read(
    multilingual_world: Path,
    multilingual_encoder: MultilingualEncoder,
    question: str,
    language: str,
    found: float,
) -> None:
    """A name is written alike in languages of one script: one that nothing read holds says
    the documents are about something else (a cross-lingual question has few other words to
    tell it)."""
    index = load_index(multilingual_world / "index")
    second = load_multilingual(index.path)
    assert second is not None
    vector = multilingual_encoder.encode_queries([question])[0]
    terms = question_terms(multilingual_encoder, question)
    hits = search_multilingual(index, second, question, language, vector, terms, 10)
    candidates = gather_cross_candidates(index, second, hits, vector, terms, question, language)
    assert candidates is not None
    column = candidates.features[:, FEATURES.index("names_in_read")]
    assert set(column) == {found}
    in_passage = candidates.features[:, FEATURES.index("names_in_passage")]
    assert (in_passage <= max(found, 0.0)).all() and (found != 1.0 or in_passage.max() == 1.0)
