"""OCR benchmark: seconds per scanned page, engine load time, blank-page test time, accuracy.

Draws PAGES pages of dense policy prose with reportlab (Times 11 pt, Helvetica 10 pt and
Helvetica 12 pt in turn, full pages), renders each page to an image with pypdfium2 at each
scan dpi (150/200/300 by default), writes those images into image-only PDFs, and reads them back
with index/ocr.py at the dpi it ships with. Prints, per scan dpi: wall and CPU seconds per page
of ``ocr_page``, character accuracy of the recovered text against the source (difflib ratio,
whitespace collapsed; also with spaces removed, which isolates words run together), and
paragraphs found against paragraphs drawn. Also: import and engine load time, memory, and
``page_has_ink`` per page on the scans and on an empty PDF of BLANK_PAGES pages.

CPU seconds are the process's (all threads); on a shared machine wall time includes waiting
for the cores, so both are shown.

Run: .venv/bin/python scripts/bench/bench_ocr.py [--pages 5] [--scan-dpi 150 200 300]
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path

import pypdfium2 as pdfium
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

from index.formats import ocr
from index.formats.ocr_lines import lines_to_paragraphs

SENTENCES = [
    "The council will review the housing allocation policy every two years.",
    "Applicants must provide evidence of their income and of their current address.",
    "The department received more than 4,200 responses to the consultation.",
    "Funding for the programme was increased by 12% in the 2022-23 financial year.",
    "Schools in rural areas face particular difficulties in recruiting qualified teachers.",
    "The committee approved the budget on 14 March 2019 after a long debate.",
    "Officials were asked to report on the cost of extending the scheme to small businesses.",
    "The minister said that the new rules would come into force on 1 April.",
    "A number of respondents raised concerns about the accessibility of public transport.",
    "The guidance sets out the responsibilities of employers towards their apprentices.",
    "Data on hospital waiting times are published each month by the health board.",
    "The review recommended that the inspection regime should be simplified (see Annex B).",
    "Most of the savings will come from sharing back-office services between agencies.",
    "Further information is available from the regional offices and on the public website.",
    "The report notes that emissions from road transport have remained broadly stable.",
    "Grants will be awarded on the basis of need, value for money and deliverability.",
    "Local authorities are expected to consult residents before closing a library.",
    "The strategy aims to halve the number of young people not in education or employment.",
    "An independent panel will assess the evidence and publish its findings in the autumn.",
    "The amendment was withdrawn after the government agreed to commission a study.",
    "Water companies must meet stricter standards for the treatment of waste water.",
    "The pilot scheme ran in three districts between January and September 2021.",
    "Costs have risen sharply because of higher energy prices and supply shortages.",
    "The agency will publish a summary of the responses together with its decision.",
    "Community groups welcomed the proposals but called for longer-term funding.",
    "Parliament is expected to vote on the bill before the summer recess.",
    "Section 4(2) of the Act allows the Secretary of State to issue statutory guidance.",
    "Around 38,000 households were eligible for the payment, of whom 71% applied.",
]
FONTS = [("Times-Roman", 11), ("Helvetica", 10), ("Helvetica", 12)]


def _style(page: int) -> ParagraphStyle:
    font, size = FONTS[page % len(FONTS)]
    style = ParagraphStyle(f"body{page}", parent=getSampleStyleSheet()["BodyText"])
    style.fontName, style.fontSize, style.leading = font, size, size * 1.25
    return style


def write_text_pdf(path: Path, pages: int, seed: int = 0) -> list[list[str]]:
    """Draw ``pages`` full pages of prose; returns each page's paragraphs."""
    rng = random.Random(seed)
    doc = SimpleDocTemplate(str(path), pagesize=letter)
    story: list = []
    drawn: list[list[str]] = []
    for page in range(pages):
        style, used, paragraphs = _style(page), 0.0, []
        while True:
            text = " ".join(rng.sample(SENTENCES, rng.randint(2, 5)))
            _, height = Paragraph(text, style).wrap(doc.width, doc.height)
            # Its lines, the space the style puts before it, the spacer after it; stop short
            # of the frame's end so that no paragraph runs onto the next page.
            height += style.spaceBefore + style.fontSize
            if used + height > doc.height - 24:
                break
            used += height
            paragraphs.append(text)
            story += [Paragraph(text, style), Spacer(1, style.fontSize)]
        drawn.append(paragraphs)
        story.append(PageBreak())
    doc.build(story[:-1])
    with pdfium.PdfDocument(path) as pdf:
        assert len(pdf) == pages, f"{len(pdf)} pages drawn, not {pages}: a paragraph ran over"
    return drawn


