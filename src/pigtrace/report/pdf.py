"""The case report (or a packet) as PDF: the report's own HTML laid out by WeasyPrint with its print styles
(A4, page numbers, tables whose heading repeats on each page). Nothing is fetched: the HTML holds all.

Place in the flow: report/html (static HTML, no script) -> **report/pdf** -> a file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pigtrace.errors import PigtraceError


def html_to_pdf(html: str, out: Path) -> Path:
    try:
        from weasyprint import HTML
    except ImportError as e:  # pragma: no cover - a dependency, but say what is missing if it is
        raise PigtraceError(f"PDF output needs WeasyPrint (pip install 'weasyprint>=62'): {e}") from None
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=None).write_pdf(str(out))
    return out
