"""Compare PDF text extractors on the Debian Policy Manual (193 pages, LaTeX).

Each extractor turns the PDF into one text per page; the script times it on the whole document
(best of ``--repeat`` runs) and measures the text it gives, then prints a Markdown table:

- seconds (wall, whole document) and pages per second;
- gold: how many of the debian-policy answerable questions of ``questions.jsonl`` (110) have
  a gold span that occurs in the extractor's text (pages joined with "\\n"), using the scoring
  normalisation of the eval README (``service.cli.evaluation.policy_normalize``: lower case,
  runs of punctuation and spaces to one space, padded) on word boundaries;
- gold+dehyph: the same after line-end de-hyphenation: "word-\\nword" becomes "wordword" when
  the joined lowercase word occurs elsewhere in that extractor's own text, else it is kept;
- long tokens: distinct ``[A-Za-z]{20,}`` tokens whose lowercase form is not a substring of the
  plain-text twin ``reference/debian-policy.txt`` (glued words such as "Inaddition,thepackages");
- headers: occurrences of the running header "Debian Policy Manual, Release 4.6.2.0"
  (whitespace between its words may be missing or any run of spaces/newlines);
- line-end hyphens: a letter, "-", a newline (optionally followed by spaces or tabs, for
  layout output), then a lowercase letter.

Line ends are normalised to "\\n" before measuring (PDFium writes "\\r\\n"). PDFium marks a
hyphen it found at a line end with U+FFFE and joins the two lines without a newline
("dis\\ufffetribution"); that marker counts as a line-end hyphen here and is de-hyphenated the
same way. A first row measures the plain-text twin itself, for calibration. Below the table,
each extractor's missing question ids (at most 10, with a gold span), those still missing after
de-hyphenation, and a few of its long tokens are listed.

Extractors: pypdf (default and layout mode), pdfplumber (default, x_tolerance=1.5,
use_text_flow=True), pdfminer.six (extract_text, default LAParams), pypdfium2
(get_text_range) and poppler's pdftotext (-layout and plain, split on form feeds). One that is
not installed gets a "not installed" row.

Run (pdfplumber and pdfminer take a minute or more each on 193 pages):

    .venv/bin/python scripts/eval/compare_pdf_parsers.py [--pdf PATH] [--repeat 2]
        [--only pdfium,pdftotext] [--dump DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from service.cli.evaluation import policy_normalize

EVAL_DIR = Path("/work/shared/eval/policy")
DEFAULT_PDF = EVAL_DIR / "corpus" / "debian-policy.pdf"
TWIN = EVAL_DIR / "reference" / "debian-policy.txt"
QUESTIONS = EVAL_DIR / "questions.jsonl"
DOCUMENT = "debian-policy"

HEADER_RE = re.compile(r"Debian\s*Policy\s*Manual,\s*Release\s*4\.6\.2\.0")
# A line-end hyphen: "-" (or a soft hyphen) then a newline and optional indentation, or PDFium's
# U+FFFE marker (which it puts where the line break was, with no newline after it).
HYPHEN_BREAK = r"(?:[-\u00ad]\n[ \t]*|\ufffe\n?[ \t]*)"
LINE_END_HYPHEN_RE = re.compile(r"(?<=[A-Za-z])" + HYPHEN_BREAK + r"(?=[a-z])")
DEHYPHEN_RE = re.compile(r"([A-Za-z]+)" + HYPHEN_BREAK + r"([a-z]+)")
WORD_RE = re.compile(r"[A-Za-z]+")
LONG_TOKEN_RE = re.compile(r"[A-Za-z]{20,}")

PageTexts = list[str]
Extractor = Callable[[Path], PageTexts]


class NotInstalled(Exception):
    """The extractor's package or program is missing (or lacks the mode asked for)."""


def package_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


# --- extractors -------------------------------------------------------------------------------


def pypdf_default(path: Path) -> PageTexts:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise NotInstalled(str(exc)) from exc
    reader = PdfReader(path)
    return [page.extract_text() for page in reader.pages]


