"""The managers' report written as files: CSV, Excel (.xlsx, openpyxl) and PDF (fpdf2).

Each takes the titled tables of ``domain.report.tables``; text cells pass ``safe_cell`` so a
spreadsheet never runs a lead's or campaign's name as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from vellarys.domain.report import Cell, Table, safe_cell

_SHEET_TITLE_MAX = 31  # Excel's limit
_BAD_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})
# The PDF's built-in font speaks Latin-1; a few typographic signs are swapped for it.
_LATIN1 = str.maketrans({"—": "-", "–": "-", "•": "-", "…": "...", "“": '"', "”": '"'})


def to_csv(tables: Sequence[Table]) -> bytes:
    """One CSV: each table under its title, a blank line between; UTF-8 with a BOM so Excel
    reads the accents."""
    out = io.StringIO()
    writer = csv.writer(out)
    for title, header, rows in tables:
        writer.writerow([safe_cell(title)])
        writer.writerow([safe_cell(h) for h in header])
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table (numbers stay numbers)."""
    # Imported here, as in to_pdf: only a download needs them, not every process that can
    # render the report page.
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, header, rows in tables:
        name = title.translate(_BAD_SHEET_CHARS)[:_SHEET_TITLE_MAX].strip() or "Tabela"
        sheet = book.create_sheet(name)
        sheet.append([_xlsx_cell(h, ILLEGAL_CHARACTERS_RE) for h in header])
        for row in rows:
            sheet.append([_xlsx_cell(cell, ILLEGAL_CHARACTERS_RE) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value: Cell, illegal: re.Pattern[str]) -> Cell:
    """Control characters make openpyxl refuse the whole file: they are dropped."""
    safe = safe_cell(value)
    return illegal.sub("", safe) if isinstance(safe, str) else safe


def to_pdf(heading: str, tables: Sequence[Table]) -> bytes:
    """An A4 landscape PDF: the heading, then each table under its title."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_latin1(heading))
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.cell(text=_latin1(heading), new_x="LMARGIN", new_y="NEXT")
    for title, header, rows in tables:
        pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.cell(text=_latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        with pdf.table(text_align="LEFT") as table:
            table.row([_latin1(h) for h in header])
            empty: list[list[Cell]] = [["-", *[""] * (len(header) - 1)]]
            for row in rows or empty:
                table.row([_latin1(str(cell)) for cell in row])
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
