"""Reading files into the document model (``index.model``): one reader per format (plain text,
Markdown, HTML, Word, PDF with its layout, scanned pages by OCR), the dispatch by suffix with
the caps every reading must pass (``parse.py``), and reading in worker processes of their own
within a time and memory budget (``isolation.py``, ``worker.py``).

Readers know the document model and the problems it raises, nothing else of ``index``.
"""
