"""Training data for the decision model: every candidate sentence of every question, with its
features and whether it holds the answer. Used by ``scripts/training/train_decision.py``.

The question sets and their corpora (all in the repo, so training is reproducible offline):

* the shared SQuAD articles (``tests/data/squad``): one group per article;
* the briefing's sets (``tests/data/{dev,holdout,fresh,extra}.jsonl``): one group, "briefing";
* the policy set (``tests/data/policy``: the Debian Policy Manual as a PDF, two text policies,
  the FHS as HTML, with questions and three-turn conversations): one group per document, and
  the Policy Manual one per chapter (the chapter where the answer is; for a question it does
  not answer, where its best passage is). A follow-up is gathered with the earlier turns'
  evidence as what they answered (as if they were answered right);
* off-topic questions: each set's answerable questions asked of the other corpus (SQuAD's of
  the briefing, the briefing's of the SQuAD articles), where nothing answers them — users ask
  about what their documents do not cover, and SQuAD's own unanswerable questions are all
  near misses. Each is grouped by the corpus it is asked of (the briefing; for the SQuAD
  articles, the article its best passage is in), so a held-out document is held out with every
  question asked of it; it keeps the question set it came from (``source``) for weighting;
* PolicyQA (``../shared/eval/policyqa``; ``scripts/training/policyqa_data.py``): up to 60
  questions of each of its 20 website privacy policies, each asked of its own policy as the
  evaluation asks it; one group per policy.

Every answered question also becomes a precedent for the others (``precedent_bank.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np
import policyqa_data
import precedent_bank
from precedent_bank import answered_cases
from tqdm import tqdm

from index import Embedder, LoadedIndex, build_index, load_index
from service.answering import Answerer, Gathered, Turn
from service.answering.precedents import FILE_NAME as PRECEDENTS_FILE
from service.answering.precedents import Precedents
from service.cli.evaluation import Case, case_correct, load_cases, policy_normalize

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SETS = (
    (
        "briefing",
        ROOT / "corpus",
        [DATA / f"{n}.jsonl" for n in ("dev", "holdout", "fresh", "extra")],
    ),
    ("squad", DATA / "squad" / "corpus", [DATA / "squad" / "questions.jsonl"]),
    (
        "policy",
        DATA / "policy" / "corpus",
        [DATA / "policy" / "questions.jsonl", DATA / "policy" / "conversations.jsonl"],
    ),
)
# Groups of cross-validation that are not one SQuAD article each.
OWN_GROUPS = ("briefing",)
# One group in this many (by a hash of its name, so by no figure) is for development: hand
# tunables are chosen on its held-out answers (scripts/training/tune_development.py) and no
# reported figure includes it. The briefing's one group is always reported.
DEVELOPMENT_EVERY = 5
POLICY_PREFIX = "policy:"


@dataclass
class Example:
    """One question with what the pipeline found for it and its labels."""

    case: Case
    group: str
    index: LoadedIndex
    found: Gathered
    labels: np.ndarray
    off_topic: bool = False
    # The question set the question came from ("squad", "briefing", "policy", "policyqa"): what the
    # training weights balance. ``group`` is where it is asked, what cross-validation holds out.
    source: str = ""
    # Learnt from by the ranker alone (``policyqa_data.RANKER_PER_POLICY``): no classifier,
    # threshold, confidence or figure reads it (``decision_and_ranker_only`` splits them off).
    ranker_only: bool = False


def file_digest(path: Path) -> str:
    """sha256 of a file, for the manifest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# One SQuAD question in this many is asked of the briefing as an off-topic question.
OFF_TOPIC_EVERY = 3


def collect(embedder: Embedder, work_dir: Path) -> list[Example]:
    """Build (or reuse) an index per corpus and gather every question's candidates (the
    precedent bank they are gathered with is written to ``work_dir``)."""
    indexes: dict[str, LoadedIndex] = {}
    cases_by_set: dict[str, list[Case]] = {}
    for name, corpus, files in SETS:
        build_index(corpus, work_dir / name, embedder)
        indexes[name] = load_index(work_dir / name)
        cases_by_set[name] = [c for f in files for c in load_cases(f)]
    policies, policyqa_asked = policyqa_data.questions(embedder, work_dir)
    # Every question's answer, as a precedent for the others (read in other documents only).
    asked = [a for n, cases in cases_by_set.items() for a in answered_cases(indexes[n], cases)]
    asked += [(policies, q, s) for q, s in policyqa_data.every_answered(policies, work_dir)]
    bank = precedent_bank.build(embedder, asked)
    bank.save(work_dir / PRECEDENTS_FILE)
    examples: list[Example] = []
    for name, cases in cases_by_set.items():
        examples += _gather(embedder, indexes[name], cases, name, bank, off_topic=False)
    for name, other in (("squad", "briefing"), ("briefing", "squad"), ("policy", "briefing")):
        asked_elsewhere = [
            c for c in cases_by_set[name] if c.answerable and not c.history_questions
        ]
        if name == "squad":
            asked_elsewhere = asked_elsewhere[::OFF_TOPIC_EVERY]
        own = {d.digest for d in indexes[name].documents.values()}
        examples += _gather(
            embedder,
            indexes[other],
            asked_elsewhere,
            name,
            bank.without(own),
            off_topic=True,
            asked_of=other,
        )
    return examples + _gather_policyqa(embedder, policies, policyqa_asked, bank)


