"""Taking a question's language out of its multilingual-e5 vector (issue #32, measured, not
shipped): e5 places a question near its own language, and across languages that part of the
vector ranks passages by how much they resemble a question in it. Subtracting the mean vector
of the question's language (Libovický et al., 2020) leaves what is asked. This script measures
it on XQuAD, held out by article (five folds, as ``train_crosslingual.py``'s), and prints:

1. e5 alone, R@1/R@3 over each corpus's passages: the raw question; minus the mean of its
   language's XQuAD questions (other folds' articles: ``own``); minus an estimate that needs
   no question in the language (``cldr``: the English sets' mean question moved by the
   difference between the language's and English's vectors of the same CLDR names, which
   Babel ships for ~110 languages).
2. The cross-lingual route, every line held out by article, with the model refit on rows of
   each kind (centred rows also carry the raw similarity and its gap as features; ``flag``:
   the raw rows and the ``own`` rows of the cross-language questions in one model, told apart
   by a feature, figures and thresholds from the rows the product would use).
3. A question language the model never saw (held out by language and by article): how each
   model does on it, centred by ``cldr`` (no questions in it exist) or not at all.

    nice .venv/bin/python scripts/training/try_language_centring.py    # ~12 min on two cores

Rows go to ``var/xquad-centring``; the corpora and the question vectors are
``crosslingual_data.py``'s and ``xquad_retrieval.py``'s (var/xquad).
Nothing in the repo is written.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from babel import Locale
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))
import crosslingual_data as cd
from train_crosslingual import FOLDS, TARGET_FALSE_REFUSALS, figures, fit, thresholds_for, verdicts
from xquad_retrieval import query_vectors

from index import load_index
from index.encoder.directions import LanguageDirections
from index.store.multilingual import load_multilingual
from service.answering.crosslingual import threshold_of
from service.answering.crosslingual_candidates import FEATURES

WORK = cd.ROOT / "var" / "xquad-centring"
EVAL = cd.ROOT.parent / "shared" / "eval"
Centre = Callable[[str, str], np.ndarray]  # (language, article) → the vector to subtract
# Centring was measured against e5's own vectors, before the language directions were taken
# out of them (index/encoder/directions.py); it still is.
RAW = LanguageDirections.none(384)


def english_questions() -> list[list[str]]:
    """The English questions of each shared set but XQuAD (each set weighs the same)."""
    sets = []
    for path in (EVAL / "dev.jsonl", EVAL / "policy" / "questions.jsonl"):
        lines = map(json.loads, path.read_text().splitlines())
        sets.append([q["question"] for q in lines if "question" in q])
    squad = map(json.loads, (EVAL / "squad" / "questions.jsonl").read_text().splitlines())
    sets.append([q["question"] for q in squad])
    policyqa = json.loads((EVAL / "policyqa" / "dev.json").read_text())
    sets.append(
        sorted({q["question"] for a in policyqa["data"] for p in a["paragraphs"] for q in p["qas"]})
    )
    return sets


def cldr_lines(code: str) -> list[str]:
    """CLDR's names of territories, languages, currencies, months and days in ``code``,
    shuffled and joined eight to a line (about a short question's length), 200 lines."""
    locale = Locale.parse(code)
    names = [
        *locale.territories.values(),
        *locale.languages.values(),
        *locale.currencies.values(),
        *locale.months["format"]["wide"].values(),
        *locale.days["format"]["wide"].values(),
    ]
    shuffled = [str(n) for n in names]
    random.Random(0).shuffle(shuffled)
    return [", ".join(shuffled[i : i + 8]) for i in range(0, min(len(shuffled), 1600), 8)]


class Vectors:
    """Every XQuAD question's e5 vector (cached), the folds, and the two centres."""

    def __init__(self) -> None:
        _, self.encoder = cd.models()
        gold = cd.gold_spans("en")
        self.article = {q: a for q, (a, _) in gold.items()}
        articles = sorted(set(self.article.values()))
        self.fold = {a: i % FOLDS for i, a in enumerate(articles)}  # train_crosslingual's
        self.by_language = {lang: self._encoded(lang) for lang in cd.LANGUAGES}
        english = np.mean([self.encoder.encode_queries(s).mean(0) for s in english_questions()], 0)
        names = {
            lang: self.encoder.encode_queries(cldr_lines(lang)).mean(0) for lang in cd.LANGUAGES
        }
        self.cldr = {lang: english + names[lang] - names["en"] for lang in cd.LANGUAGES}

    def _encoded(self, language: str) -> dict[str, np.ndarray]:
        asked = cd.questions(language)
        ids = sorted(asked)
        vectors = query_vectors(language, ids, [asked[q] for q in ids])  # cached in var/xquad
        return dict(zip(ids, vectors, strict=True))

    def own(self, language: str, article: str) -> np.ndarray:
        """The mean question of ``language`` over the articles of the other folds."""
        fold = self.fold[article]
        rows = [
            v for q, v in self.by_language[language].items() if self.fold[self.article[q]] != fold
        ]
        mean: np.ndarray = np.mean(rows, axis=0)
        return mean

    def estimated(self, language: str, article: str) -> np.ndarray:
        return self.cldr[language]


def dense_table(vectors: Vectors) -> None:
    """Part 1: e5 alone over each corpus's passages."""
    embedder = cd.models()[0]
    centres: dict[str, Centre | None] = {"raw": None, "own": vectors.own, "cldr": vectors.estimated}
    print("1. e5 alone, R@1/R@3 (paragraphs/asked)")
    for corpus in cd.ASKED:
        index = load_index(cd.build_corpus(corpus, embedder, vectors.encoder))
        second = load_multilingual(index.path, RAW)
        assert second is not None
        stored = second.passages.vectors
        passages = stored.codes.astype(np.float32) * stored.scales[:, None]
        texts = [cd.normalise(p.text) for p in index.passages]
        gold = cd.gold_spans(corpus)
        for language in (lang for lang in cd.ASKED[corpus] if lang != corpus):
            cells = []
            for name, centre in centres.items():
                r1 = r3 = 0
                for qid, vector in vectors.by_language[language].items():
                    shifted = vector if centre is None else vector - centre(language, gold[qid][0])
                    top = np.argsort(-(passages @ shifted))[:3]
                    spans = [cd.normalise(s) for s in gold[qid][1]]
                    found = [cd.holds(texts[p], spans, corpus) for p in top]
                    r1, r3 = r1 + found[0], r3 + any(found)
                n = len(vectors.by_language[language])
                cells.append(f"{name} {r1 / n:.3f}/{r3 / n:.3f}")
            print(f"   {corpus}/{language}: " + "  ".join(cells), flush=True)


def rows_of(vectors: Vectors, kind: str) -> list[cd.Row]:
    """The route's rows with the cross-language questions centred by ``kind`` (cached)."""
    cache = WORK / f"rows-{kind}.pkl"
    if cache.is_file():
        with open(cache, "rb") as handle:
            kept: list[cd.Row] = cd._Rows(handle).load()
        return kept
    centre: Centre | None = {"raw": None, "own": vectors.own, "cldr": vectors.estimated}[kind]
    embedder = cd.models()[0]
    rows = []
    for corpus in cd.ASKED:
        whole = load_index(cd.build_corpus(corpus, embedder, vectors.encoder))
        second = load_multilingual(whole.path, RAW)
        assert second is not None
        by_article = {Path(d.path).stem: key for key, d in whole.documents.items()}
        gold = cd.gold_spans(corpus)
        for language in cd.ASKED[corpus]:
            asked = cd.questions(language)
            terms = dict(
                zip(asked, cd.question_terms(vectors.encoder, list(asked.values())), strict=True)
            )
            for qid in tqdm(
                sorted(asked, key=lambda q: gold[q][0]), desc=f"{kind} {corpus}/{language}"
            ):
                article, spans = gold[qid]
                raw = vectors.by_language[language][qid]
                across = centre is not None and language != corpus
                vector = raw - centre(language, article) if across and centre else raw
                others = [k for name, k in by_article.items() if name != article]
                for answerable, view in ((True, whole), (False, whole.within(others))):
                    ids, x, labels, owners, hit_gold = cd.ask(
                        view, second, asked[qid], language, vector, terms[qid], spans, corpus
                    )
                    if centre is not None and len(ids):  # the raw similarity beside
                        similarity = second.sentences.scores(raw, np.asarray(ids))
                        x = np.column_stack([x, similarity, similarity.max() - similarity])
                    chars = [len(whole.sentences[s].text) for s in ids]
                    rows.append(
                        cd.Row(
                            corpus,
                            language,
                            qid,
                            article,
                            answerable,
                            ids,
                            x,
                            labels,
                            owners,
                            hit_gold,
                            chars,
                        )
                    )
    cache.write_bytes(pickle.dumps(rows))
    return rows


def flagged(rows: Sequence[cd.Row], flag: float) -> list[cd.Row]:
    """Rows with a last feature saying whether the question was centred (raw rows first get
    their similarity again as the raw one, so every row has the same columns)."""
    out = []
    for row in rows:
        x = row.features
        if len(row.sentence_ids):
            if x.shape[1] == len(FEATURES):
                x = np.column_stack([x, x[:, 0], x[:, 1]])
            x = np.column_stack([x, np.full(len(x), flag)])
        out.append(dataclasses.replace(row, features=x))
    return out


def held_out(
    vectors: Vectors,
    train: list[cd.Row],
    test: list[cd.Row],
    thresholds_from: list[cd.Row] | None = None,
) -> dict[tuple[str, str], dict]:
    """``test`` scored by models fitted on ``train``'s other folds, thresholds from the
    training folds of ``thresholds_from`` (``train`` itself by default)."""
    pick = thresholds_from if thresholds_from is not None else train
    found, thresholds = [], []
    for fold in range(FOLDS):
        model = fit([r for r in train if vectors.fold[r.article] != fold])
        inner = thresholds_for(
            verdicts(model, [r for r in pick if vectors.fold[r.article] != fold]),
            TARGET_FALSE_REFUSALS,
        )
        for v in verdicts(model, [r for r in test if vectors.fold[r.article] == fold]):
            found.append(v)
            thresholds.append(threshold_of(inner, v.row.language, v.row.corpus))
    return figures(found, thresholds)


def line(f: dict) -> str:
    return (
        f"{f['accuracy']:.3f} (R@3 {f['r_at_3']:.3f}, fr {f['false_refusals']:.3f}, "
        f"w/o {f['refused_without_article']:.3f})"
    )


def unseen_language(
    vectors: Vectors,
    rows: dict[str, list[cd.Row]],
    both: list[cd.Row],
    product: list[cd.Row],
    language: str,
) -> dict[str, dict]:
    """Part 3 for one language: each model fitted without its questions."""

    def test_of(kind: str) -> list[cd.Row]:
        return [r for r in rows[kind] if r.language == language and r.corpus == "en"]

    def trained(found: list[cd.Row]) -> list[cd.Row]:
        return [r for r in found if r.language != language]

    key = ("en", language)
    return {
        "raw": held_out(vectors, trained(rows["raw"]), test_of("raw"))[key],
        "own>cldr": held_out(vectors, trained(rows["own"]), test_of("cldr"))[key],
        "cldr": held_out(vectors, trained(rows["cldr"]), test_of("cldr"))[key],
        "flag>raw": held_out(
            vectors, trained(both), flagged(test_of("raw"), 0.0), trained(product)
        )[key],
    }


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    vectors = Vectors()
    dense_table(vectors)
    rows = {kind: rows_of(vectors, kind) for kind in ("raw", "own", "cldr")}
    across = [r for r in rows["own"] if r.language != r.corpus]
    both = flagged(rows["raw"], 0.0) + flagged(across, 1.0)
    # What the product would quote from: raw within a language, centred across.
    product = flagged([r for r in rows["raw"] if r.language == r.corpus], 0.0) + flagged(
        across, 1.0
    )
    tables = {kind: held_out(vectors, rows[kind], rows[kind]) for kind in rows}
    tables["flag"] = held_out(vectors, both, product, product)
    print("2. the route, held out by article: accuracy (R@3, false refusals, refused w/o article)")
    for key in sorted(tables["raw"]):
        cells = " | ".join(f"{k} {line(t[key])}" for k, t in tables.items())
        print(f"   {key[0]}/{key[1]}: {cells}", flush=True)
    print("3. a question language never trained on (held out by language and by article)")
    for language in ("de", "es", "zh", "ar", "hi"):
        found = unseen_language(vectors, rows, both, product, language)
        cells = " | ".join(f"{k} {line(f)}" for k, f in found.items())
        print(f"   en/{language}: {cells}", flush=True)


if __name__ == "__main__":
    main()
