"""The Word, HTML and Markdown readers: block kinds, levels and markers, offsets that point at
each block's text, what is left out, and Markdown's text kept byte for byte."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from index.formats.docx import read_docx
from index.formats.html import read_html
from index.formats.markdown import read_markdown
from index.model import (
    CAPTION,
    CODE,
    HEADING,
    LIST_ITEM,
    PARAGRAPH,
    TABLE_ROW,
    Block,
    ParsedDocument,
)

Span = tuple[str, str]


def _spans(document: ParsedDocument, kind: str | None = None) -> list[Span]:
    """(kind, text) of each block, its text read through its offsets."""
    return [
        (b.kind, document.text[b.start : b.end])
        for b in document.blocks
        if kind is None or b.kind == kind
    ]


def _block(document: ParsedDocument, text: str) -> Block:
    return next(b for b in document.blocks if document.text[b.start : b.end] == text)


def _assert_well_formed(document: ParsedDocument) -> None:
    previous_end = 0
    for block in document.blocks:
        assert previous_end <= block.start < block.end <= len(document.text)
        assert document.text[block.start : block.end].strip()
        previous_end = block.end


# --- Word ------------------------------------------------------------------------------------


def _save(document: docx.document.Document, tmp_path: Path) -> bytes:
    path = tmp_path / "test.docx"
    document.save(str(path))
    return path.read_bytes()


@pytest.fixture
def word_file(tmp_path: Path) -> bytes:
    document = docx.Document()
    document.add_paragraph("Travel Policy", style="Title")
    document.add_heading("2 Scope", level=1)
    document.add_paragraph("This policy applies to all staff.")
    document.add_paragraph("Economy class by default", style="List Bullet")
    document.add_paragraph("Business class over six hours", style="List Bullet 2")
    document.add_paragraph("Book through the portal", style="List Number")
    document.add_paragraph("Keep every receipt", style="List Number")
    table = document.add_table(rows=3, cols=2)
    rows = [("Expense", "Limit"), ("Hotel", "150 EUR"), ("Meal", "40 EUR")]
    for r, (name, limit) in enumerate(rows):
        table.cell(r, 0).text, table.cell(r, 1).text = name, limit
    document.add_paragraph("Table 1: daily limits", style="Caption")
    document.add_heading("2.1 Exceptions", level=2)
    document.add_paragraph("The director may approve exceptions.")
    return _save(document, tmp_path)


def test_docx_blocks_in_document_order(word_file: bytes) -> None:
    assert _spans(read_docx(word_file)) == [
        (HEADING, "Travel Policy"),
        (HEADING, "2 Scope"),
        (PARAGRAPH, "This policy applies to all staff."),
        (LIST_ITEM, "Economy class by default"),
        (LIST_ITEM, "Business class over six hours"),
        (LIST_ITEM, "Book through the portal"),
        (LIST_ITEM, "Keep every receipt"),
        (TABLE_ROW, "Expense | Limit"),
        (TABLE_ROW, "Expense: Hotel | Limit: 150 EUR"),
        (TABLE_ROW, "Expense: Meal | Limit: 40 EUR"),
        (CAPTION, "Table 1: daily limits"),
        (HEADING, "2.1 Exceptions"),
        (PARAGRAPH, "The director may approve exceptions."),
    ]


def test_docx_heading_levels_and_numbers(word_file: bytes) -> None:
    document = read_docx(word_file)
    headings = [(b.level, b.number) for b in document.blocks if b.kind == HEADING]
    assert headings == [(1, ""), (2, "2"), (3, "2.1")]


def test_docx_list_levels_and_markers(word_file: bytes) -> None:
    document = read_docx(word_file)
    items = [(b.level, b.number) for b in document.blocks if b.kind == LIST_ITEM]
    assert items == [(1, "\u2022"), (2, "\u2022"), (1, "1."), (1, "2.")]


def test_docx_list_level_follows_ilvl(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Deep item", style="List Paragraph")
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 2
    num_pr.get_or_add_numId().val = 1
    block = read_docx(_save(document, tmp_path)).blocks[0]
    assert (block.kind, block.level) == (LIST_ITEM, 3)


def test_docx_title_from_title_style_without_property(word_file: bytes) -> None:
    assert read_docx(word_file).title == "Travel Policy"


def test_docx_title_from_core_properties(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Official Title"
    document.add_heading("Introduction", level=1)
    assert read_docx(_save(document, tmp_path)).title == "Official Title"


def test_docx_without_properties_part_has_no_made_up_title(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Body words")
    original = zipfile.ZipFile(io.BytesIO(_save(document, tmp_path)))
    stripped = io.BytesIO()
    with zipfile.ZipFile(stripped, "w") as z:  # the file without docProps/core.xml
        for name in original.namelist():
            data = original.read(name)
            data = re.sub(rb"<(Relationship|Override) [^>]*core[-.][^>]*/>", b"", data)
            if name != "docProps/core.xml":
                z.writestr(name, data)
    assert read_docx(stripped.getvalue()).title == ""  # python-docx says "Word Document"


def test_docx_merged_cell_read_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for i, text in enumerate(["Item", "Cost", "Note"]):
        table.cell(0, i).text = text
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "Taxi"
    table.cell(1, 2).text = "receipt"
    rows = _spans(read_docx(_save(document, tmp_path)))
    assert rows[1] == (TABLE_ROW, "Item: Taxi | Cost: receipt")


def test_docx_words_of_runs_not_glued(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Claims are ")
    paragraph.add_run("paid").bold = True
    paragraph.add_run(" monthly.")
    assert _spans(read_docx(_save(document, tmp_path))) == [(PARAGRAPH, "Claims are paid monthly.")]


def test_docx_tracked_insertion_read_deletion_left_out(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Claims are paid ")
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph._p.append(
        parse_xml(f'<w:ins {w} w:id="1" w:author="a"><w:r><w:t>within</w:t></w:r></w:ins>')
    )
    paragraph._p.append(
        parse_xml(
            f'<w:del {w} w:id="2" w:author="a"><w:r><w:delText>after</w:delText></w:r></w:del>'
        )
    )
    paragraph.add_run(" thirty days.")
    assert _spans(read_docx(_save(document, tmp_path))) == [
        (PARAGRAPH, "Claims are paid within thirty days.")
    ]


def test_docx_refuses_other_bytes() -> None:
    with pytest.raises(ValueError, match=r"not a Word \.docx file"):
        read_docx(b"%PDF-1.7 not a zip at all")


# --- HTML ------------------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><title>Leave Policy</title>
<style>.x { color: red }</style><script>var menu = "Script words";</script></head>
<body>
<header><a href="/">Site banner</a></header>
<nav><ul><li>Home link</li><li>About link</li></ul></nav>
<div role="navigation">Breadcrumb trail</div>
<div class="content">
<h1>Leave Policy</h1>
<p>Staff <em>must</em> request leave in <a href="/f">writing</a>, using form <code>L-1</code>.</p>
<h2>2.1 Annual leave</h2>
<ul><li>Full-time staff<ul><li>Twenty <b>five</b> days</li></ul></li>
<li><p>Part-time staff</p><p>Pro rata days</p></li></ul>
<ol start="3"><li>Apply early</li><li>Wait for approval</li></ol>
<dl><dt>Carry-over</dt><dd>Up to five days.</dd><dt>TOIL</dt><dd><p>Time off in lieu.</p></dd></dl>
<table><caption>Table 2: entitlements</caption>
<thead><tr><th>Grade</th><th>Days</th></tr></thead>
<tbody><tr><td>A</td><td>25</td></tr><tr><td>B</td><td>28<br>rising</td></tr></tbody></table>
<pre>apply --days 3
  --reason holiday</pre>
<figure><img src="chart.png" alt="chart"><figcaption>Figure 1: leave taken</figcaption></figure>
<div>Questions go to<div>human resources</div></div>
</div>
<aside>Related: sick leave</aside>
<footer>Copyright footer text</footer>
</body></html>"""


