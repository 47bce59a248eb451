"""Latency at scale: /ask over HTTP against a synthetic index of about 100,000 passages.

The corpus is synthetic (thousands of generated briefings). Its vectors come from a stand-in
embedder that returns deterministic random unit vectors: this benchmark is about how search
cost grows with the index (FAISS index type, BM25, sentence scoring), and embedding 300,000
texts with the real model would take an hour here. Queries go through the real server with
the real model, exactly as users run it. The FAISS index type chosen for the size is read back
from the manifest.

Also reports the server's resident memory with that index; `--passages 0` (one small
document) gives the baseline, and the difference is what a replica pays per 100k passages.

Run: .venv/bin/python scripts/bench/bench_scale.py [--passages 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import dev_questions, free_port, single_client, wait_for_answer  # noqa: E402
from bench_index import report_figures, synthetic_document  # noqa: E402

from index import MODEL_NAME, build_index  # noqa: E402


class RandomUnitEmbedder:
    """Deterministic random unit vectors keyed by text, with the real model's identity."""

    model_name = MODEL_NAME
    dimension = 384
    model_key = f"{MODEL_NAME}/384"

    def encode(self, texts, batch_size=64, progress=None):  # type: ignore[no-untyped-def]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            v = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        if progress is not None:
            progress(len(texts), len(texts))
        return out


def resident_mb(pid: int) -> float:
    """Resident memory of a server process (one worker: the process itself), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "bench_scale.json")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="briefing-qa-scale-"))
    corpus, index_dir = workdir / "corpus", workdir / "index"
    corpus.mkdir()
    rng = random.Random(11)
    # A synthetic briefing makes about 4.5 passages (see bench_index.py).
    documents = int(args.passages / 4.5) + 1
    print(f"writing {documents} synthetic documents…", flush=True)
    for i in range(documents):
        (corpus / f"d{i:06d}.txt").write_text(synthetic_document(i, rng))
    try:
        print("building the index with stand-in vectors…", flush=True)
        started = time.perf_counter()
        report = build_index(corpus, index_dir, RandomUnitEmbedder())  # type: ignore[arg-type]
        build_seconds = time.perf_counter() - started
        version = (index_dir / "CURRENT").read_text().strip()
        manifest = json.loads((index_dir / "versions" / version / "manifest.json").read_text())
        port = free_port()
        env = {
            **os.environ,
            "BRIEFING_QA_CORPUS_DIR": str(corpus),
            "BRIEFING_QA_INDEX_DIR": str(index_dir),
            "BRIEFING_QA_RATE_LIMIT_PER_MINUTE": "0",
        }
        bin_dir = Path(sys.executable).parent
        server = subprocess.Popen(
            [str(bin_dir / "briefing-qa"), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            first = wait_for_answer(port, 600, server)
            base = dev_questions(ROOT / "tests" / "data" / "dev.jsonl")
            latency = single_client(port, base + [f"Please tell me: {q}" for q in base])
            rss = resident_mb(server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    result = {
        "passages": report.passages,
        "sentences": report.sentences,
        "faiss_index": manifest["faiss_index"],
        "build_seconds_stand_in_vectors": round(build_seconds, 1),
        "start_to_first_answer_seconds": round(first, 1),
        "server_resident_mb": rss,
        **{f"ask_{k}": v for k, v in latency.items()},
    }
    report_figures(result, args.json)


if __name__ == "__main__":
    main()
