"""One entry point for every report format of a case, for the CLI and the API: ``render(con, case, fmt, out)``.

Place in the flow: trace/case or trace/case_store (the case dict) -> **report/build** -> report/gather ->
the format's writer (html, pdf, packets, stix, graphml, tagpack) -> files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pigtrace.errors import PigtraceError

FORMATS = ("html", "pdf", "stix", "graphml", "tagpack", "packets")


def render(con: duckdb.DuckDBPyConnection, case: dict, fmt: str, out: str | Path, store=None) -> list[Path]:
    """Write ``case`` (``Case.as_dict()`` or a saved case) as ``fmt`` to ``out`` (a file; a folder for
    ``packets``) and return the paths written."""
    from pigtrace.report.gather import report_data

    if fmt not in FORMATS:
        raise PigtraceError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    if fmt == "graphml":  # the case's own graph: no need to walk the money again
        from pigtrace.report.graphml import write_graphml

        return [write_graphml(case, out)]
    data = report_data(con, case, store=store)
    if fmt == "html":
        from pigtrace.report.html import render_html

        out.write_text(render_html(data), encoding="utf-8")
        return [out]
    if fmt == "pdf":
        from pigtrace.report.html import render_html
        from pigtrace.report.pdf import html_to_pdf

        return [html_to_pdf(render_html(data, static=True), out)]
    if fmt == "stix":
        from pigtrace.report.stix import case_bundle, write_bundle

        return [write_bundle(case_bundle(data), out)]
    if fmt == "tagpack":
        from pigtrace.report.tagpack import write_case_tagpack

        return [write_case_tagpack(data, out)]
    from pigtrace.report.packets import write_packets

    write_packets(data, out)
    return sorted(p for p in out.rglob("*") if p.is_file())
