"""A reading worker (``python -m index.formats.worker OPTIONS_JSON``), started by
:mod:`index.formats.isolation`: limits its own memory, then reads one file per line of
standard input (a JSON string: the path) and answers one line of JSON on standard output — the
document model, or ``{"error": why}``."""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
from pathlib import Path
from typing import Any

from ..problems import DocumentError
from .options import ReadOptions
from .parse import parse_file


def main() -> None:
    """Serve reading requests until standard input closes."""
    options = ReadOptions(**json.loads(sys.argv[1]))
    limit = options.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        answer = _read(Path(json.loads(line)), options)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _read(path: Path, options: ReadOptions) -> dict[str, Any]:
    try:
        parsed = parse_file(path, path.read_bytes(), options)
    except DocumentError as exc:
        return {"error": str(exc)}
    except MemoryError:
        return {"error": f"reading it needs more than {options.memory_mb:,} MB of memory"}
    except RecursionError:
        return {"error": "nested too deeply to read"}
    except Exception as exc:  # a broken file can raise almost anything from its parser
        return {"error": f"cannot parse ({type(exc).__name__}: {exc})"}
    answer = dataclasses.asdict(parsed)
    answer["blocks"] = [dataclasses.astuple(b) for b in parsed.blocks]
    return answer


if __name__ == "__main__":
    main()