def test_html_blocks_in_document_order() -> None:
    assert _spans(read_html(PAGE)) == [
        (HEADING, "Leave Policy"),
        (PARAGRAPH, "Staff must request leave in writing, using form L-1."),
        (HEADING, "2.1 Annual leave"),
        (LIST_ITEM, "Full-time staff"),
        (LIST_ITEM, "Twenty five days"),
        (LIST_ITEM, "Part-time staff"),
        (LIST_ITEM, "Pro rata days"),
        (LIST_ITEM, "Apply early"),
        (LIST_ITEM, "Wait for approval"),
        (PARAGRAPH, "Carry-over: Up to five days."),
        (PARAGRAPH, "TOIL: Time off in lieu."),
        (CAPTION, "Table 2: entitlements"),
        (TABLE_ROW, "Grade | Days"),
        (TABLE_ROW, "Grade: A | Days: 25"),
        (TABLE_ROW, "Grade: B | Days: 28 rising"),
        (CODE, "apply --days 3\n  --reason holiday"),
        (CAPTION, "Figure 1: leave taken"),
        (PARAGRAPH, "Questions go to"),
        (PARAGRAPH, "human resources"),
    ]


def test_html_navigation_and_page_furniture_left_out() -> None:
    text = read_html(PAGE).text
    for left_out in ("Site banner", "Home link", "Breadcrumb", "sick leave", "Copyright"):
        assert left_out not in text
    assert "Script words" not in text and "color" not in text


