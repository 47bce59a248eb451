"""`/ask` latency on a long structured corpus against the briefing, in one run (issue #24).

Starts `briefing-qa serve` on each corpus in turn (index built first, fresh folders), asks each
its own questions once from one client (after five warm-up questions) and prints p50/p95 per
corpus and the ratio of the p50s. Defaults: the briefing with its dev set, and the policy set
(`tests/data/policy`: a 193-page PDF manual, two text policies, the FHS as HTML) with its 220
questions.

Run: .venv/bin/python scripts/bench/bench_corpora.py   (~6 minutes on 2 cores, most of it embedding
the policy corpus once)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (
    ROOT,
    build_index_with_cli,
    dev_questions,
    free_port,
    single_client,
    start,
    stop,
    wait_for_answer,
)

DATA = ROOT / "tests" / "data"


def questions_of(path: Path) -> list[str]:
    """Every question of a question set, single or conversation turn, once."""
    return dev_questions(path)


def measure(corpus: Path, questions: list[str], workdir: Path) -> dict[str, Any]:
    """1-client latency of a server on ``corpus``."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "BRIEFING_QA_CORPUS_DIR": str(corpus),
        "BRIEFING_QA_INDEX_DIR": str(workdir / "index"),
        "BRIEFING_QA_RATE_LIMIT_PER_MINUTE": "0",
    }
    build_index_with_cli(env)
    port = free_port()
    server = start([str(bin_dir / "briefing-qa"), "serve", "--port", str(port)], env)
    try:
        wait_for_answer(port, 180, server)
        return single_client(port, questions)
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "corpora.json")
    args = parser.parse_args()
    sets = {
        "briefing": (ROOT / "corpus", questions_of(DATA / "dev.jsonl")),
        "policy": (DATA / "policy" / "corpus", questions_of(DATA / "policy" / "questions.jsonl")),
    }
    report: dict[str, Any] = {}
    for name, (corpus, questions) in sets.items():
        workdir = Path(tempfile.mkdtemp(prefix=f"briefing-qa-{name}-"))
        try:
            print(f"{name}: {len(questions)} questions…", flush=True)
            report[name] = measure(corpus, questions, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    report["p50_ratio_policy_to_briefing"] = round(
        report["policy"]["p50_ms"] / report["briefing"]["p50_ms"], 2
    )
    print()
    print("| corpus | questions | p50 / p95 / p99 (ms) |")
    print("| --- | --- | --- |")
    for name in sets:
        r = report[name]
        print(f"| {name} | {r['requests']} | {r['p50_ms']} / {r['p95_ms']} / {r['p99_ms']} |")
    print(f"\np50 policy / briefing: {report['p50_ratio_policy_to_briefing']}x")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
