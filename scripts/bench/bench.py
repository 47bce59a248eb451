"""Speed benchmark over HTTP: start the server the way users do and measure it.

Measures, in one run on this machine:

* index build time for the corpus (fresh index folder and embedding cache);
* time from process start to the first answered /ask, with that index already built;
* latency p50/p95/p99 at one client, every question asked once;
* throughput and errors at N concurrent clients for S seconds, every question distinct;
* the same load from wrk (Debian's ``wrk``, when installed) with ``--timeout 1s``: how many
  requests were not answered within a second, and the latency percentiles wrk measures;
* peak RSS of all server processes;
* the same single-client latency for a naive baseline (sentence-transformers on torch + flat
  FAISS over 1,000-character chunks, scripts/bench/naive_baseline.py) and the speed-up at p50.

Questions come from the dev set; the throughput phase makes distinct strings from them with
neutral openers and closers, so the answer cache never sees a repeat.

Run: .venv/bin/python scripts/bench/bench.py [--seconds 30 --clients 16 --workers 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from itertools import product
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OPENERS = [
    "",
    "Quick question: ",
    "Please tell me: ",
    "I'd like to know: ",
    "Briefly, ",
    "According to the briefing, ",
    "Could you check: ",
    "One more: ",
    "Help me out: ",
    "For my notes: ",
    "I wonder: ",
    "Question: ",
]
CLOSERS = [
    "",
    " Thanks.",
    " Thank you.",
    " Cheers.",
    " Please quote the briefing.",
    " Be brief.",
    " With sources, please.",
    " Many thanks.",
    " Cite it, please.",
    " Short answer, please.",
]


def build_index_with_cli(env: dict[str, str]) -> None:
    """`briefing-qa build-index` as users run it, with the folders ``env`` names."""
    subprocess.run(
        [str(Path(sys.executable).parent / "briefing-qa"), "build-index", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def dev_questions(path: Path) -> list[str]:
    """Every question of the dev set (single questions and conversation turns), once."""
    questions: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "turns" in row:
            questions.extend(turn["question"] for turn in row["turns"])
        else:
            questions.append(row["question"])
    return list(dict.fromkeys(questions))


def distinct_questions(base: list[str], count: int) -> list[str]:
    """At least ``count`` distinct question strings built from ``base``."""
    made = [f"{o}{q}{c}" for o, c, q in product(OPENERS, CLOSERS, base)]
    if len(made) < count:
        raise SystemExit(f"only {len(made)} distinct questions; lower --seconds or --clients")
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(conn: http.client.HTTPConnection, question: str) -> tuple[int, float]:
    """POST /ask on a kept-alive connection; returns (status, milliseconds)."""
    body = json.dumps({"question": question})
    started = time.perf_counter()
    conn.request("POST", "/ask", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def wait_for_answer(port: int, timeout: float, process: subprocess.Popen[bytes]) -> float:
    """Seconds until /ask answers 200 (polling), measured from now."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            status, _ = post(conn, "What does the briefing say about press freedom?")
            conn.close()
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"no answer from port {port} within {timeout} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def single_client(port: int, questions: list[str]) -> dict[str, float]:
    """Latency at one client, each question once (after 5 warm-up requests)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for q in questions[:5]:
        post(conn, "Warm-up: " + q)
    timings = []
    errors = 0
    for q in questions:
        status, ms = post(conn, q)
        errors += status != 200
        timings.append(ms)
    conn.close()
    return {
        "requests": len(timings),
        "errors": errors,
        "p50_ms": round(percentile(timings, 50), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
    }


def concurrent_clients(
    port: int, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """Requests per second and errors at ``clients`` concurrent keep-alive clients."""
    cursor = iter(range(len(questions)))
    lock = threading.Lock()
    results: list[tuple[int, float]] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < deadline:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            try:
                outcome = post(conn, questions[i])
            except (OSError, http.client.HTTPException) as exc:
                failures.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            with lock:
                results.append(outcome)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ok = [ms for status, ms in results if status == 200]
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(results) + len(failures),
        "answered": len(ok),
        "errors": len(results) - len(ok) + len(failures),
        "requests_per_second": round(len(ok) / elapsed, 1),
        "p50_ms": round(percentile(ok, 50), 2) if ok else None,
        "p99_ms": round(percentile(ok, 99), 2) if ok else None,
    }


WRK_SCRIPT = """
-- Each wrk thread posts its own slice of the distinct questions, so none repeats.
local questions = {%s}
local counter, step = 0, 1
function setup(thread)
  thread:set("offset", #threads_seen)
  table.insert(threads_seen, thread)
end
threads_seen = {}
function init(args)
  counter = offset
  step = %d
end
function request()
  counter = counter + step
  local q = questions[(counter %% #questions) + 1]
  return wrk.format("POST", "/ask", {["Content-Type"] = "application/json"}, q)
end
"""


def wrk_load(port: int, questions: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` connections from wrk for ``seconds``, each request given 1 s: answered,
    timed out (not answered within 1 s) and wrk's latency percentiles."""
    bodies = ",".join(_lua_string(json.dumps({"question": q})) for q in questions)
    threads = min(clients, 2)  # wrk shares the 2 cores with the server: 2 threads suffice
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (bodies, threads))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{seconds:.0f}s",
        "--timeout",
        "1s",
        "--latency",
        "-s",
        script.name,
        f"http://127.0.0.1:{port}",
    ]
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    return _parse_wrk(out, clients)


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _parse_wrk(out: str, clients: int) -> dict[str, Any]:
    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    def ms(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
        return round(float(found.group(1)) * scale, 2)

    requests = int(number(r"(\d+) requests in"))
    non_2xx = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    return {
        "clients": clients,
        "requests": requests,
        "answered_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "timeouts_over_1s": int(number(r"timeout (\d+)")),
        "socket_errors": int(
            sum(float(x) for x in re.findall(r"(?:connect|read|write) (\d+)", out))
        ),
        "non_2xx": non_2xx,
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
    }


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def peak_rss_mb(pid: int) -> float:
    """Sum over the process tree of each process's peak resident set (VmHWM)."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "dev.jsonl")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "bench.json")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    bin_dir = Path(sys.executable).parent
    workdir = Path(tempfile.mkdtemp(prefix="briefing-qa-bench-"))
    env = {
        **os.environ,
        "BRIEFING_QA_CORPUS_DIR": str(args.corpus),
        "BRIEFING_QA_INDEX_DIR": str(workdir / "index"),
        "BRIEFING_QA_WORKERS": str(args.workers),
        # All benchmark clients share 127.0.0.1: a per-address limit would measure the limiter.
        "BRIEFING_QA_RATE_LIMIT_PER_MINUTE": "0",
    }
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    try:
        print("building the index (fresh folder and embedding cache)…", flush=True)
        started = time.perf_counter()
        build_index_with_cli(env)
        report["index_build_seconds"] = round(time.perf_counter() - started, 2)

        port = free_port()
        print(f"starting briefing-qa serve on port {port}…", flush=True)
        server = start([str(bin_dir / "briefing-qa"), "serve", "--port", str(port)], env)
        try:
            report["first_answer_seconds"] = round(wait_for_answer(port, 120, server), 2)
            base = dev_questions(args.questions)
            print(f"single client, {len(base) * 2} distinct questions…", flush=True)
            single = base + [f"Please tell me: {q}" for q in base]
            report["single_client"] = single_client(port, single)
            needed = int(args.seconds * 600)
            pool = [q for q in distinct_questions(base, min(needed, 7000)) if q not in set(single)]
            print(f"{args.clients} clients for {args.seconds:.0f} s…", flush=True)
            report["concurrent"] = concurrent_clients(port, pool, args.clients, args.seconds)
            if shutil.which("wrk"):
                fresh = distinct_questions(["Once more, " + q for q in base], min(needed, 7000))
                print(f"wrk: {args.clients} connections for {args.seconds:.0f} s…", flush=True)
                report["wrk"] = wrk_load(port, fresh, args.clients, args.seconds)
            report["peak_rss_mb"] = peak_rss_mb(server.pid)
        finally:
            stop(server)

        if not args.skip_baseline:
            port = free_port()
            print("starting the naive baseline (torch + flat FAISS)…", flush=True)
            baseline = start(
                [
                    sys.executable,
                    "scripts/bench/naive_baseline.py",
                    "--corpus",
                    str(args.corpus),
                    "--port",
                    str(port),
                ],
                env,
            )
            try:
                wait_for_answer(port, 180, baseline)
                report["naive_baseline_single_client"] = single_client(port, single)
            finally:
                stop(baseline)
            ours = report["single_client"]["p50_ms"]
            theirs = report["naive_baseline_single_client"]["p50_ms"]
            report["speedup_p50"] = round(theirs / ours, 2)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\nJSON written to {args.json}")


def print_table(report: dict[str, Any]) -> None:
    single = report["single_client"]
    conc = report["concurrent"]
    rows = [
        ("index build (s)", report["index_build_seconds"]),
        ("start to first answer (s)", report["first_answer_seconds"]),
        (
            "1 client p50 / p95 / p99 (ms)",
            f"{single['p50_ms']} / {single['p95_ms']} / {single['p99_ms']}",
        ),
        ("1 client requests, errors", f"{single['requests']}, {single['errors']}"),
        (f"{conc['clients']} clients answered/s", conc["requests_per_second"]),
        (f"{conc['clients']} clients requests, errors", f"{conc['requests']}, {conc['errors']}"),
        (f"{conc['clients']} clients p50 / p99 (ms)", f"{conc['p50_ms']} / {conc['p99_ms']}"),
        ("peak RSS, all server processes (MB)", report["peak_rss_mb"]),
    ]
    if "wrk" in report:
        wrk = report["wrk"]
        rows += [
            (f"wrk {wrk['clients']} connections answered/s", wrk["answered_per_second"]),
            (
                "wrk requests, not answered within 1 s, non-2xx",
                f"{wrk['requests']}, {wrk['timeouts_over_1s']}, {wrk['non_2xx']}",
            ),
            ("wrk p50 / p90 / p99 (ms)", f"{wrk['p50_ms']} / {wrk['p90_ms']} / {wrk['p99_ms']}"),
            ("wrk p99 / p50", round(wrk["p99_ms"] / wrk["p50_ms"], 2)),
        ]
    if "naive_baseline_single_client" in report:
        naive = report["naive_baseline_single_client"]
        rows.append(
            ("naive baseline 1 client p50 / p99 (ms)", f"{naive['p50_ms']} / {naive['p99_ms']}")
        )
        rows.append(("speed-up at p50 (baseline / ours)", f"{report['speedup_p50']}x"))
    width = max(len(name) for name, _ in rows)
    print()
    print(f"| {'measure':<{width}} | value |")
    print(f"| {'-' * width} | --- |")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
