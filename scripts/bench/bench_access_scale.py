"""One collection of a large library read as if nothing else existed (issue #31).

A library of about 200,000 passages in 50 collections: the shared policy set's documents
(tests/data/policy) in collection ``policy``, synthetic briefings (bench_index.py's) in the 49
others. A reader of ``policy`` alone asks the policy set's 220 questions of that library; so
does an admin (who reads everything; by an API key too, so both pay the same key lookup and
audit row) on the same server, and a reader of a server that holds the
``policy`` collection alone. The collection's reader must get the figures of the server that
holds it alone (accuracy within 0.01, the same R@3) and a median latency within 1.3x of the
admin's. The same comparison is made in this process, without HTTP or the database (the
answering alone). Then, in this process, the dense search of a reader of a few collections is
timed both ways: exactly over the readable passages, and by the HNSW graph with FAISS's ID
selector.

Vectors: the policy documents' are the real model's (the server holding them alone builds them,
and the large build takes them from the embedding cache); the synthetic briefings' are stand-in
random unit vectors (bench_scale.py's: embedding 800,000 texts with the model would take hours
here). Questions go through real servers (``briefing-qa serve``, local mode, an API key) with
the real model. Everything is kept in ``--workdir``, so a second run reuses the builds.

Run: nice .venv/bin/python scripts/bench/bench_access_scale.py [--passages 200000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import free_port, percentile  # noqa: E402
from bench_index import report_figures, synthetic_document  # noqa: E402
from bench_scale import RandomUnitEmbedder  # noqa: E402

from index import build_index, document_id, load_index  # noqa: E402
from index.store.dense import nearest  # noqa: E402
from service.answering import Answerer, DecisionModel  # noqa: E402
from service.cli.evaluation import has_policy_span, load_cases  # noqa: E402
from service.library import Accounts, Collections, Credentials, Library, database_url  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.state import load_embedder  # noqa: E402

POLICY = ROOT / "tests" / "data" / "policy"
ADMIN_TOKEN = "bench-admin-token"
# Synthetic briefings per filler file: fewer, larger files read faster than 44,000 small ones.
BRIEFINGS_PER_FILE = 10


def write_policy(corpus: Path) -> None:
    """The policy set's documents in collection ``policy``'s folder."""
    folder = corpus / "collections" / "policy"
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((POLICY / "corpus").iterdir()):
        shutil.copy2(source, folder / source.name)


def write_filler(corpus: Path, passages: int, collections: int) -> None:
    """Synthetic briefings, about ``passages`` passages, spread over ``collections`` folders."""
    rng = random.Random(31)
    files = int(passages / 4.5 / BRIEFINGS_PER_FILE) + 1  # a briefing makes ~4.5 passages
    for i in range(files):
        folder = corpus / "collections" / f"c{i % collections + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        first = i * BRIEFINGS_PER_FILE
        text = "\n".join(synthetic_document(first + k, rng) for k in range(BRIEFINGS_PER_FILE))
        (folder / f"f{i:05d}.txt").write_text(text, encoding="utf-8")


def grant(index_dir: Path, corpus: Path) -> tuple[str, str]:
    """Every document in its folder's collection, ``policy`` readable by group ``gpolicy``'s
    member ``reader`` (the others by groups of their own), and an admin, ``chief``; returns
    their API keys (a key costs the same lookups and audit row for both)."""
    (index_dir / "library.sqlite").unlink(missing_ok=True)  # the bench's own: made afresh
    library = Library(database_url(None, index_dir))
    for path in sorted((corpus / "collections").rglob("*.*")):
        relative = path.relative_to(corpus).as_posix()
        collection = relative.split("/")[1]
        library.add_upload(document_id(relative), path.name, relative, "", collection)
        library.set_status(document_id(relative), "indexed")
    shelves = Collections(library.engine)
    accounts = Accounts(library.engine)
    names = sorted({p.parent.name for p in (corpus / "collections").rglob("*.*")})
    for name in names:
        accounts.add_group(f"g{name}", [])
        shelves.set_collection(name, False, [f"g{name}"], [])
    accounts.add_user("reader", "reader", "bench reader password")
    accounts.add_group("gpolicy", ["reader"])
    accounts.add_user("chief", "admin", "bench admin password")
    keys = Credentials(library.engine)
    return keys.add_key("reader")[1], keys.add_key("chief")[1]


def serve(corpus: Path, index_dir: Path, port: int, auth: str) -> subprocess.Popen[bytes]:
    """``briefing-qa serve`` on ``index_dir`` (built already), in a process group of its own."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "BRIEFING_QA_CORPUS_DIR": str(corpus),
        "BRIEFING_QA_INDEX_DIR": str(index_dir),
        "BRIEFING_QA_AUTH": auth,
        "BRIEFING_QA_ADMIN_TOKEN": ADMIN_TOKEN,
        "BRIEFING_QA_RATE_LIMIT_PER_MINUTE": "0",
    }
    command = [str(Path(sys.executable).parent / "briefing-qa"), "serve", "--port", str(port)]
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def ask(port: int, question: str, key: str | None) -> tuple[dict[str, Any], float]:
    """POST /ask as ``key``'s holder; returns the answer and the milliseconds it took."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("POST", "/ask", body=json.dumps({"question": question}), headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read())
    took = (time.perf_counter() - started) * 1000
    conn.close()
    if response.status != 200:
        raise SystemExit(f"/ask answered {response.status}: {body}")
    return body, took


def wait_until_up(port: int, process: subprocess.Popen[bytes], key: str | None) -> float:
    """Seconds until the server answers a question."""
    started = time.perf_counter()
    while time.perf_counter() - started < 1800:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            ask(port, "What is this about?", key)
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer within 30 minutes")


def figures(answers: list[dict[str, Any]], cases: list[Any]) -> dict[str, float]:
    """Accuracy and R@3 on the answerable questions, as tests/test_quality_policy.py counts."""
    right, found = [], []
    for answer, case in zip(answers, cases, strict=True):
        if not case.answerable:
            continue
        spans = case.gold_spans
        right.append(answer["answered"] and has_policy_span(answer["answer"], spans))
        found.append(any(has_policy_span(c["text"], spans) for c in answer["citations"][:3]))
    return {
        "accuracy": round(sum(right) / len(right), 4),
        "r_at_3": round(sum(found) / len(found), 4),
    }


def latency(timings: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "mean_ms": round(statistics.fmean(timings), 1),
    }


def answering_times(
    index: Any, readable: list[str], cases: list[Any], settings: Settings
) -> dict[str, float]:
    """Median ms of answering in this process (no HTTP, no key lookup, no cache), each
    question asked by the collection's reader and by a reader of everything, in turn."""
    answerer = Answerer(load_embedder(settings), lambda: index, DecisionModel(), cache_size=0)
    spent: dict[str, list[float]] = {"reader": [], "everything": []}
    for i, case in enumerate(cases):
        runs = [("reader", readable), ("everything", None)]
        for who, corpus in runs if i % 2 else runs[::-1]:
            started = time.perf_counter()
            answerer.ask(case.question, corpus=corpus)
            spent[who].append((time.perf_counter() - started) * 1000)
    reader, everything = (statistics.median(spent[k]) for k in ("reader", "everything"))
    return {
        "reader_p50_ms": round(reader, 1),
        "everything_p50_ms": round(everything, 1),
        "reader_over_everything_p50": round(reader / everything, 3),
    }


