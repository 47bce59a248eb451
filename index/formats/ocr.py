"""Offline OCR of scanned PDF pages (pages with no text layer), with RapidOCR's ONNX models.

The models (PP-OCRv4 detection and recognition) ship inside the ``rapidocr-onnxruntime`` wheel,
so nothing is downloaded at run time. A page is read in three steps:

1. :func:`page_has_ink` renders the page at a very low resolution and says whether anything is
   printed on it, so the blank pages of a long scan cost milliseconds, not seconds.
2. :func:`ocr_page` renders the page, finds its text lines with the detection model (at a
   reduced resolution, which is where most of the time would otherwise go), reads each line
   with the recognition model and returns :class:`OcrLine` s in reading order.
3. :func:`lines_to_paragraphs` groups those lines into paragraphs by the vertical gaps between
   them and rejoins words hyphenated across lines.

Positions are fractions of the rendered page (0..1), origin top-left, y growing downward, so
callers need not know the dpi; the page is rendered upright (its /Rotate applied).

The engine is created once per process, lazily, and calls into it are serialised by a lock
(RapidOCR keeps per-call state on the engine). It runs on :data:`OCR_THREADS` ONNX Runtime
thread(s); to read pages in parallel, use processes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

import numpy as np
import pypdfium2

from .ocr_lines import OcrLine, reading_order

# --- tuned constants (measured by scripts/bench/bench_ocr.py on 2 shared CPU cores) ---------------

# The dpi a page is rendered at for OCR (~50 ms a page). Line crops are resized to REC_HEIGHT
# pixels anyway: at 200 dpi a 10-12 pt line is 28-37 px tall, so the recogniser sees body text
# at about the resolution it was scanned at, neither blurred up nor thrown away. Rendering at
# 150 or 300 dpi changed accuracy by less than 0.1% on 8-12 pt text.
RENDER_DPI = 200

# The dpi the text *detector* sees. Its cost grows with the pixel count: at the full 200 dpi it
# took ~2.7 s of CPU per page, at 120 dpi ~0.9 s, finding the same lines (8-14 pt text, mean
# accuracy 0.9996 against 0.9998 at 144 dpi, which cost 0.75 s more a page). At 100 dpi accuracy
# fell to 0.997 (0.991 on the worst page); at 87 dpi boxes of neighbouring lines overlapped.
DET_DPI = 120

# Caps for pages larger than A3 (a poster, a map): the render's longer side at RENDER_MAX_SIDE
# px (A3 at 200 dpi is 3,307) and the detector's at DET_MAX_SIDE px (A3 at 120 dpi is 1,984).
# The detector's memory grows with its pixels (~330 MB of peak working memory for a letter page
# at DET_DPI); an A0 page at DET_DPI would need some 5 GB. Text on such pages is large anyway.
RENDER_MAX_SIDE = 4000
DET_MAX_SIDE = 2000

# How far the detector grows each text region into a box (RapidOCR's default 1.6). Boxes found
# at DET_DPI with 1.6 reached into the next line, so crops held parts of two lines and the
# recogniser garbled them; 1.3 keeps a line's ascenders and descenders and nothing more.
DET_UNCLIP_RATIO = 1.3

# The height, in pixels, each line crop is resized to for the recogniser, and how much wider
# than its natural aspect it is drawn. The model was trained at 48 px, but its cost grows with
# height x width: at 36 px, 1.2x wider, recognition costs ~2/3 of the default and, on 10-12 pt
# Times and Helvetica scanned at 150/200/300 dpi, kept more of the spaces between words
# (English words ran together at 48 px: "residentsbefore") with character accuracy 0.999+.
REC_HEIGHT = 36
REC_STRETCH = 1.2

# Recognised lines scoring below this are dropped. Lines of real text scored 0.93-1.0 on clean
# and on noisy, skewed scans (a blurred stamp read as "CONEIDENTAL": 0.95), while what the
# detector found in print-like blobs, hatching and a halftone picture scored 0.19-0.48 and read
# as "····", "!" or "一". 0.5 is also RapidOCR's own default ``text_score``.
MIN_SCORE = 0.5

# ONNX Runtime threads for one page. One, measured on the project's 2 cores with other work
# beside: a 34-line page took 3.9-4.1 s (3.8 s CPU) with 1 thread and 6.5-6.9 s (6.5 s CPU)
# with 2, because ONNX Runtime's threads spin-wait for each other and a busy core stalls them
# all. To read pages in parallel, run more processes. Inter-op threads are useless for these
# sequential graphs.
OCR_THREADS = 1

# page_has_ink: the page is rendered at INK_DPI in grayscale (a letter page is 306 x 396 px:
# 0.04 ms for an empty page, 10-25 ms for a 150-300 dpi scan, most of it decoding the image).
# A pixel is ink when it is INK_CONTRAST levels darker than the paper (the 90th percentile
# level, so grey scanner paper is paper too). Scanner noise of +-4 levels gave 0 ink pixels; a
# lone 9 pt "Page 3" footer gave ~25, a text page thousands, so INK_MIN_PIXELS errs towards
# reading a nearly blank page rather than losing its only line.
INK_DPI = 36
INK_CONTRAST = 64
INK_MIN_PIXELS = 8

# --- blank pages -------------------------------------------------------------------------


def page_has_ink(page: pypdfium2.PdfPage) -> bool:
    """Whether anything is printed on ``page`` (a cheap test before :func:`ocr_page`)."""
    pixels = _render_gray(page, INK_DPI)
    if pixels.size == 0 or int(pixels.min()) == int(pixels.max()):
        return False  # one flat colour: the blank pages of an empty PDF stop here
    paper = float(np.percentile(pixels, 90))
    ink = int(np.count_nonzero(pixels < paper - INK_CONTRAST))
    return ink >= INK_MIN_PIXELS


# --- OCR ---------------------------------------------------------------------------------

_engine_lock = threading.Lock()
_engine: Any = None


def _get_engine() -> Any:
    """The process's RapidOCR engine, created on first use (0.2-0.5 s to import, 0.1-0.3 s to
    load on 2 cores)."""
    global _engine
    if _engine is None:
        # Imported here: it pulls in onnxruntime and OpenCV, which callers that never meet a
        # scanned page should not pay for.
        from rapidocr_onnxruntime import RapidOCR

        _engine = RapidOCR(
            # Scans are upright; the 180-degree classifier would cost a model run per line.
            use_cls=False,
            intra_op_num_threads=OCR_THREADS,
            inter_op_num_threads=1,
            # We size the images ourselves; RapidOCR's own limits would shrink long lines.
            max_side_len=1_000_000,
            # min + a small limit: the detector runs at exactly the size we give it.
            det_limit_type="min",
            det_limit_side_len=32,
            det_unclip_ratio=DET_UNCLIP_RATIO,
            # The model's own 48 x 320 minimum shape, scaled to REC_HEIGHT.
            rec_img_shape=[3, REC_HEIGHT, REC_HEIGHT * 320 // 48],
            # One line per run: in a batch every line is padded to the widest one, which cost
            # more than it saved (10 s vs 7 s of CPU for a page of 28 lines).
            rec_batch_num=1,
        )
    return _engine


def ocr_page(page: pypdfium2.PdfPage, dpi: int = RENDER_DPI) -> list[OcrLine]:
    """Read the text of a scanned ``page``: its lines, top to bottom, then left to right.

    ``dpi`` is the resolution the page is rendered at (lowered for pages too large for
    RENDER_MAX_SIDE); lines scoring below MIN_SCORE are left out. Takes 3-4 s for a full
    page of text on one of 2 busy cores, ~0.5 s for a page the detector finds empty (which
    :func:`page_has_ink` would have skipped in milliseconds).
    """
    longest_side_pt = max(page.get_size())
    if longest_side_pt > 0:
        dpi = min(dpi, max(1, int(RENDER_MAX_SIDE * 72 / longest_side_pt)))
    gray = _render_gray(page, dpi)
    height, width = gray.shape
    if height == 0 or width == 0:
        return []
    with _engine_lock:
        engine = _get_engine()
        fragments = []  # in pixels, so that gaps and heights compare in one unit
        for quad in _detect(engine, gray, dpi):
            text, score = _recognise(engine, _crop_line(gray, quad))
            if text and score >= MIN_SCORE:
                xs, ys = quad[:, 0], quad[:, 1]
                box = float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())
                fragments.append(OcrLine(text, *box, score=score))
    return [_as_fractions(line, width, height) for line in reading_order(fragments)]


def _as_fractions(line: OcrLine, width: int, height: int) -> OcrLine:
    return OcrLine(
        text=line.text,
        x0=line.x0 / width,
        y0=line.y0 / height,
        x1=line.x1 / width,
        y1=line.y1 / height,
        score=line.score,
    )


def _render_gray(page: pypdfium2.PdfPage, dpi: int) -> np.ndarray:
    """The page as an (h, w) uint8 array; grayscale is all OCR needs and is a third the size."""
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    pixels = np.asarray(bitmap.to_numpy())
    if pixels.ndim == 3:  # some pypdfium2 versions keep a channel axis
        pixels = pixels[:, :, 0]
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def _detect(engine: Any, gray: np.ndarray, dpi: int) -> list[np.ndarray]:
    """The text-line quadrilaterals (4 x 2 float arrays) in ``gray``'s pixel coordinates."""
    import cv2

    scale = min(1.0, DET_DPI / dpi, DET_MAX_SIDE / max(gray.shape))
    small = gray
    if scale < 1.0:
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    boxes, _ = engine(small, use_det=True, use_cls=False, use_rec=False)
    return [np.asarray(box, dtype=np.float32) / scale for box in boxes or []]


