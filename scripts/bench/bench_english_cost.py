"""What issue #32 costs English users, in one run on this machine (in process, no HTTP):

    .venv/bin/python scripts/bench/bench_english_cost.py [--rounds 5]

* build time of the repo corpus until it serves, multilingual off vs on (``--rounds`` fresh
  builds each, in turns, medians; with it on, the second phase runs after, timed apart);
* p50 of the dev set's first-turn English questions, multilingual off vs on (its second
  phase ready), the two answerers taking turns question by question, no answer cache;
* p50 of 50 German questions on the cross-lingual route, and of their latent terms alone;
* vector memory per 100,000 passages: the English vectors as they were (all float32) and as
  they are (passages float32 in FAISS, sentences and words float16), and the multilingual
  8-bit ones and the passages' latent terms added, from this index's own counts (the
  sentences' latent terms, memory-mapped, apart);
* what float16 sentence vectors cost in English answers: the dev set over the briefing and the
  policy set over its four documents, answered with the stored float16 vectors and with the
  float32 ones from the embedding cache (accuracy, R@3, abstention; answers that differ);
* what 8 bits cost in recall: XQuAD's German questions against the English paragraphs
  (var/xquad/en, made by scripts/training/crosslingual_data.py), dense e5 alone, float32 vs
  8-bit vectors, and the latent terms alone, float32 vs 8-bit weights; paragraph R@1 and R@3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from index import (
    Embedder,
    EmbeddingCache,
    LoadedIndex,
    build_index,
    current_version,
    load_index,
)
from index.acronyms import expand_acronyms
from index.encoder.cache import embed_with_cache
from index.encoder.multilingual import LATENT_DIMENSION, LatentTerms, MultilingualEncoder
from index.store.latent import (
    QUESTION_TERMS,
    TERMS_KEPT,
    LatentIndex,
    LatentTermsForCache,
    question_terms,
    unit,
)
from index.store.multilingual import (
    QuantisedVectors,
    build_multilingual,
    load_multilingual,
)
from service.answering import Answerer, DecisionModel
from service.answering.crosslingual import Crosslingual, CrosslingualModel
from service.cli.evaluation import evaluate, load_cases
from service.state import one_blas_thread

ROOT = Path(__file__).resolve().parents[2]

DEV = ROOT / "tests" / "data" / "dev.jsonl"
POLICY = ROOT / "tests" / "data" / "policy"


def timed_builds(embedder: Embedder, encoder: MultilingualEncoder, work: Path, rounds: int) -> Path:
    """Build from scratch ``rounds`` times each way, off and on in turns (a shared machine's
    load falls on both alike); print the median times until the index serves, and the second
    phase's; returns an 'on' index folder."""
    serving: dict[str, list[float]] = {"off": [], "on": []}
    second: list[float] = []
    for round_ in range(rounds):
        for name in ("off", "on"):
            folder = work / f"{name}-{round_}"
            shutil.copytree(ROOT / "corpus", folder / "corpus")
            started = time.perf_counter()
            build_index(folder / "corpus", folder / "index", embedder)
            serving[name].append(time.perf_counter() - started)
            if name == "on":
                started = time.perf_counter()
                build_multilingual(load_index(folder / "index"), folder / "index", encoder)
                second.append(time.perf_counter() - started)
    off, on = (statistics.median(serving[k]) for k in ("off", "on"))
    print(
        f"build until it serves ({rounds} fresh builds each, in turns, medians): multilingual "
        f"off {off:.2f} s, on {on:.2f} s ({on / off:.2f}x); the second phase after it "
        f"{statistics.median(second):.2f} s"
    )
    return work / "on-0" / "index"


def p50s(embedder: Embedder, encoder: MultilingualEncoder, index_dir: Path, rounds: int) -> None:
    """The dev questions, off and on in turns."""
    index = load_index(index_dir)
    decision = DecisionModel()
    off = Answerer(embedder, lambda: index, decision, cache_size=0)
    across = Crosslingual(encoder, CrosslingualModel())
    on = Answerer(embedder, lambda: index, decision, cache_size=0, crosslingual=across)
    rows = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    questions = [r["question"] for r in rows if "question" in r]
    p50 = _taking_turns({"off": off, "on": on}, questions, rounds)
    print(
        f"English p50 ({len(questions)} dev questions x {rounds}): off {p50['off']:.2f} ms, "
        f"on {p50['on']:.2f} ms ({p50['on'] / p50['off']:.3f}x)"
    )