def dense_timings(index_dir: Path, collections: list[list[str]]) -> dict[str, Any]:
    """For readers of 1, 10 and 25 collections: ms to build their view of the index, and the
    median ms of one dense search exactly over the readable passages and by the HNSW graph with
    FAISS's ID selector."""
    index = load_index(index_dir)
    rng = np.random.default_rng(5)
    queries = rng.standard_normal((30, index.passage_vectors.shape[1])).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    measured: dict[str, Any] = {}
    for count in (1, 10, 25):
        readable = [d for group in collections[:count] for d in group]
        started = time.perf_counter()
        index.within(readable)  # what a reader's first question pays for their view
        measured[f"{count}_collections_view_ms"] = round((time.perf_counter() - started) * 1000)
        rows = index.passage_rows(readable)
        assert rows is not None
        for way, graph in (("exact", None), ("hnsw_selector", index.passage_index)):
            spent = []
            for query in queries:
                started = time.perf_counter()
                nearest(index.passage_vectors, graph, query, 40, rows, exact_up_to=0)
                spent.append((time.perf_counter() - started) * 1000)
            measured[f"{count}_collections_{len(rows)}_passages_{way}_ms"] = round(
                statistics.median(spent), 2
            )
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument("--collections", type=int, default=50)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench-access-scale")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "access.json")
    args = parser.parse_args()
    small, big = args.workdir / "small", args.workdir / f"big-{args.passages}"
    settings = Settings(index_dir=small / "index")
    if not (small / "index" / "CURRENT").exists():
        print("building the policy collection alone with the model…", flush=True)
        write_policy(small / "corpus")
        build_index(small / "corpus", small / "index", load_embedder(settings))
    if not (big / "index" / "CURRENT").exists():
        print(f"writing ~{args.passages} passages in {args.collections} collections…", flush=True)
        write_policy(big / "corpus")
        write_filler(big / "corpus", args.passages, args.collections - 1)
        (big / "index").mkdir(parents=True, exist_ok=True)
        for cache in ("embeddings.sqlite", "parsed.sqlite"):  # the policy's vectors, readings
            shutil.copy2(small / "index" / cache, big / "index" / cache)
        started = time.perf_counter()
        build_index(big / "corpus", big / "index", RandomUnitEmbedder())  # type: ignore[arg-type]
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    key, admin_key = grant(big / "index", big / "corpus")
    cases = load_cases(POLICY / "questions.jsonl")
    result: dict[str, Any] = {"questions": len(cases)}
    ports = free_port(), free_port()
    alone = serve(small / "corpus", small / "index", ports[0], "none")
    library = serve(big / "corpus", big / "index", ports[1], "local")
    try:
        result["start_seconds_alone"] = round(wait_until_up(ports[0], alone, None), 1)
        result["start_seconds_library"] = round(wait_until_up(ports[1], library, key), 1)
        answered: dict[str, list[dict[str, Any]]] = {"alone": [], "reader": [], "admin": []}
        spent: dict[str, list[float]] = {"alone": [], "reader": [], "admin": []}
        for i, case in enumerate(cases):
            runs = [("reader", ports[1], key), ("admin", ports[1], admin_key)]
            for who, port, credential in runs if i % 2 else runs[::-1]:  # alternate: fair noise
                body, ms = ask(port, case.question, credential)
                answered[who].append(body)
                spent[who].append(ms)
            body, ms = ask(ports[0], case.question, None)
            answered["alone"].append(body)
            spent["alone"].append(ms)
    finally:
        for process in (alone, library):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    index = load_index(big / "index")
    result["passages"] = len(index.passages)
    result["documents"] = len(index.documents)
    for who in answered:
        result[who] = {**figures(answered[who], cases), **latency(spent[who])}
    fields = ("answered", "answer", "confidence", "citations", "related")
    same = [
        all(a[f] == b[f] for f in fields)
        for a, b in zip(answered["alone"], answered["reader"], strict=True)
    ]
    result["reader_answers_identical_to_alone"] = sum(same)
    result["reader_over_admin_p50"] = round(
        result["reader"]["p50_ms"] / result["admin"]["p50_ms"], 3
    )
    groups: dict[str, list[str]] = {}
    for key_id, document in index.documents.items():
        groups.setdefault(document.path.split("/")[1], []).append(key_id)
    fillers = [groups[name] for name in sorted(groups) if name != "policy"]
    result["in_process"] = answering_times(index, groups["policy"], cases, settings)
    del index
    result["dense_search"] = dense_timings(big / "index", fillers)
    report_figures(result, args.json)


if __name__ == "__main__":
    main()
