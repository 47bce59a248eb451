"""The lock: every package the app and the tests install, pinned with its hashes, made from
``pyproject.toml`` by one command and checked against it in CI (issue #30).

    .venv/bin/python scripts/lock.py            # write requirements/app.txt and test.txt
    .venv/bin/python scripts/lock.py --upgrade  # the same, every package at its newest
    .venv/bin/python scripts/lock.py --check    # exit 1 when pyproject.toml moved on

Both README commands install from these files: with every version pinned, pip has nothing to
search (an unpinned install once spent 20 minutes backtracking through optimum, transformers
and kernels). torch stays out of the files: it is installed first, ``torch==2.13.0``, from the
CPU build on this disk (a bare requirement would pull a multi-GB CUDA build), and resolved
here from that same wheel (``--find-links``), so its own dependencies are the CPU build's.

Each file's first line is a fingerprint of what it was made from (the dependency lists and
the Python requirement of ``pyproject.toml``); ``--check`` recomputes it offline and also
checks that every direct requirement is pinned at a version it allows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# The torch the README installs first; resolved from the CPU wheel found by --find-links.
TORCH = "torch==2.13.0"
TORCH_WHEELS = Path("/opt/wheels")
LOCKS = {"app.txt": [], "test.txt": ["test"]}
_FINGERPRINT = re.compile(r"^# fingerprint: ([0-9a-f]{64})$", re.M)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def fingerprint(project: dict[str, object], extras: list[str]) -> str:
    """A digest of what a lock is made from: Python's range, the dependencies, the extras."""
    optional = project.get("optional-dependencies") or {}
    assert isinstance(optional, dict)
    made_from = {
        "requires-python": project.get("requires-python"),
        "dependencies": sorted(project.get("dependencies") or []),  # type: ignore[call-overload]
        "extras": {name: sorted(optional.get(name, [])) for name in extras},
    }
    return hashlib.sha256(json.dumps(made_from, sort_keys=True).encode()).hexdigest()


def direct_requirements(project: dict[str, object], extras: list[str]) -> list[Requirement]:
    """The requirements ``pyproject.toml`` names for the app and ``extras``."""
    optional = project.get("optional-dependencies") or {}
    assert isinstance(optional, dict)
    names = list(project.get("dependencies") or [])  # type: ignore[call-overload]
    for extra in extras:
        names += optional.get(extra, [])
    return [Requirement(r) for r in names]


def pins(lock_text: str) -> dict[str, Version]:
    """Package name → pinned version, as a lock file lists them."""
    return {canonicalize_name(m[1]): Version(m[2]) for m in _PIN.finditer(lock_text)}


def problems(pyproject: Path, lock_dir: Path) -> list[str]:
    """Why the locks in ``lock_dir`` do not match ``pyproject`` (empty: they match)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found = []
    for name, extras in LOCKS.items():
        path = lock_dir / name
        if not path.exists():
            found.append(f"{path.name} is missing")
            continue
        text = path.read_text(encoding="utf-8")
        stamp = _FINGERPRINT.search(text)
        if stamp is None or stamp[1] != fingerprint(project, extras):
            found.append(f"{path.name} was made from another pyproject.toml")
        pinned = pins(text)
        for requirement in direct_requirements(project, extras):
            key = canonicalize_name(requirement.name)
            if key == "torch":  # installed first, from the CPU wheel (see above)
                continue
            version = pinned.get(key)
            if version is None:
                found.append(f"{path.name} does not pin {requirement.name}")
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(f"{path.name} pins {requirement.name}=={version}, not {requirement}")
    found += _disagreements(lock_dir)
    return found


def _disagreements(lock_dir: Path) -> list[str]:
    """Packages the app's and the tests' locks pin at different versions: the tests must run
    what users install."""
    app, test = (lock_dir / "app.txt", lock_dir / "test.txt")
    if not (app.exists() and test.exists()):
        return []
    ours, theirs = pins(app.read_text(encoding="utf-8")), pins(test.read_text(encoding="utf-8"))
    return [
        f"app.txt pins {name}=={ours[name]} but test.txt {theirs[name]}"
        for name in sorted(ours.keys() & theirs.keys())
        if ours[name] != theirs[name]
    ]


def compile_lock(
    pyproject: Path, lock_dir: Path, name: str, extras: list[str], upgrade: bool = False
) -> None:
    """Resolve ``pyproject`` (with ``extras``) into ``lock_dir/name`` with uv, hashes included.
    The versions the file pins already are kept where they still fit, unless ``upgrade``."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    constraints = lock_dir / ".torch-constraint.txt"
    constraints.write_text(TORCH + "\n", encoding="utf-8")
    command = [
        uv, "pip", "compile", str(pyproject), "--quiet", "--generate-hashes",
        "--python-version", "3.11", "--no-emit-package", "torch", "--no-header",
        "--constraint", str(constraints), "--find-links", str(TORCH_WHEELS),
        "--output-file", str(lock_dir / name),
    ]  # fmt: skip
    if upgrade:
        command.append("--upgrade")
    for extra in extras:
        command += ["--extra", extra]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    finally:
        constraints.unlink()
    resolved = "".join(
        line
        for line in (lock_dir / name).read_text(encoding="utf-8").splitlines(keepends=True)
        if not line.startswith("# ")  # our header, from the last run
    )
    made_from = "pyproject.toml" + (f" [{','.join(extras)}]" if extras else "")
    header = (
        f"# fingerprint: {fingerprint(project, extras)}\n"
        f"# Made by scripts/lock.py from {made_from} — do not edit; run it again after changing"
        " the dependencies.\n"
        f"# torch is not listed: install {TORCH} first (the CPU build).\n"
    )
    (lock_dir / name).write_text(header + resolved, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    parser.add_argument("--upgrade", action="store_true", help="newest versions, not the pinned")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--lock-dir", type=Path, default=ROOT / "requirements")
    args = parser.parse_args()
    if not args.check:
        args.lock_dir.mkdir(exist_ok=True)
        for name, extras in LOCKS.items():
            compile_lock(args.pyproject, args.lock_dir, name, extras, args.upgrade)
            print(f"wrote {args.lock_dir / name}")
    found = problems(args.pyproject, args.lock_dir)
    for problem in found:
        print(f"lock out of date: {problem} — run `python scripts/lock.py`", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