def decision_and_ranker_only(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """The examples every model and figure reads, and those only the ranker learns from."""
    return [e for e in examples if not e.ranker_only], [e for e in examples if e.ranker_only]


def _gather_policyqa(
    embedder: Embedder, index: LoadedIndex, asked: list[tuple[Case, str, bool]], bank: Precedents
) -> list[Example]:
    """PolicyQA's kept questions, each asked of its own policy, labelled as the set scores."""
    answerer = Answerer(embedder, lambda: index, None, precedents=bank)  # type: ignore[arg-type]
    examples = []
    for case, document, ranker_only in tqdm(asked, desc="candidates (policyqa)", unit="q"):
        found = answerer.gather(index, case.question, [], documents=[document])
        if found.candidates is None:
            continue
        texts = [index.sentences[s].text for s in found.candidates.sentence_ids]
        labels = policyqa_data.labels(texts, case.gold_spans)
        examples.append(
            Example(
                case,
                case.group,
                index,
                found,
                labels,
                source=policyqa_data.SOURCE,
                ranker_only=ranker_only,
            )
        )
    return examples


def is_development(group: str) -> bool:
    """Whether a cross-validation group is kept for choosing tunables, out of every report."""
    if group in OWN_GROUPS:
        return False
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % DEVELOPMENT_EVERY == 0


def policy_group(index: LoadedIndex, case: Case, found: Gathered) -> str:
    """The policy set's fold of a question: its document, and for the Policy Manual its
    chapter — where the answer (or, unanswerable, the best passage) is."""
    sentence = _where_answered(index, case)
    if sentence is None:
        if not found.hits:
            return POLICY_PREFIX + "unplaced"
        sentence = index.passages[found.hits[0].passage_id].sentence_ids[0]
    record = index.sentences[sentence]
    document = index.documents[record.document_id]
    if record.document_id != "debian-policy":
        return POLICY_PREFIX + record.document_id
    section = document.section_at(record.start)
    chapter = section.path[0] if section and section.path else section.title if section else ""
    return f"{POLICY_PREFIX}debian-policy/{chapter}"


def _asked_of(corpus: str, index: LoadedIndex, found: Gathered) -> str:
    """The group of an off-topic question: the corpus it is asked of, and in a corpus whose
    groups are its documents (the SQuAD articles), the document its best passage is in, named
    as that corpus's own questions name it."""
    if corpus != "squad":
        return corpus
    if not found.hits:
        return "squad:unplaced"
    document = index.documents[index.passages[found.hits[0].passage_id].document_id]
    return PurePath(document.path).stem  # the questions name an article by its file's name


def _where_answered(index: LoadedIndex, case: Case) -> int | None:
    wanted = [policy_normalize(s) for s in (case.gold_spans or case.evidence or case.answer_keys)]
    for sid, sentence in enumerate(index.sentences):
        text = policy_normalize(sentence.text)
        if any(w and w in text for w in wanted):
            return sid
    return None


def _gather(
    embedder: Embedder,
    index: LoadedIndex,
    cases: list[Case],
    name: str,
    bank: Precedents,
    off_topic: bool,
    asked_of: str = "",
) -> list[Example]:
    answerer = Answerer(embedder, lambda: index, None, precedents=bank)  # type: ignore[arg-type]
    examples = []
    label = "off-topic " if off_topic else ""
    answered = _earlier_answers(index, cases)
    for case in tqdm(cases, desc=f"candidates ({label}{name})", unit="q"):
        history = [
            Turn(q, answered.get((case.id.split(".")[0], q), "")) for q in case.history_questions
        ]
        found = answerer.gather(index, case.question, history)
        if found.candidates is None:
            continue
        if off_topic:
            case = dataclasses.replace(case, answerable=False)
        labels = np.array(
            [
                case.answerable and case_correct(index.sentences[s].text, case)
                for s in found.candidates.sentence_ids
            ],
            dtype=float,
        )
        group = _asked_of(asked_of, index, found) if off_topic else case.group or name
        if name == "policy" and not off_topic:
            group = policy_group(index, case, found)
        examples.append(Example(case, group, index, found, labels, off_topic, source=name))
    return examples


def _earlier_answers(index: LoadedIndex, cases: list[Case]) -> dict[tuple[str, str], str]:
    """(conversation, question) -> what that turn answered, as a right answer would: the
    sentences holding its evidence, each followed by a citation marker."""
    answers = {}
    for case in cases:
        found = [_sentence_holding(index, e) for e in case.evidence]
        quoted = [f"{index.sentences[s].text} [1]" for s in found if s is not None]
        if quoted:
            answers[(case.id.split(".")[0], case.question)] = " ".join(quoted)
    return answers


def _sentence_holding(index: LoadedIndex, phrase: str) -> int | None:
    wanted = policy_normalize(phrase)
    return next(
        (
            sid
            for sid, s in enumerate(index.sentences)
            if wanted.strip() in policy_normalize(s.text)
        ),
        None,
    )


def reader_pairs(examples: list[Example]) -> list[dict[str, object]]:
    """(question, sentence, label, article) for every candidate, in a fixed order: the data of
    the reading model (``scripts/training/train_reader.py``). The question is the standalone
    one (the conversation folded in), as the reader sees it at answer time."""
    rows: list[dict[str, object]] = []
    for number, e in enumerate(examples):
        candidates = e.found.candidates
        assert candidates is not None
        for sid, label in zip(candidates.sentence_ids, e.labels, strict=True):
            rows.append(
                {
                    "q": e.found.facts.standalone,
                    "s": e.index.sentences[sid].text,
                    "y": float(label),
                    "g": e.group,
                    "n": number,
                }
            )
    return rows
