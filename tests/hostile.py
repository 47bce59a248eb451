"""Hostile files for the reading limits (issue #23): each is built here, in a second or so,
rather than kept in the repository."""

from __future__ import annotations

import zlib
from pathlib import Path

import pypdfium2 as pdfium

MIB = 1 << 20


def flate_bomb_pdf(path: Path, gib: int = 4) -> Path:
    """A PDF whose one content stream inflates to ``gib`` GiB of zeros, deflated twice (a
    /FlateDecode /FlateDecode filter chain): a few kilobytes on disk."""
    inner = _zeros_deflated(gib * 1024)
    stream = zlib.compress(inner, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def _zeros_deflated(mib: int) -> bytes:
    """A zlib stream of ``mib`` MiB of zeros, made without compressing them all: a full flush
    makes a block that refers to nothing before it, so one block, repeated, is a valid stream."""
    compressor = zlib.compressobj(9)
    block_of_one_mib = compressor.compress(b"\0" * MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    header, block = block_of_one_mib[:2], block_of_one_mib[2:]
    checksum = 1
    zeros = b"\0" * MIB
    for _ in range(mib):
        checksum = zlib.adler32(zeros, checksum)
    final_empty_block = b"\x03\x00"
    return header + block * mib + final_empty_block + checksum.to_bytes(4, "big")


def blank_pages_pdf(path: Path, pages: int = 3000) -> Path:
    """A PDF of ``pages`` empty pages (no text layer, no ink)."""
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(612, 792)
    pdf.save(str(path))
    pdf.close()
    return path


def single_word_text(path: Path, mib: int = 20) -> Path:
    """One line of ``mib`` MiB without a space."""
    path.write_bytes(b"a" * (mib * MIB) + b"\n")
    return path


def many_headings_markdown(path: Path, headings: int = 60_000) -> Path:
    path.write_text("".join(f"## Heading {i}\n\nText {i}.\n\n" for i in range(headings)))
    return path


def nested_divs_html(path: Path, depth: int = 200_000) -> Path:
    path.write_text(
        "<html><body>" + "<div>" * depth + "Deep text." + "</div>" * depth + "</body></html>"
    )
    return path