def write_scanned_pdf(source: Path, path: Path, dpi: int) -> None:
    """Every page of ``source`` as an image rendered at ``dpi``, with no text layer."""
    pdf = pdfium.PdfDocument(source)
    out = canvas.Canvas(str(path), pagesize=letter)
    for page in pdf:
        width, height = page.get_size()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        out.drawImage(ImageReader(image), 0, 0, width=width, height=height)
        out.showPage()
    out.save()
    pdf.close()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def accuracy(reference: str, found: str) -> tuple[float, float]:
    """Character accuracy (difflib ratio), and the same with all spaces removed."""
    a, b = _norm(reference), _norm(found)
    plain = SequenceMatcher(None, a, b, autojunk=False).ratio()
    spaceless = SequenceMatcher(None, a.replace(" ", ""), b.replace(" ", ""), autojunk=False)
    return plain, spaceless.ratio()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_load() -> None:
    # In a fresh interpreter: here the index package has already imported numpy and friends.
    code = (
        "import time; t = time.perf_counter(); import rapidocr_onnxruntime; "
        "print(time.perf_counter() - t)"
    )
    cold = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    before = _rss_mib()
    start = time.perf_counter()
    ocr._get_engine()  # the lazy engine ocr_page creates on first use (imports included)
    loaded = time.perf_counter() - start
    print(
        f"import rapidocr_onnxruntime in a fresh interpreter: {cold:.2f} s; engine load "
        f"(in this process, with its imports): {loaded:.2f} s, "
        f"+{_rss_mib() - before:.0f} MiB resident"
    )


def bench_blank(pages: int) -> None:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(612, 792).close()
    start = time.perf_counter()
    inked = 0
    for i in range(pages):
        page = pdf[i]
        inked += ocr.page_has_ink(page)
        page.close()
    took = time.perf_counter() - start
    print(
        f"page_has_ink on an empty PDF of {pages} pages: {took:.2f} s "
        f"({took / pages * 1000:.2f} ms/page), {inked} said to have ink"
    )
    pdf.close()


def bench_scans(folder: Path, source: Path, drawn: list[list[str]], dpi: int) -> None:
    scanned = folder / f"scanned-{dpi}.pdf"
    write_scanned_pdf(source, scanned, dpi)
    pdf = pdfium.PdfDocument(scanned)
    ink_s = walls = cpus = 0.0
    for index, paragraphs in enumerate(drawn):
        page = pdf[index]
        start = time.perf_counter()
        assert ocr.page_has_ink(page)
        ink_s += time.perf_counter() - start
        wall, cpu = time.perf_counter(), time.process_time()
        lines = ocr.ocr_page(page)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        walls, cpus = walls + wall, cpus + cpu
        found = lines_to_paragraphs(lines)
        plain, spaceless = accuracy(" ".join(paragraphs), " ".join(found))
        chars = sum(len(p) for p in paragraphs)
        print(
            f"  scan {dpi} dpi, page {index + 1} ({FONTS[index % len(FONTS)][0]} "
            f"{FONTS[index % len(FONTS)][1]} pt, {chars} chars, {len(lines)} lines): "
            f"{wall:.2f} s wall, {cpu:.2f} s CPU, accuracy {plain:.4f} "
            f"(no spaces {spaceless:.4f}), paragraphs {len(found)}/{len(paragraphs)}"
        )
        page.close()
    pages = len(drawn)
    print(
        f"scan {dpi} dpi: ocr_page at {ocr.RENDER_DPI} dpi {walls / pages:.2f} s/page wall, "
        f"{cpus / pages:.2f} s/page CPU; page_has_ink {ink_s / pages * 1000:.1f} ms/page"
    )
    pdf.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=5, help="pages of dense text")
    parser.add_argument("--scan-dpi", type=int, nargs="+", default=[150, 200, 300])
    parser.add_argument("--blank-pages", type=int, default=3000, help="pages of the empty PDF")
    args = parser.parse_args()

    print(
        f"settings: RENDER_DPI={ocr.RENDER_DPI} DET_DPI={ocr.DET_DPI} "
        f"REC_HEIGHT={ocr.REC_HEIGHT} REC_STRETCH={ocr.REC_STRETCH} "
        f"MIN_SCORE={ocr.MIN_SCORE} OCR_THREADS={ocr.OCR_THREADS}"
    )
    bench_load()
    bench_blank(args.blank_pages)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "text.pdf"
        drawn = write_text_pdf(source, args.pages)
        for dpi in args.scan_dpi:
            bench_scans(folder, source, drawn, dpi)
    print(f"resident now: {_rss_mib():.0f} MiB; peak: {_peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
