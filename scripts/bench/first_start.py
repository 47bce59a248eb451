"""A newcomer's first start, timed (issue #30): a fresh clone, a fresh virtual environment,
the README's first command verbatim, until the first answer comes from http://127.0.0.1:8000.

Run: .venv/bin/python scripts/bench/first_start.py [--python python3.11] [--keep]

It clones this checkout's HEAD (commit first) into a temporary folder, runs the first fenced
command of README.md there with bash (so it installs from the lock with the pip that the
given Python bundles), and asks the briefing's opening question every second. It prints the
seconds to each stage it can see (venv made, torch in, the lock in, the server up, the first
answer) and stops the server. Port 8000 must be free.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What is the document about?"
LIMIT_SECONDS = 900


def first_command(readme: Path) -> str:
    """The first fenced bash block of the README: the install-and-run command."""
    block = re.search(r"```bash\n(.+?)\n```", readme.read_text(encoding="utf-8"), re.S)
    if block is None:
        raise SystemExit("README.md has no ```bash block")
    return block.group(1).strip()


def wait_for_answer(started: float, process: subprocess.Popen[bytes]) -> float:
    """Seconds from ``started`` to the first 200 from /ask."""
    while time.monotonic() - started < LIMIT_SECONDS:
        if process.poll() is not None:
            raise SystemExit(f"the command ended with {process.returncode} before answering")
        try:
            reply = httpx.post("http://127.0.0.1:8000/ask", json={"question": QUESTION}, timeout=30)
            if reply.status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"no answer within {LIMIT_SECONDS} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3.11", help="the interpreter README names")
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="first-start-"))
    clone = work / "briefing-qa"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    command = first_command(clone / "README.md")
    if args.python != "python3.11":
        command = command.replace("python3.11", args.python)
    print(f"$ {command}")
    log = (work / "first-start.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFING_QA_", "VIRTUAL"))}
    started = time.monotonic()
    process = subprocess.Popen(
        ["bash", "-c", command], cwd=clone, stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        seconds = wait_for_answer(started, process)
        pip = subprocess.run(
            [str(clone / ".venv/bin/pip"), "--version"], capture_output=True, text=True
        ).stdout.split(" from ")[0]
        print(f"first answer {seconds:.0f} s after the command started ({pip} installed it)")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()
        print(f"log: {work / 'first-start.log'}")
        if not args.keep:
            shutil.rmtree(clone, ignore_errors=True)


if __name__ == "__main__":
    main()
