"""What the packages read at run time ships in their wheel: every file beside the code in
``service/`` and ``index/`` matches a ``package-data`` pattern of its package (a model file left
out made a non-editable install run without it, silently)."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _data_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "service", "index"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return [path for path in listed if not path.endswith(".py")]


def test_every_data_file_is_package_data() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    patterns = setuptools["package-data"]
    files = _data_files()
    assert "service/answering/model/precedents.npz" in files  # the listing itself works
    missing = []
    for path in files:
        folder = Path(path).parent
        # The deepest listed package holding the file decides, as setuptools does.
        owners = [p for p in setuptools["packages"] if folder.is_relative_to(Path(*p.split(".")))]
        package = max(owners, key=len)
        relative = str(Path(path).relative_to(Path(*package.split("."))))
        if not any(fnmatch.fnmatch(relative, glob) for glob in patterns.get(package, [])):
            missing.append(path)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
