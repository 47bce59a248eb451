"""How well documents are read: the figures of issue #23, measured on shared/eval/policy.

1. Of the gold answers of questions.jsonl, the share that occurs in the indexed text of their
   document (what is embedded and BM25-indexed: each passage with its section title), after
   the README's scoring normalisation; per document.
2. The running header "Debian Policy Manual, Release 4.6.2.0" in no passage; no token of 20+
   letters in the PDF's passages that the manual's plain-text twin does not have.
3. The same manual as PDF and as text answers alike: the answerer is asked the 110 answerable
   questions of each (one index per format), right/wrong compared question by question.
4. Seconds (and pages/s) to read the 193-page PDF, best of three.

Run: .venv/bin/python scripts/eval/eval_reading.py [--skip-answers]
(the answer comparison builds two indexes: ~6 minutes on 2 cores the first time, the vectors
are cached in var/eval-reading/ afterwards)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index import (  # noqa: E402
    Embedder,
    LoadedIndex,
    PassageOptions,
    ReadOptions,
    build_index,
    cut_passages,
    load_index,
)
from index.corpus import load_corpus  # noqa: E402
from index.formats.pdf import read_pdf  # noqa: E402
from service.answering import Answerer, DecisionModel  # noqa: E402
from service.cli.evaluation import policy_normalize  # noqa: E402
from service.settings import Settings  # noqa: E402

POLICY = ROOT.parent / "shared" / "eval" / "policy"
HEADER = "Debian Policy Manual, Release 4.6.2.0"


def occurs(span: str, text: str) -> bool:
    """``span`` in ``text``, already normalised (:func:`policy_normalize`), on word bounds."""
    return policy_normalize(span) in text


def questions() -> list[dict[str, object]]:
    rows = (POLICY / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(r) for r in rows if r.strip()]


def coverage() -> dict[str, object]:
    """Gold answers found in each document's passages; the header; glued tokens."""
    documents, errors = load_corpus(POLICY / "corpus", ReadOptions(workers=0))
    passages_text: dict[str, str] = {}
    raw_text: dict[str, str] = {}
    for document in documents:
        _, passages = cut_passages(document, 0, PassageOptions())
        raw_text[document.id] = " ".join(p.search_text for p in passages)
        passages_text[document.id] = policy_normalize(raw_text[document.id])
    by_document: dict[str, list[int]] = {}
    missing = []
    for row in questions():
        if row.get("answerable", True) is False:
            continue
        doc = str(row["document"]).replace(".", "-")
        hit = any(occurs(str(a), passages_text.get(doc, "")) for a in row["answers"])  # type: ignore[attr-defined]
        by_document.setdefault(doc, [0, 0])
        by_document[doc][0] += hit
        by_document[doc][1] += 1
        if not hit:
            missing.append(str(row["id"]))
    twin = (POLICY / "reference" / "debian-policy.txt").read_text(encoding="utf-8")
    twin_tokens = set(re.findall(r"[A-Za-z]{20,}", twin))
    pdf_text = raw_text.get("debian-policy", "")
    glued = sorted(set(re.findall(r"[A-Za-z]{20,}", pdf_text)) - twin_tokens)
    found = sum(v[0] for v in by_document.values())
    total = sum(v[1] for v in by_document.values())
    return {
        "errors": errors,
        "gold_found": f"{found}/{total} ({found / total:.3f})",
        "per_document": {k: f"{v[0]}/{v[1]}" for k, v in by_document.items()},
        "missing": missing,
        "running_header_in_passages": pdf_text.count(HEADER),
        "long_tokens_not_in_twin": glued,
    }


def pdf_speed() -> dict[str, float]:
    pdf = POLICY / "corpus" / "debian-policy.pdf"
    best = min(_timed(lambda: read_pdf(pdf)) for _ in range(3))
    return {"seconds": round(best, 2), "pages_per_second": round(193 / best, 1)}


def _timed(work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def answers_alike(work: Path) -> dict[str, object]:
    """Right/wrong of the 110 answerable debian-policy questions, PDF against text twin."""
    settings = Settings(model_cache_dir=ROOT / "var" / "models")
    embedder = Embedder(settings.embedding_backend, settings.onnx_dir, settings.threads)
    asked = [
        r
        for r in questions()
        if r.get("document") == "debian-policy" and r.get("answerable", True) is not False
    ]
    right: dict[str, dict[str, bool]] = {}
    for kind, source in (
        ("pdf", POLICY / "corpus" / "debian-policy.pdf"),
        ("txt", POLICY / "reference" / "debian-policy.txt"),
    ):
        corpus = work / kind / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, corpus / f"debian-policy{source.suffix}")
        build_index(corpus, work / kind / "index", embedder)
        loaded = load_index(work / kind / "index", model_key=embedder.model_key)
        answerer = Answerer(embedder, _serving(loaded), DecisionModel())
        right[kind] = {}
        for row in asked:
            answer = answerer.ask(str(row["question"]))
            text = policy_normalize(answer.answer) if answer.answered else ""
            right[kind][str(row["id"])] = any(occurs(str(a), text) for a in row["answers"])  # type: ignore[attr-defined]
    agree = sum(right["pdf"][q] == right["txt"][q] for q in right["pdf"])
    n = len(asked)
    return {
        "questions": n,
        "accuracy_pdf": round(sum(right["pdf"].values()) / n, 3),
        "accuracy_txt": round(sum(right["txt"].values()) / n, 3),
        "agreement": round(agree / n, 3),
        "right_only_in_txt": [q for q in right["pdf"] if right["txt"][q] and not right["pdf"][q]],
        "right_only_in_pdf": [q for q in right["pdf"] if right["pdf"][q] and not right["txt"][q]],
    }


def _serving(loaded: LoadedIndex) -> Callable[[], LoadedIndex]:
    return lambda: loaded


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--skip-answers", action="store_true")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "eval-reading")
    args = parser.parse_args()
    report: dict[str, object] = {"coverage": coverage(), "pdf_speed": pdf_speed()}
    if not args.skip_answers:
        report["pdf_vs_text"] = answers_alike(args.work)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
