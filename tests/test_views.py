"""An index seen from some of its documents (issue #31): a view of documents D of an index
that holds more answers every search and every statistic exactly as an index built from D
alone does — BM25, dense search, document and name frequencies, respelling, initialisms,
acronyms, sections — and each document's acronyms expand only its own text."""

from __future__ import annotations

from pathlib import Path

import bm25s
import faiss
import numpy as np
import pytest

from index import Embedder, LoadedIndex, build_index, load_index, search
from index.store.dense import exact_scores, nearest, top_ids
from index.store.terms import bm25_tokens

HARBOUR = """# Harbour tariffs of Varnholt

## Tariffs

The Harbour Safety Board (HSB) sets the Varnholt harbour tariff every spring. The HSB raised
the tariff by four percent in 2021 after the storm season. Fishing boats pay half the tariff.

## Inspections

Inspectors of the HSB board each ferry twice a year. The Varnholt ferry failed one inspection.
"""
SHEEP = """# Sheep of Quellmark

## Flocks

The Highland Sheep Breeders (HSB) count the Quellmark flocks every spring. The breeders pay a
grazing tariff to the valley council. Storm season kills many lambs in Quellmark.

## Wool

Quellmark wool is sold at the harbour market in autumn. The HSB sets the wool price.
"""
QUERIES = [
    "What does the HSB set every spring?",
    "harbour tariff",
    "storm season lambs",
    "Who inspects the ferry?",
    "wool price Quellmark",
]


def _index(root: Path, embedder: Embedder, files: dict[str, str]) -> LoadedIndex:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", embedder)
    return load_index(root / "index")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> LoadedIndex:
    files = {"harbour.md": HARBOUR, "sheep.md": SHEEP}
    return _index(tmp_path_factory.mktemp("both"), embedder, files)


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> LoadedIndex:
    return _index(tmp_path_factory.mktemp("alone"), embedder, {"harbour.md": HARBOUR})


@pytest.fixture(scope="module")
def view(both: LoadedIndex) -> LoadedIndex:
    return both.within(["harbour"])


def _where(index: LoadedIndex, passage_id: int) -> tuple[str, int, int]:
    passage = index.passages[passage_id]
    return passage.document_id, passage.start, passage.end


def _by_place(index: LoadedIndex, scores: np.ndarray) -> dict[tuple[str, int, int], float]:
    return {_where(index, p): float(scores[p]) for p in range(len(index.passages))}


def test_views_are_kept_per_set_of_documents(both: LoadedIndex, view: LoadedIndex) -> None:
    assert both.within(["harbour"]) is view
    assert both.within(None) is both
    assert both.within(["harbour", "sheep"]) is both
    assert view.within(None) is both
    assert set(view.documents) == {"harbour"}
    assert view.passage_count < both.passage_count == len(both.passages)


def test_view_scores_bm25_as_an_index_of_its_documents_alone(
    view: LoadedIndex, alone: LoadedIndex
) -> None:
    for query in QUERIES:
        scores = _by_place(view, view.bm25_scores(query))
        seen = {k: v for k, v in scores.items() if k[0] == "harbour"}
        assert seen == _by_place(alone, alone.bm25_scores(query)), query
        assert all(v == 0 for k, v in scores.items() if k[0] != "harbour")


def test_view_word_and_name_statistics_are_its_documents(
    both: LoadedIndex, view: LoadedIndex, alone: LoadedIndex
) -> None:
    for term in ["spring", "tariff", "storm", "quellmark", "breeders", "harbour"]:
        assert view.document_frequency(term) == alone.document_frequency(term), term
    assert both.document_frequency("quellmark") > 0 == view.document_frequency("quellmark")
    for token in ["varnholt", "quellmark", "harbour", "sheep"]:
        assert view.name_frequency(token) == alone.name_frequency(token), token
    assert view.passage_count == alone.passage_count
    # A misspelled name is respelled only into a name of the documents seen.
    assert both.respell_names("Quelmark wool") == "Quellmark wool"
    assert view.respell_names("Quelmark wool") == alone.respell_names("Quelmark wool")
    assert view.respell_names("Quelmark wool") == "Quelmark wool"
    assert view.name_aliases("highland") == alone.name_aliases("highland") == set()
    assert both.name_aliases("highland")
    assert view.structure.sections == alone.structure.sections


