"""HTML and file writers. Every text that came from data is escaped (textsafe.html_text); every CSV
cell that a spreadsheet would run as a formula is neutralised (textsafe.csv_safe).

A table of a Result carries the Result's key as its anchor id and on every cell (data-analysis), and
its Analysis Results Metadata OIDs (data-display-oid, data-result-oid) when a mapping gave them, so
each number in the report points at the ARM analysis it belongs to.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pandas as pd

from cdisc_mirocals.analysis.result import Result, plain
from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.textsafe import csv_safe, html_text

CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #999;margin-top:2em}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em;font-family:Helvetica,Arial,sans-serif;font-size:.82em}
caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{padding:.2em .6em;text-align:right;vertical-align:top;border-bottom:1px solid #ddd}
th{border-bottom:2px solid #333;border-top:2px solid #333}
td:first-child,th:first-child{text-align:left;white-space:pre}
td.num{white-space:nowrap}
.banner{background:#b00020;color:#fff;font-weight:bold;padding:.5em 1em;font-family:Helvetica,Arial,sans-serif}
.note{color:#555;font-size:.85em}.skipped{color:#8a4b00}.arm{color:#555;font-size:.8em;font-family:monospace}
figure{margin:1em 0}figure img{max-width:100%}figcaption{font-size:.85em;color:#333}
nav ul{columns:2;font-size:.9em}
"""


def slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").lower()


def _attrs(result: Result | None) -> str:
    if result is None:
        return ""
    parts = [f'data-analysis="{html_text(result.key)}"']
    if result.display_oid:
        parts.append(f'data-display-oid="{html_text(result.display_oid)}"')
    if result.result_oid:
        parts.append(f'data-result-oid="{html_text(result.result_oid)}"')
    return " " + " ".join(parts)


# a cell that holds a number, an estimate with its interval or a p-value ("110 (100.0)", "< 0.001", "NE"): it
# must not wrap in the middle of its value
NUMERIC = ' class="num"'
NUMBER = re.compile(r"^\s*(?:[<>]=?\s*)?(?:[-+]?\d|NE\b|HR\b)")


def html_table(frame: pd.DataFrame, result: Result | None = None, caption: str | None = None,
               index: bool = True, row_results: list[Result | None] | None = None) -> str:
    """`result` owns every cell; or, for a table gathering several analyses, `row_results` gives each
    row's own Result."""
    attrs = _attrs(result)
    anchor = f' id="{slug(result.key)}"' if result is not None else ""
    cols = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    head = "".join(f"<th>{html_text(c)}</th>" for c in cols)
    body = []
    for i, (idx, row) in enumerate(frame.iterrows()):
        cell_attrs = _attrs(row_results[i]) if row_results is not None else attrs
        cells = [f"<td>{html_text(idx)}</td>"] if index else []
        cells += [f"<td{NUMERIC if NUMBER.match(str(v)) else ''}{cell_attrs}>{html_text(v)}</td>" for v in row]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html_text(caption)}</caption>" if caption else ""
    return f"<table{anchor}{attrs}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def result_block(result: Result, table: pd.DataFrame | None, index: bool = True) -> str:
    """A Result's title, its table (or why it was skipped), method, ARM OIDs and notes."""
    out = [f"<h3>{html_text(result.title)}</h3>"]
    if result.display_oid or result.result_oid:
        out.append(f'<p class="arm">ARM display {html_text(result.display_oid or "")}, '
                   f'result {html_text(result.result_oid or "")}</p>')
    if not result.done:
        out.append(f'<p class="skipped" id="{slug(result.key)}"{_attrs(result)}>Not done: {html_text(result.skipped)}</p>')
        return "\n".join(out)
    if table is not None and not table.empty:
        out.append(html_table(table, result, None, index))
    meta = [result.method] + ([f"Population: {result.population}"] if result.population else [])
    out.append(f'<p class="note">{html_text("; ".join(m for m in meta if m))}</p>')
    out += [f'<p class="note">Note: {html_text(n)}</p>' for n in result.notes]
    return "\n".join(out)


def image(path: Path, alt: str, caption: str | None = None) -> str:
    """An inline PNG (base64), so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    cap = f"<figcaption>{html_text(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{html_text(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def page(title: str, body: str, notice: str | None = None) -> str:
    """A self-contained page; `notice` (simulated data) stands in its title and as a banner under it."""
    full = f"{title} ({notice})" if notice else title
    banner = f'<p class="banner">{html_text(notice)}</p>\n' if notice else ""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html_text(full)}</title>"
            f"<style>{CSS}</style></head><body>\n<h1>{html_text(title)}</h1>\n{banner}{body}\n</body></html>\n")


def write_text(path: Path, text: str) -> Path:
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return path


def write_json(path: Path, document: dict) -> Path:
    return write_text(path, json.dumps(plain(document), indent=2, allow_nan=False) + "\n")


def write_csv(path: Path, results: list[Result]) -> Path:
    """The numbers of the Results, one row per summary row, with the Result key first."""
    frames = [r.summary.assign(key=r.key)[["key", *r.summary.columns]] for r in results if r.done]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["key"])
    with atomic_write(path, "w") as fh:
        csv_safe(table).to_csv(fh, index=False, lineterminator="\n", float_format="%.15g")
    return path
