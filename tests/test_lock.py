"""The lock matches pyproject.toml (issue #30): both README commands install from
requirements/*.txt, so a dependency changed in pyproject.toml without a new lock must fail CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "scripts" / "lock.py"


def _check(pyproject: Path, lock_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOCK), "--check", "--pyproject", str(pyproject),
         "--lock-dir", str(lock_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_lock_matches_pyproject() -> None:
    result = _check(ROOT / "pyproject.toml", ROOT / "requirements")
    assert result.returncode == 0, result.stderr


def test_lock_check_fails_when_a_dependency_changes(tmp_path: Path) -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed = tmp_path / "pyproject.toml"
    changed.write_text(text.replace('"bm25s>=0.2",', '"bm25s>=0.2",\n    "rapidfuzz>=3",'))
    result = _check(changed, ROOT / "requirements")
    assert result.returncode == 1
    assert "made from another pyproject.toml" in result.stderr
    assert "does not pin rapidfuzz" in result.stderr


def test_lock_check_fails_when_a_pin_leaves_its_range(tmp_path: Path) -> None:
    for name in ("app.txt", "test.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("\nfastapi==", "\nfastapi==0.1.0\nold-fastapi=="))
    result = _check(ROOT / "pyproject.toml", tmp_path)
    assert result.returncode == 1
    assert "pins fastapi==0.1.0" in result.stderr


def test_lock_holds_no_package_the_code_does_not_use() -> None:
    """sentence-transformers' [onnx] extra pulled optimum into a 20-minute pip search."""
    for name in ("app.txt", "test.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8").lower()
        assert "\noptimum" not in text
        assert "\nnvidia-" not in text  # torch's CUDA build