def test_each_documents_acronyms_expand_only_its_own_text(
    both: LoadedIndex, view: LoadedIndex, alone: LoadedIndex
) -> None:
    assert both.document_acronyms["harbour"]["HSB"] == "Harbour Safety Board"
    assert both.document_acronyms["sheep"]["HSB"] == "Highland Sheep Breeders"
    assert view.acronyms == alone.acronyms == {"HSB": "Harbour Safety Board"}
    sheep = next(s for s, x in enumerate(both.sentences) if "wool price" in x.text)
    harbour = next(s for s, x in enumerate(both.sentences) if "ferry twice" in x.text)
    assert "breeder" in " ".join(both.sentence_stems(sheep))
    assert "harbour" in " ".join(both.sentence_stems(harbour))
    assert "breeder" not in " ".join(both.sentence_stems(harbour))


def test_view_searches_as_an_index_of_its_documents_alone(
    view: LoadedIndex, alone: LoadedIndex, embedder: Embedder
) -> None:
    for query in QUERIES:
        vector = embedder.encode([query])[0]
        scores, ids = view.dense_search(vector, 5)
        expected_scores, expected_ids = alone.dense_search(vector, 5)
        assert [_where(view, int(i)) for i in ids] == [_where(alone, int(i)) for i in expected_ids]
        assert scores.tolist() == expected_scores.tolist()
        hits = search(view, query, vector, k=5)
        expected = search(alone, query, vector, k=5)
        assert [(_where(view, h.passage_id), h.score, h.bm25) for h in hits] == [
            (_where(alone, h.passage_id), h.score, h.bm25) for h in expected
        ], query


def test_a_view_of_no_document_finds_nothing(both: LoadedIndex, embedder: Embedder) -> None:
    empty = both.within([])
    assert empty.passage_count == 0 and not empty.documents
    vector = embedder.encode(["harbour tariff"])[0]
    assert search(empty, "harbour tariff", vector) == []
    assert empty.document_frequency("tariff") == 0


def test_bm25_of_the_whole_index_is_bm25s_lucene(both: LoadedIndex) -> None:
    # The passages rebuilt from the counts (each term as often as counted: all BM25 reads).
    documents: list[list[str]] = [[] for _ in both.passages]
    for term, column in both.terms.vocabulary.items():
        start, end = both.terms.indptr[column], both.terms.indptr[column + 1]
        held = zip(both.terms.passages[start:end], both.terms.counts[start:end], strict=True)
        for passage, count in held:
            documents[int(passage)] += [term] * int(count)
    retriever = bm25s.BM25()
    retriever.index(documents, show_progress=False)
    for query in QUERIES:
        known = [t for t in bm25_tokens(query) if t in both.terms.vocabulary]
        expected = retriever.get_scores(known)
        assert np.allclose(both.bm25_scores(query), expected, rtol=1e-5, atol=1e-6), query


def test_top_ids_breaks_ties_by_id_wherever_they_sit() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 20, 5_000).astype(np.float32)  # many ties
    for n in (1, 7, 40, 400):
        assert top_ids(scores, n).tolist() == np.argsort(-scores, kind="stable")[:n].tolist()


def test_exact_scores_of_a_row_do_not_depend_on_the_other_rows() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((3_001, 384)).astype(np.float32)
    query = rng.standard_normal(384).astype(np.float32)
    full = exact_scores(vectors, None, query)
    few = np.sort(rng.choice(3_001, 300, replace=False))
    many = np.sort(rng.choice(3_001, 2_900, replace=False))
    assert (exact_scores(vectors, few, query) == full[few]).all()
    assert (exact_scores(vectors, many, query) == full[many]).all()
    assert (exact_scores(np.ascontiguousarray(vectors[5:]), None, query) == full[5:]).all()


def test_hnsw_search_of_some_passages_returns_only_them() -> None:
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((4_000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    graph = faiss.IndexHNSWFlat(64, 32, faiss.METRIC_INNER_PRODUCT)
    graph.add(vectors)
    rows = np.sort(rng.choice(4_000, 1_500, replace=False))
    found = 0
    for query in vectors[:20]:
        _, ids = nearest(vectors, graph, query, 10, rows, exact_up_to=100)  # the graph's way
        assert set(ids.tolist()) <= set(rows.tolist())
        _, exact = nearest(vectors, None, query, 10, rows)
        found += len(set(ids.tolist()) & set(exact.tolist()))
    assert found >= 0.9 * 200  # the walk still finds the nearest of them