def crosslingual_p50(
    embedder: Embedder, encoder: MultilingualEncoder, index_dir: Path, rounds: int
) -> None:
    """What a question in another language takes on the cross-lingual route (XQuAD's first
    50 German questions over this corpus), and the part of it its latent terms take."""
    sys.path.insert(0, str(ROOT / "scripts" / "training"))
    from crosslingual_data import questions

    index = load_index(index_dir)
    across = Crosslingual(encoder, CrosslingualModel())
    on = Answerer(embedder, lambda: index, DecisionModel(), cache_size=0, crosslingual=across)
    asked = list(questions("de").values())[:50]
    route = _taking_turns({"route": on}, asked, rounds)["route"]
    took = []
    for _ in range(rounds):
        for question in asked:
            start = time.perf_counter()
            question_terms(encoder, question)
            took.append((time.perf_counter() - start) * 1000)
    print(
        f"German questions ({len(asked)} x {rounds}), cross-lingual route p50 {route:.1f} ms; "
        f"of it the question's latent terms p50 {statistics.median(took):.1f} ms"
    )


def memory(index_dir: Path) -> None:
    """Vector bytes per 100,000 passages, with this index's sentences per passage and latent
    terms per passage. The word vectors (one per distinct corpus word) grow with the
    vocabulary, not the passages, so they are given apart, for this corpus."""
    index = load_index(index_dir)
    phase = load_multilingual(index.path)
    assert phase is not None
    passages, sentences = len(index.passages), len(index.sentences)
    dim, mib = 384, 2**20
    per_passage = (passages + sentences) / passages  # vectors per passage, each set
    before = 100_000 * per_passage * dim * 4  # every English vector float32
    stored = index.sentence_vectors.dtype.itemsize
    now = 100_000 * (dim * 4 + (sentences / passages) * dim * stored)
    second = 100_000 * per_passage * (dim + 4)  # int8 codes and a float32 scale
    # Each passage's length without the language directions, kept for scoring (float32).
    second += (
        100_000 * phase.passages.lengths.nbytes / passages
        if phase.passages.lengths is not None
        else 0
    )
    latent_per_100k = 100_000 * _latent_bytes(phase.latent) / passages
    on_disk = 100_000 * _latent_bytes(phase.sentence_latent) / passages
    both = now + second + latent_per_100k
    print(
        f"vector memory per 100,000 passages ({sentences / passages:.1f} sentences each): "
        f"English all float32 (before) {before / mib:.0f} MiB; English now (passages float32, "
        f"sentences {index.sentence_vectors.dtype}) {now / mib:.0f} MiB; multilingual 8-bit "
        f"{second / mib:.0f} MiB; latent terms ({len(phase.latent.ids) / passages:.0f} a passage) "
        f"{latent_per_100k / mib:.0f} MiB; both sets now {both / mib:.0f} MiB "
        f"({both / before:.2f}x the English float32 vectors alone); the word vectors "
        f"apart: {len(index.word_vectors) * dim * stored / mib:.1f} MiB for this corpus; the "
        f"sentences' latent terms, memory-mapped (read for a question's candidates only), "
        f"{on_disk / mib:.0f} MiB on disk"
    )


def _latent_bytes(latent: LatentIndex) -> int:
    return sum(a.nbytes for a in (latent.starts, latent.ids, latent.codes, latent.scales))


def _answerer(embedder: Embedder, index: LoadedIndex) -> Answerer:
    return Answerer(embedder, lambda: index, DecisionModel(), cache_size=0)


def precision_cost(embedder: Embedder, briefing_index: Path, work: Path, rounds: int) -> None:
    """English answers with the stored float16 sentence vectors vs float32 ones; and the dev
    set's p50 with each, the two taking turns question by question."""
    policy_index = work / "policy-index"
    build_index(POLICY / "corpus", policy_index, embedder)
    sets = (
        ("dev set, briefing", briefing_index, [DEV]),
        ("policy set", policy_index, [POLICY / "questions.jsonl", POLICY / "conversations.jsonl"]),
    )
    for name, index_dir, files in sets:
        cases = [c for f in files for c in load_cases(f)]
        answerers = {
            "float16": _answerer(embedder, load_index(index_dir)),
            "float32": _answerer(embedder, _with_float32_sentences(embedder, index_dir)),
        }
        reports = {k: evaluate(a, cases) for k, a in answerers.items()}
        differ = sum(
            a.answer.answer != b.answer.answer
            for a, b in zip(reports["float16"].results, reports["float32"].results, strict=True)
        )
        print(
            f"{name} ({len(cases)} questions), float16 vs float32 sentence vectors: "
            + "; ".join(
                f"{k} accuracy {r.metrics['answer_accuracy']:.3f} R@3 {r.metrics['r_at_3']:.3f} "
                f"abstention {r.metrics['abstention_accuracy']:.3f}"
                for k, r in reports.items()
            )
            + f"; answers that differ: {differ}"
        )
        if index_dir == briefing_index:
            first = [c.question for c in cases if not c.history_questions]
            p50 = _taking_turns(answerers, first, rounds)
            print(
                f"  English p50 ({len(first)} dev questions x {rounds}, in turns): float32 "
                f"{p50['float32']:.2f} ms, float16 {p50['float16']:.2f} ms "
                f"({p50['float16'] / p50['float32']:.3f}x)"
            )


