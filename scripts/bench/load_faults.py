"""Load and faults: many clients, good and bad requests, index rebuilds and a worker restart.

Starts `briefing-qa serve --workers 2` on a copy of the corpus, then for --seconds:

* --clients clients send a mix of valid questions (dev set) and invalid requests (empty,
  wrong types, broken JSON, a JSON array, an oversized body, top_k out of range, a form body);
* the corpus changes and `briefing-qa build-index` runs --rebuilds times (the server switches
  to each new version while answering);
* halfway through, one worker gets SIGTERM (as an orchestrator stops a pod) and the supervisor
  starts a new one.

It prints what came back by kind and status, and fails (exit 1) on any 5xx, any connection
error, any valid question not answered 200, or any invalid request not answered 4xx. A client
whose kept-alive connection was closed by the stopping worker reconnects and resends (what any
HTTP client pool does); those resends are counted and shown.

Run: .venv/bin/python scripts/bench/load_faults.py [--seconds 60 --clients 16 --rebuilds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (  # noqa: E402
    dev_questions,
    distinct_questions,
    free_port,
    process_tree,
    wait_for_answer,
)

INVALID: list[tuple[str, bytes, str]] = [
    ("empty question", b'{"question": ""}', "application/json"),
    ("blank question", b'{"question": "  \\u200b "}', "application/json"),
    ("wrong type", b'{"question": 42}', "application/json"),
    ("broken JSON", b'{"question": "unterminated', "application/json"),
    ("JSON array", b'["question"]', "application/json"),
    ("top_k too big", b'{"question": "Who?", "top_k": 99}', "application/json"),
    ("history not a list", b'{"question": "Who?", "history": "x"}', "application/json"),
    ("too long", json.dumps({"question": "x" * 1001}).encode(), "application/json"),
    ("oversized body", json.dumps({"question": "y" * 70_000}).encode(), "application/json"),
    ("form body", b"question=hello", "application/x-www-form-urlencoded"),
    ("not UTF-8", b'{"question": "\xff\xfe"}', "application/json"),
]


class Client:
    """One keep-alive connection that reconnects when the server closed it between requests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.resends = 0

    def post(self, body: bytes, content_type: str) -> int:
        for attempt in (1, 2):
            try:
                self.conn.request("POST", "/ask", body=body, headers={"Content-Type": content_type})
                response = self.conn.getresponse()
                response.read()
                if response.getheader("connection", "").lower() == "close":
                    self._reconnect()
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed this kept-alive connection (a worker stopping): a fresh
                # connection reaches a live worker. A second failure is a real error.
                self._reconnect()
                if attempt == 2:
                    raise
                self.resends += 1
        raise AssertionError("unreachable")

    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)


def _is_worker(pid: int) -> bool:
    """A uvicorn worker process (not the supervisor or multiprocessing's helpers)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"multiprocessing.spawn" in cmdline or b"spawn_main" in cmdline


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rebuilds", type=int, default=5)
    parser.add_argument("--invalid-share", type=float, default=0.3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="briefing-qa-faults-"))
    corpus = workdir / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {
        **os.environ,
        "BRIEFING_QA_CORPUS_DIR": str(corpus),
        "BRIEFING_QA_INDEX_DIR": str(workdir / "index"),
        "BRIEFING_QA_RELOAD_CHECK_SECONDS": "0.5",
        "BRIEFING_QA_RATE_LIMIT_PER_MINUTE": "0",  # every client here shares 127.0.0.1
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "briefing-qa"), "build-index", "--quiet"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [str(bin_dir / "briefing-qa"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Distinct wordings, so the answer cache does not make the load easy.
    questions = distinct_questions(dev_questions(ROOT / "tests" / "data" / "dev.jsonl"), 7000)
    outcomes: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    resends = [0]
    lock = threading.Lock()
    stop = threading.Event()
    versions: set[str] = set()

    def run_client(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port)
        while not stop.is_set():
            if rng.random() < args.invalid_share:
                name, body, content_type = rng.choice(INVALID)
                kind = "invalid"
            else:
                name, kind, content_type = "valid", "valid", "application/json"
                body = json.dumps({"question": rng.choice(questions)}).encode()
            try:
                status = client.post(body, content_type)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    failures.append(f"{kind} {name}: {type(exc).__name__}: {exc}")
                continue
            with lock:
                outcomes[(kind, status)] += 1
                bad = (kind == "valid" and status != 200) or (
                    kind == "invalid" and not 400 <= status < 500
                )
                if bad:
                    failures.append(f"{kind} {name}: HTTP {status}")
        with lock:
            resends[0] += client.resends

    try:
        wait_for_answer(port, 180, server)
        started = time.monotonic()
        threads = [threading.Thread(target=run_client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        events: list[str] = []
        killed = False
        for n in range(args.rebuilds):
            target = started + (n + 1) * args.seconds / (args.rebuilds + 1)
            while time.monotonic() < target:
                if not killed and time.monotonic() - started > args.seconds / 2:
                    workers = [p for p in process_tree(server.pid) if _is_worker(p)]
                    victim = workers[0]
                    os.kill(victim, signal.SIGTERM)
                    events.append(f"{time.monotonic() - started:5.1f}s SIGTERM worker {victim}")
                    killed = True
                time.sleep(0.1)
            (corpus / f"update-{n}.txt").write_text(
                f"Update {n}\nNotes\nThe monitoring mission number {n} visited Almaty in "
                f"20{10 + n}.\nIt met {n + 3} civil society groups.\n"
            )
            build = subprocess.run(
                [str(bin_dir / "briefing-qa"), "build-index", "--quiet"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            version = (workdir / "index" / "CURRENT").read_text().strip()
            versions.add(version)
            events.append(
                f"{time.monotonic() - started:5.1f}s rebuild {n + 1}: {version} "
                f"(exit {build.returncode})"
            )
        while time.monotonic() < started + args.seconds:
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.monotonic() - started
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/health")
        served = json.loads(conn.getresponse().read())["index_version"]
        alive = [p for p in process_tree(server.pid) if _is_worker(p)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    total = sum(outcomes.values()) + len([f for f in failures if "Error" in f])
    valid = sum(n for (kind, _), n in outcomes.items() if kind == "valid")
    valid_ok = outcomes[("valid", 200)]
    server_errors = sum(n for (_, status), n in outcomes.items() if status >= 500)
    connection_errors = sum(1 for f in failures if "HTTP" not in f)
    print("\n".join(events))
    print(
        f"\nrequests: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s), "
        f"{args.clients} clients, {args.rebuilds} rebuilds, 1 worker restarted "
        f"(workers alive at the end: {len(alive)})"
    )
    print(f"valid questions: {valid}, answered 200: {valid_ok}")
    for (kind, status), n in sorted(outcomes.items()):
        print(f"  {kind:<8} HTTP {status}: {n}")
    print(
        f"5xx: {server_errors}   connection errors: {connection_errors}   "
        f"resent after a closed keep-alive connection: {resends[0]}"
    )
    print(f"index versions published: {len(versions)}; serving the last: {served in versions}")
    if failures:
        print("\nfailures (first 20):\n  " + "\n  ".join(failures[:20]))
    ok = not failures and valid_ok == valid and server_errors == 0 and served in versions
    print("\nRESULT:", "PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