def pypdf_layout(path: Path) -> PageTexts:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise NotInstalled(str(exc)) from exc
    reader = PdfReader(path)
    try:
        return [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except TypeError as exc:  # pypdf < 3.17 has no extraction_mode
        raise NotInstalled(f"pypdf without layout mode: {exc}") from exc


def pdfplumber_with(**kwargs: object) -> Extractor:
    def extract(path: Path) -> PageTexts:
        try:
            import pdfplumber
        except ImportError as exc:
            raise NotInstalled(str(exc)) from exc
        texts: PageTexts = []
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                texts.append(page.extract_text(**kwargs) or "")
                page.close()  # drop the page's cached layout objects
        return texts

    return extract


def pdfminer_default(path: Path) -> PageTexts:
    try:
        from pdfminer.high_level import extract_text
        from pdfminer.layout import LAParams
    except ImportError as exc:
        raise NotInstalled(str(exc)) from exc
    text = extract_text(str(path), laparams=LAParams())
    return split_form_feeds(text)


def pypdfium2_text(path: Path) -> PageTexts:
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise NotInstalled(str(exc)) from exc
    pdf = pdfium.PdfDocument(path)
    try:
        texts: PageTexts = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        pdf.close()


def pdftotext_with(*options: str) -> Extractor:
    def extract(path: Path) -> PageTexts:
        exe = shutil.which("pdftotext")
        if exe is None:
            raise NotInstalled("pdftotext not on PATH")
        done = subprocess.run(
            [exe, *options, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        )
        return split_form_feeds(done.stdout.decode("utf-8", errors="replace"))

    return extract


def split_form_feeds(text: str) -> PageTexts:
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # a form feed ends the last page too
    return pages


def pdftotext_version() -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        return "-"
    done = subprocess.run([exe, "-v"], capture_output=True, text=True)
    match = re.search(r"version\s+(\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "?"


@dataclass
class Spec:
    name: str
    version: str
    extract: Extractor


def extractor_specs() -> list[Spec]:
    pypdf_v = package_version("pypdf")
    plumber_v = package_version("pdfplumber")
    poppler_v = pdftotext_version()
    return [
        Spec("pypdf extract_text()", pypdf_v, pypdf_default),
        Spec('pypdf extract_text(extraction_mode="layout")', pypdf_v, pypdf_layout),
        Spec("pdfplumber extract_text()", plumber_v, pdfplumber_with()),
        Spec(
            "pdfplumber extract_text(x_tolerance=1.5)", plumber_v, pdfplumber_with(x_tolerance=1.5)
        ),
        Spec(
            "pdfplumber extract_text(use_text_flow=True)",
            plumber_v,
            pdfplumber_with(use_text_flow=True),
        ),
        Spec(
            "pdfminer.six extract_text (LAParams())",
            package_version("pdfminer.six"),
            pdfminer_default,
        ),
        Spec("pypdfium2 get_text_range()", package_version("pypdfium2"), pypdfium2_text),
        Spec("pdftotext -layout", poppler_v, pdftotext_with("-layout")),
        Spec("pdftotext", poppler_v, pdftotext_with()),
    ]


# --- measures ---------------------------------------------------------------------------------


@dataclass
class Question:
    qid: str
    answers: list[str]
    normed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.normed = [policy_normalize(a) for a in self.answers]


def load_questions(path: Path) -> list[Question]:
    questions: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("document") != DOCUMENT or record.get("answerable") is False:
            continue
        if record.get("answers"):
            questions.append(Question(record["id"], list(record["answers"])))
    return questions


def missing_questions(text: str, questions: list[Question]) -> list[Question]:
    haystack = policy_normalize(text)
    return [q for q in questions if not any(span in haystack for span in q.normed)]


def dehyphenate(text: str) -> str:
    vocabulary = {w.lower() for w in WORD_RE.findall(text)}

    def join(match: re.Match[str]) -> str:
        joined = match.group(1) + match.group(2)
        return joined if joined.lower() in vocabulary else match.group(0)

    return DEHYPHEN_RE.sub(join, text)


@dataclass
class Row:
    name: str
    version: str
    seconds: float | None = None
    pages: int = 0
    found: int = 0
    found_dehyph: int = 0
    long_tokens: list[str] = field(default_factory=list)
    headers: int = 0
    hyphens: int = 0
    missing: list[Question] = field(default_factory=list)
    missing_dehyph: list[Question] = field(default_factory=list)
    same_as: str | None = None  # an earlier row whose text is identical
    error: str | None = None


def measure(row: Row, pages: PageTexts, questions: list[Question], twin_lower: str) -> None:
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    row.pages = len(pages)
    row.missing = missing_questions(text, questions)
    row.found = len(questions) - len(row.missing)
    row.missing_dehyph = missing_questions(dehyphenate(text), questions)
    row.found_dehyph = len(questions) - len(row.missing_dehyph)
    tokens = sorted(set(LONG_TOKEN_RE.findall(text)))
    row.long_tokens = [t for t in tokens if t.lower() not in twin_lower]
    row.headers = len(HEADER_RE.findall(text))
    row.hyphens = len(LINE_END_HYPHEN_RE.findall(text))


def run_extractor(
    spec: Spec, pdf: Path, repeat: int, questions: list[Question], twin_lower: str
) -> tuple[Row, PageTexts | None]:
    row = Row(spec.name, spec.version)
    best: float | None = None
    pages: PageTexts | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            pages = spec.extract(pdf)
        except NotInstalled as exc:
            row.error = f"not installed ({exc})"
            return row, None
        except Exception as exc:  # an extractor that breaks on this PDF still gets its row
            row.error = f"failed: {type(exc).__name__}: {exc}"
            return row, None
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    row.seconds = best
    assert pages is not None
    measure(row, pages, questions, twin_lower)
    return row, pages


# --- output -----------------------------------------------------------------------------------


def format_table(rows: list[Row], n_questions: int) -> str:
    head = (
        "| extractor | version | seconds | pages/s | pages | gold found | gold + dehyph "
        "| long tokens not in twin | header lines | line-end hyphens |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        if r.error is not None:
            cells = [r.name, r.version, r.error, "", "", "", "", "", "", ""]
        else:
            secs = "-" if r.seconds is None else f"{r.seconds:.2f}"
            rate = "-" if not r.seconds else f"{r.pages / r.seconds:.1f}"
            cells = [
                r.name,
                r.version,
                secs,
                rate,
                "-" if r.seconds is None else str(r.pages),
                f"{r.found}/{n_questions}",
                f"{r.found_dehyph}/{n_questions}",
                str(len(r.long_tokens)),
                str(r.headers),
                str(r.hyphens),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe(questions: list[Question], limit: int = 10) -> str:
    if not questions:
        return "none"
    shown = ", ".join(f'{q.qid} "{q.answers[0]}"' for q in questions[:limit])
    more = f", ... (+{len(questions) - limit})" if len(questions) > limit else ""
    return f"{len(questions)}: {shown}{more}"


def format_details(rows: list[Row]) -> str:
    out: list[str] = []
    for r in rows:
        if r.error is not None:
            continue
        out.append(f"- **{r.name}**")
        if r.same_as is not None:
            out.append(f"  - text identical to {r.same_as}")
        out.append(f"  - missing: {describe(r.missing)}")
        fixed = [q for q in r.missing if q not in r.missing_dehyph]
        if fixed:
            out.append(f"  - found after de-hyphenation: {', '.join(q.qid for q in fixed)}")
        if r.missing_dehyph and r.missing_dehyph != r.missing:
            out.append(f"  - still missing after de-hyphenation: {describe(r.missing_dehyph)}")
        if r.long_tokens:
            sample = ", ".join(r.long_tokens[:5])
            out.append(f"  - long tokens ({len(r.long_tokens)}), e.g.: {sample}")
    return "\n".join(out)


def safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", name).strip("_") + ".txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per extractor (best)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--twin", type=Path, default=TWIN)
    parser.add_argument(
        "--only", default="", help="comma-separated substrings: run the matching extractors only"
    )
    parser.add_argument("--dump", type=Path, help="write each extractor's text to this folder")
    args = parser.parse_args(argv)

    questions = load_questions(args.questions)
    twin = args.twin.read_text(encoding="utf-8")
    twin_lower = twin.lower()
    wanted = [s.strip().lower() for s in args.only.split(",") if s.strip()]
    specs = [s for s in extractor_specs() if not wanted or any(w in s.name.lower() for w in wanted)]

    reference = Row(f"reference: {args.twin.name} (plain-text twin, no extraction)", "-")
    measure(reference, [twin], questions, twin_lower)
    rows = [reference]
    seen: dict[str, str] = {}  # joined text -> first extractor that gave it
    for spec in specs:
        print(f"running {spec.name} ...", file=sys.stderr, flush=True)
        row, pages = run_extractor(spec, args.pdf, max(1, args.repeat), questions, twin_lower)
        rows.append(row)
        if pages is not None:
            row.same_as = seen.setdefault("\n".join(pages), spec.name)
            if row.same_as == spec.name:
                row.same_as = None
        if args.dump is not None and pages is not None:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / safe_filename(spec.name)).write_text("\f".join(pages), encoding="utf-8")

    print(f"PDF: {args.pdf} · questions: {len(questions)} answerable ({DOCUMENT}) · ", end="")
    print(f"timing: best of {max(1, args.repeat)} · python {sys.version.split()[0]}\n")
    print(format_table(rows, len(questions)))
    print("\nMissing gold answers per extractor (question id and its first gold span):\n")
    print(format_details(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
