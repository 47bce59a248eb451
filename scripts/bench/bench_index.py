"""Index build benchmark on a synthetic corpus: full build, then a rebuild after one change.

Writes N synthetic briefings (three sections, ten sentences each, distinct facts), builds the
index from scratch (fresh embedding cache) with the real model, changes one document, rebuilds,
and prints both wall times, passages per second and the ratio.

Run: .venv/bin/python scripts/bench/bench_index.py [--documents 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from index import Embedder, build_index
from service.settings import Settings
from service.state import load_embedder

COUNTRIES = ["Arland", "Belmora", "Corvia", "Dastan", "Elbria", "Fennick", "Galdor", "Hestia"]
TOPICS = [
    "press freedom",
    "water rights",
    "pension reform",
    "rail transport",
    "digital identity",
    "forest protection",
    "migrant workers",
    "judicial independence",
    "energy prices",
]
VERBS = ["adopted", "amended", "suspended", "reviewed", "extended", "criticised", "funded"]
BODIES = [
    "the parliament",
    "the supreme court",
    "a UN committee",
    "the ombudsman",
    "the audit office",
    "a regional council",
    "the central bank",
]


def synthetic_document(i: int, rng: random.Random) -> str:
    country = rng.choice(COUNTRIES)
    topic = rng.choice(TOPICS)
    lines = [f"{country}: {topic} briefing number {i}"]
    for section in ("Background", "Recent developments", "Relations with the EU"):
        lines.append(section)
        for _ in range(rng.randint(3, 4)):
            year = rng.randint(1990, 2024)
            lines.append(
                f"In {year}, {rng.choice(BODIES)} {rng.choice(VERBS)} the rules on {topic} in "
                f"{country}, affecting {rng.randint(2, 900)} {rng.choice(['thousand', 'hundred'])} "
                f"people in case {i}-{rng.randint(1, 99_999)}."
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=Path("bench-results/bench_index.json"))
    args = parser.parse_args()

    embedder: Embedder = load_embedder(Settings())
    workdir = Path(tempfile.mkdtemp(prefix="briefing-qa-index-bench-"))
    corpus, index_dir = workdir / "corpus", workdir / "index"
    corpus.mkdir()
    rng = random.Random(7)
    for i in range(args.documents):
        (corpus / f"briefing-{i:04d}.txt").write_text(synthetic_document(i, rng))
    try:
        print(f"full build of {args.documents} documents…", flush=True)
        started = time.perf_counter()
        full = build_index(corpus, index_dir, embedder)
        full_seconds = time.perf_counter() - started

        changed = corpus / f"briefing-{args.documents // 2:04d}.txt"
        changed.write_text(changed.read_text().replace("In ", "During ", 1))
        print("rebuild after changing one document…", flush=True)
        started = time.perf_counter()
        again = build_index(corpus, index_dir, embedder)
        rebuild_seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    result = {
        "documents": full.documents,
        "passages": full.passages,
        "sentences": full.sentences,
        "texts_embedded_full": full.embedded,
        "full_build_seconds": round(full_seconds, 2),
        "passages_per_second": round(full.passages / full_seconds, 1),
        "rebuild_changed_documents": again.changed,
        "texts_embedded_rebuild": again.embedded,
        "texts_reused_rebuild": again.reused,
        "rebuild_seconds": round(rebuild_seconds, 2),
        "rebuild_over_full": round(rebuild_seconds / full_seconds, 3),
    }
    report_figures(result, args.json)


def report_figures(result: dict[str, object], path: Path) -> None:
    """Print ``result`` as a Markdown table and write it as JSON to ``path``."""
    print("\n| measure | value |\n| --- | --- |")
    for key, value in result.items():
        print(f"| {key.replace('_', ' ')} | {value} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