def _with_float32_sentences(embedder: Embedder, index_dir: Path) -> LoadedIndex:
    """The index with its sentence vectors in float32, as the build embedded them (cache)."""
    index = load_index(index_dir)
    acronyms = index.document_acronyms
    texts = [expand_acronyms(s.text, acronyms[s.document_id]) for s in index.sentences]
    cache = EmbeddingCache(index_dir / "embeddings.sqlite", embedder.model_key)
    index.sentence_vectors = embed_with_cache(embedder, cache, texts)[0]
    cache.close()
    return index


def _taking_turns(answerers: dict[str, Answerer], questions: list[str], rounds: int) -> dict:
    """Median milliseconds of each answerer, asking in turns (the load falls on both alike)."""
    times: dict[str, list[float]] = {name: [] for name in answerers}
    for question in questions[:5]:  # warm each
        for answerer in answerers.values():
            answerer.ask(question)
    for _ in range(rounds):
        for question in questions:
            for name, answerer in answerers.items():
                started = time.perf_counter()
                answerer.ask(question)
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def quantisation_recall(encoder: MultilingualEncoder) -> None:
    """Paragraph R@1/R@3 of German questions, float32 vs 8-bit e5 passage vectors, and the
    latent terms alone with float32 weights vs the 8-bit ones the second phase keeps."""
    sys.path.insert(0, str(ROOT / "scripts" / "training"))
    from crosslingual_data import WORK, gold_spans, holds, questions
    from crosslingual_data import question_terms as cached_question_terms

    index_dir = WORK / "en" / "index"
    if load_multilingual(index_dir / "versions" / str(current_version(index_dir))) is None:
        print("8-bit recall: skipped (run scripts/training/crosslingual_data.py first)")
        return
    index = load_index(index_dir)
    texts = [p.search_text for p in index.passages]
    cache = EmbeddingCache(index_dir / "embeddings.sqlite", encoder.model_key)
    floats = embed_with_cache(encoder, cache, texts)[0]  # cached by the second phase
    cache.close()
    packer = LatentTermsForCache(encoder)
    cache = EmbeddingCache(index_dir / "embeddings.sqlite", packer.model_key)
    latent_rows = packer.unpack(embed_with_cache(packer, cache, texts)[0])
    cache.close()
    eight = QuantisedVectors.of(floats)
    kept = LatentIndex.of(latent_rows)
    every = np.arange(len(texts))
    gold = gold_spans("en")
    asked = questions("de")
    ids = list(asked)
    vectors = encoder.encode_queries([asked[q] for q in ids])
    terms = cached_question_terms(encoder, [asked[q] for q in ids])
    found = {name: [0, 0] for name in ("float32", "8-bit", "latent float32", "latent 8-bit")}
    for qid, vector, latent in zip(ids, vectors, terms, strict=True):
        for name, scores in (
            ("float32", floats @ vector),
            ("8-bit", eight.scores(vector)),
            ("latent float32", _latent_floats(latent_rows, latent)),
            ("latent 8-bit", kept.scores(latent, every)),
        ):
            top = np.argsort(-scores)[:3]
            right = [holds(index.passages[p].text, gold[qid][1], "en") for p in top]
            found[name][0] += right[0]
            found[name][1] += any(right)
    n = len(ids)
    print(
        "German questions, English passages, one channel alone: "
        + "; ".join(f"{k} R@1 {v[0] / n:.3f} R@3 {v[1] / n:.3f}" for k, v in found.items())
    )


def _latent_floats(rows: list[LatentTerms], question: LatentTerms) -> np.ndarray:
    """Latent-term cosines with unquantised weights (the reference for the 8-bit ones)."""
    asked = np.zeros(LATENT_DIMENSION)
    asked[question.ids[:QUESTION_TERMS]] = unit(question.weights[:QUESTION_TERMS])
    return np.asarray(
        [float(asked[r.ids[:TERMS_KEPT]] @ unit(r.weights[:TERMS_KEPT])) for r in rows]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    one_blas_thread()
    print(f"bench_english_cost, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    embedder = Embedder("onnx", ROOT / "var" / "models" / "onnx-export")
    encoder = MultilingualEncoder()
    with tempfile.TemporaryDirectory() as folder:
        index_dir = timed_builds(embedder, encoder, Path(folder), args.rounds)
        p50s(embedder, encoder, index_dir, args.rounds)
        crosslingual_p50(embedder, encoder, index_dir, args.rounds)
        memory(index_dir)
        precision_cost(embedder, index_dir, Path(folder), args.rounds)
    quantisation_recall(encoder)


if __name__ == "__main__":
    main()
