"""Keep the gathered training questions (``decision_data.collect``: ten minutes on 2 cores)
between runs of ``train_decision.py --examples-cache``, to rework what comes after gathering —
composing and citing the answer, the replay, the report — without gathering again.

The cache is keyed on the source of everything that gathering runs (``index/``,
``service/``, the training data modules) and the question files, less the modules that only
read candidates after they are gathered (``AFTER_GATHERING``): a change to gathering or a
feature gathers again; a change to composition reuses. The indexes are not pickled: each
example names its index by folder, version and view, and loading the cache loads each index once.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from decision_data import Example

from index import IndexProblem, LoadedIndex, load_index

ROOT = Path(__file__).resolve().parents[2]
# Read only once the candidates are gathered: changing them leaves the gathered examples valid.
AFTER_GATHERING = frozenset(
    {
        "service/answering/composition.py",
        "service/answering/excerpts.py",
        "service/answering/citations.py",
        "service/answering/refusals.py",
        "service/answering/decision.py",
        "service/answering/settling.py",
    }
)
GATHERING_SCRIPTS = ("decision_data.py", "policyqa_data.py", "precedent_bank.py")


def key(question_files: list[Path]) -> str:
    """A digest of the gathering code and the question files."""
    digest = hashlib.sha256()
    sources = sorted((ROOT / "index").rglob("*.py")) + sorted((ROOT / "service").rglob("*.py"))
    sources += [ROOT / "scripts" / "training" / name for name in GATHERING_SCRIPTS]
    for path in sources + sorted(question_files):
        relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        if relative in AFTER_GATHERING:
            continue
        digest.update(relative.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, LoadedIndex):
            scope = None if obj.scope is None else sorted(obj.scope.documents)
            return ("index", str(obj.path.parent.parent), obj.version, scope)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any) -> None:
        super().__init__(file)
        self.loaded: dict[tuple[str, str], LoadedIndex] = {}

    def persistent_load(self, pid: Any) -> Any:
        _, index_dir, version, scope = pid
        if (index_dir, version) not in self.loaded:
            self.loaded[index_dir, version] = load_index(Path(index_dir), version)
        return self.loaded[index_dir, version].within(scope)


def cached(
    cache: Path | None, question_files: list[Path], gather: Callable[[], list[Example]]
) -> list[Example]:
    """``gather()``'s examples, read from ``cache`` when it was written for the same
    gathering code and questions (and written there when it was not)."""
    if cache is None:
        return gather()
    digest = key(question_files)
    if cache.is_file():
        with cache.open("rb") as stored:
            if pickle.load(stored) == digest:
                try:
                    examples: list[Example] = _Unpickler(stored).load()
                    print("  gathered questions: from the cache", file=sys.stderr)
                    return examples
                except IndexProblem as exc:  # an index version it names was replaced
                    print(f"  gathered questions: cache unusable ({exc})", file=sys.stderr)
    examples = gather()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as out:
        pickle.dump(digest, out)
        _Pickler(out).dump(examples)
    return examples