def _crop_line(gray: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The line inside ``quad``, straightened, REC_HEIGHT px tall and REC_STRETCH x wider."""
    import cv2

    top_left, top_right, bottom_right, bottom_left = quad
    width = _pixels(top_right - top_left, bottom_right - bottom_left)
    height = _pixels(bottom_left - top_left, bottom_right - top_right)
    # A perspective warp, not a plain slice: on a skewed scan the box is tilted, and its
    # axis-aligned bounds would take in the neighbouring lines.
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    line = cv2.warpPerspective(
        gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    size = (max(1, round(width * REC_HEIGHT / height * REC_STRETCH)), REC_HEIGHT)
    shrinking = height > REC_HEIGHT
    return cv2.resize(line, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def _pixels(side: np.ndarray, opposite: np.ndarray) -> int:
    """The longer of two opposite sides of a quadrilateral, in whole pixels (at least 1)."""
    return max(1, round(float(max(np.linalg.norm(side), np.linalg.norm(opposite)))))


def _recognise(engine: Any, line: np.ndarray) -> tuple[str, float]:
    """The text of one line crop and its confidence."""
    result, _ = engine(line, use_det=False, use_cls=False, use_rec=True)
    if not result:
        return "", 0.0
    text, score = result[0][0], float(result[0][1])
    return _clean(text), score


def _clean(text: str) -> str:
    # NFKC turns the full-width forms the Chinese-trained model can emit (U+FF0C comma,
    # U+FF1A colon) into ASCII and splits ligatures; runs of spaces are the model's.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
