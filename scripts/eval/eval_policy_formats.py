"""The policy set's answerable questions and refusals per format (PDF, text, HTML), scored by
its README, with the code first on ``sys.path``.

Made to compare commits on the same questions: run it from this checkout for today's code, or
from an older commit's worktree (``git worktree add /tmp/before REV``, then
``PYTHONPATH=/tmp/before .venv/bin/python scripts/eval/eval_policy_formats.py``) for the "before"
figures in docs/quality.md. The shipped decision model was trained on these questions, so
today's figures are in-sample; the held-out ones come from ``scripts/training/train_decision.py``.

Run: .venv/bin/python scripts/eval/eval_policy_formats.py   (~3 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from index import Embedder, build_index, load_index
from service.answering import Answerer, DecisionModel
from service.cli.evaluation import has_policy_span

POLICY = Path(__file__).resolve().parents[2] / "tests" / "data" / "policy"
FORMAT_BY_SUFFIX = {".pdf": "pdf", ".txt": "text", ".md": "text", ".html": "html"}


def formats_by_document(corpus: Path) -> dict[str, str]:
    """Each document's name as the questions give it ("fhs-3.0"), with its format."""
    return {f.stem: FORMAT_BY_SUFFIX[f.suffix] for f in corpus.iterdir() if f.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path, default=POLICY)
    parser.add_argument(
        "--model-cache", type=Path, default=Path("var/models/all-MiniLM-L6-v2-onnx-v2")
    )
    args = parser.parse_args()
    embedder = Embedder("onnx", args.model_cache)
    with tempfile.TemporaryDirectory() as folder:
        build_index(args.policy / "corpus", Path(folder), embedder)
        index = load_index(Path(folder))
        answerer = Answerer(embedder, lambda: index, DecisionModel())
        formats = formats_by_document(args.policy / "corpus")
        scores: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        for line in (args.policy / "questions.jsonl").read_text().splitlines():
            row = json.loads(line)
            answer = answerer.ask(row["question"])
            if row.get("answerable", True):
                shelf = scores[formats[row["document"]]]
                shelf["accuracy"].append(
                    answer.answered and has_policy_span(answer.answer, row["answers"])
                )
                cited = [c.text for c in answer.citations[:3]]
                shelf["r_at_3"].append(any(has_policy_span(text, row["answers"]) for text in cited))
            else:
                scores["unanswerable"]["abstention"].append(not answer.answered)
    for name, shelf in scores.items():
        figures = {k: f"{sum(v) / len(v):.3f} of {len(v)}" for k, v in shelf.items()}
        print(name, figures)


if __name__ == "__main__":
    main()