def test_html_list_levels_and_markers() -> None:
    document = read_html(PAGE)
    items = [(b.level, b.number) for b in document.blocks if b.kind == LIST_ITEM]
    assert items == [(1, "\u2022"), (2, "\u2022"), (1, "\u2022"), (1, ""), (1, "3."), (1, "4.")]


def test_html_single_h1_is_the_title_level() -> None:
    document = read_html(PAGE)
    assert [(b.level, b.number) for b in document.blocks if b.kind == HEADING] == [
        (1, ""),
        (2, "2.1"),
    ]


def test_html_several_h1_are_top_level_headings() -> None:
    document = read_html("<h1>Part one</h1><h2>Detail</h2><p>x</p><h1>Part two</h1><p>y</p>")
    assert [b.level for b in document.blocks if b.kind == HEADING] == [2, 3, 2]


def test_html_title_from_title_element_else_first_h1() -> None:
    assert read_html(PAGE).title == "Leave Policy"
    assert read_html("<h2>Intro</h2><h1>Main <i>heading</i></h1><p>x</p>").title == "Main heading"


def test_html_inline_markup_neither_glues_nor_splits_words() -> None:
    document = read_html(
        "<p>inter<b>nation</b>al <span>rules</span><br>apply</p>"
        "<table><tr><td>left</td><td>right</td></tr></table><p>end</p>"
    )
    assert _spans(document) == [
        (PARAGRAPH, "international rules apply"),
        (TABLE_ROW, "left | right"),
        (PARAGRAPH, "end"),
    ]


def test_html_table_without_header_cells_is_not_labelled() -> None:
    document = read_html(
        "<table><tr><td>Name</td><td>Role</td></tr><tr><td>Ann</td><td>Chair</td></tr></table>"
    )
    assert _spans(document) == [(TABLE_ROW, "Name | Role"), (TABLE_ROW, "Ann | Chair")]


def test_html_thead_row_is_a_header_even_without_th() -> None:
    document = read_html(
        "<table><thead><tr><td>Name</td><td>Role</td></tr></thead>"
        "<tr><td>Ann</td><td>Chair</td></tr></table>"
    )
    assert _spans(document) == [(TABLE_ROW, "Name | Role"), (TABLE_ROW, "Name: Ann | Role: Chair")]


def test_html_main_element_is_all_that_is_read() -> None:
    document = read_html(
        "<body><div>Cookie banner</div><main><header><h1>Rules</h1></header>"
        "<p>Body text</p></main><div>Newsletter signup</div></body>"
    )
    assert _spans(document) == [(HEADING, "Rules"), (PARAGRAPH, "Body text")]
    assert document.notes == ["read only the page's <main> element"]


def test_html_definition_with_a_list_keeps_its_term() -> None:
    document = read_html(
        "<dl><dt>Grounds</dt><dd><ul><li>illness</li><li>bereavement</li></ul></dd></dl>"
    )
    assert _spans(document) == [
        (PARAGRAPH, "Grounds"),
        (LIST_ITEM, "illness"),
        (LIST_ITEM, "bereavement"),
    ]


def test_html_text_outside_any_block_is_read() -> None:
    document = read_html("Loose <b>words</b><p>para</p>tail words")
    assert _spans(document) == [
        (PARAGRAPH, "Loose words"),
        (PARAGRAPH, "para"),
        (PARAGRAPH, "tail words"),
    ]


