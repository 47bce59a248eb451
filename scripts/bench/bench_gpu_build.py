"""Index build speed on a GPU against the CPU, and whether the vectors agree (issue #13).

Writes a synthetic corpus (the briefings of bench_index.py) of about ``--passages`` passages,
builds it from scratch with the real model on ``--device`` (float16 on a GPU), and reports
passages per second over the whole build and over embedding alone. Then embeds the repo's
corpus (the briefing) on that device and with the served CPU model and reports the cosine of
each pair: the GPU index is only usable by CPU replicas if they agree (≥ 0.999).

Run on a GPU machine: python scripts/bench/bench_gpu_build.py --device cuda --passages 200000
On the 2-core CPU: .venv/bin/python scripts/bench/bench_gpu_build.py --device cpu --passages 2000
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index import report_figures, synthetic_document  # noqa: E402

from index import Embedder, build_index, load_corpus, resolve_device  # noqa: E402
from index.passages import PassageOptions, cut_passages  # noqa: E402

PASSAGES_PER_DOCUMENT = 4.5  # what a synthetic briefing makes (bench_index.py)


def build_synthetic(passages: int, embedder: Embedder, workdir: Path) -> dict[str, float]:
    """Build a fresh index of about ``passages`` passages; wall time and embedding time."""
    corpus, index_dir = workdir / "corpus", workdir / "index"
    corpus.mkdir()
    rng = random.Random(13)
    for i in range(int(passages / PASSAGES_PER_DOCUMENT) + 1):
        (corpus / f"d{i:06d}.txt").write_text(synthetic_document(i, rng))
    marks: dict[str, float] = {}

    def on_stage(stage: str, done: int, total: int) -> None:
        marks.setdefault(f"{stage}_start", time.perf_counter())
        if stage == "embed" and done == total:
            marks["embed_end"] = time.perf_counter()

    started = time.perf_counter()
    report = build_index(corpus, index_dir, embedder, on_stage=on_stage)
    seconds = time.perf_counter() - started
    embed_seconds = marks.get("embed_end", 0.0) - marks.get("embed_start", 0.0)
    return {
        "passages": report.passages,
        "texts_embedded": report.embedded,
        "build_seconds": round(seconds, 1),
        "embed_seconds": round(embed_seconds, 1),
        "passages_per_second_build": round(report.passages / seconds, 1),
        "texts_per_second_embed": round(report.embedded / embed_seconds, 1)
        if embed_seconds > 0
        else 0.0,
    }


def agreement(embedder: Embedder) -> dict[str, float]:
    """Cosine between this embedder's vectors and the CPU model's (float32 sentence-transformers,
    whose vectors the served ONNX model equals: tests/test_gpu_build.py) on the repo corpus."""
    documents, _ = load_corpus(ROOT / "corpus")
    texts: list[str] = []
    for document in documents:
        sentences, passages = cut_passages(document, 0, PassageOptions())
        texts += [p.search_text for p in passages] + [s.text for s in sentences]
    reference = Embedder("torch")
    cosines = np.sum(embedder.encode(texts) * reference.encode(texts), axis=1)
    return {
        "agreement_texts": len(texts),
        "cosine_min": round(float(cosines.min()), 6),
        "cosine_mean": round(float(cosines.mean()), 6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument(
        "--json", type=Path, default=ROOT / "bench-results" / "bench_gpu_build.json"
    )
    args = parser.parse_args()
    device = resolve_device(args.device)
    embedder = build_embedder(device)
    result: dict[str, object] = {"device": device, **device_name(device)}
    result.update(agreement(embedder))
    workdir = Path(tempfile.mkdtemp(prefix="briefing-qa-gpu-build-"))
    try:
        result.update(build_synthetic(args.passages, embedder, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report_figures(result, args.json)


def build_embedder(device: str) -> Embedder:
    """What `build-index --device` uses; on a GPU only `index` is imported (the GPU machine
    needs no web stack: faiss-cpu, bm25s, pypdf and the model are all it lacks)."""
    if device != "cpu":
        return Embedder("torch", device=device)
    from service.settings import Settings
    from service.state import build_embedder as served_build_embedder

    return served_build_embedder(Settings(), "cpu")


def device_name(device: str) -> dict[str, str]:
    if device == "cpu":
        return {"device_name": "CPU"}
    import torch

    return {"device_name": torch.cuda.get_device_name(torch.device(device))}


if __name__ == "__main__":
    main()