def test_html_deep_nesting_read_without_recursion() -> None:
    depth = 5_000  # five times Python's recursion limit
    document = read_html("<div>" * depth + "<p>deep text</p>" + "</div>" * depth)
    assert _spans(document) == [(PARAGRAPH, "deep text")]


def test_html_hostile_nesting_refused_quickly() -> None:
    depth = 200_000
    started = time.perf_counter()
    with pytest.raises(ValueError, match="nested too deeply"):
        read_html("<div>" * depth + "x" + "</div>" * depth)
    assert time.perf_counter() - started < 3


def test_html_blocks_well_formed() -> None:
    _assert_well_formed(read_html(PAGE))


# --- Markdown --------------------------------------------------------------------------------

MARKDOWN = """# Expenses Policy

Claims are *paid* monthly,
within thirty days.

Approval
--------

- Receipts are required
  - Scanned copies are accepted
- Managers approve claims

  A second paragraph of the item.

3. Submit the form
4. Wait for approval

| Item | Limit |
|------|------:|
| Meal | 40    |

```python
total = sum(claims)
```

    legacy code

---

## Appeals ##

> Appeals go to the director.
"""


def test_markdown_text_is_the_input_unchanged() -> None:
    source = "---\ntitle: x\n---\n# T\r\n\r\nSome\ttext \u00a0here.\r\n- a\r\n"
    assert read_markdown(source).text == source
    assert read_markdown(MARKDOWN).text == MARKDOWN


def test_markdown_blocks_in_document_order() -> None:
    assert _spans(read_markdown(MARKDOWN)) == [
        (HEADING, "Expenses Policy"),
        (PARAGRAPH, "Claims are *paid* monthly,\nwithin thirty days."),
        (HEADING, "Approval"),
        (LIST_ITEM, "Receipts are required"),
        (LIST_ITEM, "Scanned copies are accepted"),
        (LIST_ITEM, "Managers approve claims"),
        (LIST_ITEM, "A second paragraph of the item."),
        (LIST_ITEM, "Submit the form"),
        (LIST_ITEM, "Wait for approval"),
        (TABLE_ROW, "| Item | Limit |"),
        (TABLE_ROW, "| Meal | 40    |"),
        (CODE, "total = sum(claims)"),
        (CODE, "legacy code"),
        (HEADING, "Appeals"),
        (PARAGRAPH, "Appeals go to the director."),
    ]


def test_markdown_single_h1_is_the_title() -> None:
    document = read_markdown(MARKDOWN)
    assert document.title == "Expenses Policy"
    levels = [b.level for b in document.blocks if b.kind == HEADING]
    assert levels == [1, 2, 2]  # "#" the title; setext "---" and "##" top-level headings


def test_markdown_several_h1_are_top_level_headings() -> None:
    document = read_markdown("Part one\n========\n\ntext\n\n# Part two\n\n### Detail\n\nmore\n")
    assert document.title == "Part one"
    assert [b.level for b in document.blocks if b.kind == HEADING] == [2, 2, 4]


def test_markdown_list_markers_and_levels() -> None:
    document = read_markdown(MARKDOWN)
    items = [(b.level, b.number) for b in document.blocks if b.kind == LIST_ITEM]
    assert items == [(1, "\u2022"), (2, "\u2022"), (1, "\u2022"), (1, ""), (1, "3."), (1, "4.")]


def test_markdown_heading_number_kept_in_text_and_number() -> None:
    document = read_markdown("# Rules\n\n## 4.2 Termination ##\n\ntext\n")
    block = _block(document, "4.2 Termination")
    assert (block.kind, block.number, block.level) == (HEADING, "4.2", 2)


def test_markdown_rule_and_front_matter_give_no_block() -> None:
    document = read_markdown("---\ntitle: Draft\nauthor: me\n---\ntext one\n\n***\n\ntext two\n")
    assert _spans(document) == [(PARAGRAPH, "text one"), (PARAGRAPH, "text two")]


def test_markdown_offsets_follow_crlf_lines() -> None:
    document = read_markdown("# Title\r\n\r\nFirst line\r\nsecond line\r\n\r\n- item\r\n")
    assert _spans(document) == [
        (HEADING, "Title"),
        (PARAGRAPH, "First line\r\nsecond line"),
        (LIST_ITEM, "item"),
    ]


def test_markdown_blocks_well_formed() -> None:
    _assert_well_formed(read_markdown(MARKDOWN))
