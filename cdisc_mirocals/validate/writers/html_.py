"""The report as one self-contained HTML page a reviewer can open and filter: the run's context,
counts, the issue summary, and every finding in a table filtered by severity, rule, dataset and
text. Everything from the data is escaped; the findings travel as JSON inside the page and are
shown with textContent, never as markup."""

from __future__ import annotations

from pathlib import Path

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import SEVERITIES, Report
from cdisc_mirocals.textsafe import html_text, script_json
from cdisc_mirocals.validate.writers.rows import DETAIL_HEADERS, finding_rows

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#1f4e78;color:#fff;text-align:left}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dt{font-weight:600}.Reject{background:#f4b6b6}.Error{background:#fcd9c4}.Warning{background:#fff2c2}.Notice{background:#e3eefa}
.counts span{display:inline-block;padding:4px 10px;margin-right:6px;border-radius:4px}
#filters label{margin-right:1em}#shown{margin-left:1em;color:#555}
"""

SCRIPT = """
const data = JSON.parse(document.getElementById('findings').textContent);
const cols = JSON.parse(document.getElementById('columns').textContent);
const body = document.querySelector('#details tbody');
const pick = id => document.getElementById(id);
let limit = 500;
function fill(id, index) {
  const values = [...new Set(data.map(r => r[index]))].filter(v => v !== null).sort();
  for (const v of values) { const o = document.createElement('option'); o.value = o.textContent = v; pick(id).appendChild(o); }
}
function render() {
  const sev = pick('severity').value, rule = pick('rule').value, ds = pick('dataset').value;
  const q = pick('search').value.toLowerCase();
  const rows = data.filter(r => (!sev || r[cols.severity] === sev) && (!rule || r[cols.rule] === rule)
    && (!ds || r[cols.dataset] === ds) && (!q || r.join(' ').toLowerCase().includes(q)));
  body.replaceChildren();
  for (const r of rows.slice(0, limit)) {
    const tr = document.createElement('tr'); tr.className = r[cols.severity];
    for (const v of r) { const td = document.createElement('td'); td.textContent = v === null ? '' : String(v); tr.appendChild(td); }
    body.appendChild(tr);
  }
  pick('shown').textContent = rows.length > limit ? `showing ${limit} of ${rows.length}` : `${rows.length} findings`;
  pick('more').hidden = rows.length <= limit;
}
fill('rule', cols.rule); fill('dataset', cols.dataset);
for (const id of ['severity', 'rule', 'dataset', 'search']) pick(id).addEventListener('input', () => { limit = 500; render(); });
pick('more').addEventListener('click', () => { limit += 2000; render(); });
for (const tr of document.querySelectorAll('#issues tbody tr')) {
  tr.style.cursor = 'pointer';
  tr.addEventListener('click', () => {
    pick('rule').value = tr.dataset.rule; pick('dataset').value = tr.dataset.dataset; pick('severity').value = '';
    pick('search').value = ''; limit = 500; render(); pick('filters').scrollIntoView();
  });
}
render();
"""


def _table(header, rows, classes=None, table_id="", data=None) -> str:
    out = [f'<table{f" id={chr(34)}{table_id}{chr(34)}" if table_id else ""}><thead><tr>',
           *(f"<th>{html_text(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{html_text(classes[i])}"' if classes else ""
        attrs = "".join(f' data-{k}="{html_text(v)}"' for k, v in (data[i] if data else {}).items())
        out.append(f"<tr{cls}{attrs}>" + "".join(f"<td>{html_text(v)}</td>" for v in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render(report: Report) -> str:
    header = "".join(f"<dt>{html_text(k)}</dt><dd>{html_text(v)}</dd>" for k, v in report.header().items())
    notes = "".join(f"<li>{html_text(n)}</li>" for n in report.notes)
    counts = "".join(f'<span class="{s}">{report.count(s):,} {s}</span>' for s in SEVERITIES)
    issues = report.issue_summary()
    ds = report.dataset_summary()
    columns = list(DETAIL_HEADERS)
    options = "".join(f'<option value="{s}">{s}</option>' for s in SEVERITIES)
    return "".join([
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>Validation report: {html_text(report.folder)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Validation report</h1><dl>{header}</dl>",
        f"<ul>{notes}</ul>" if notes else "",
        f'<p class="counts">{counts}</p>',
        "<h2>Issue summary</h2>",
        "<p>Click a line to see its findings.</p>",
        _table(["Severity", "Rule", "Dataset", "Found", "Records", "Message", "P21 ID", "FDA ID", "CDISC ID"],
               [[r.severity, r.rule, r.dataset, r.found, r.records, r.message, r.p21, r.fda, r.cdisc]
                for r in issues.itertuples()],
               list(issues["severity"]), "issues", [{"rule": r.rule, "dataset": r.dataset} for r in issues.itertuples()]),
        "<h2>Datasets</h2>",
        _table(["Dataset", "Label", "Class", "Records", "File", *SEVERITIES],
               [[r["dataset"], r["label"], r["class"], r["records"], r["file"], *(r[s] for s in SEVERITIES)]
                for _, r in ds.iterrows()]),
        "<h2>Findings</h2><div id=\"filters\">",
        f'<label>Severity <select id="severity"><option value="">all</option>{options}</select></label>',
        '<label>Rule <select id="rule"><option value="">all</option></select></label>',
        '<label>Dataset <select id="dataset"><option value="">all</option></select></label>',
        '<label>Search <input id="search" type="search"></label><span id="shown"></span></div>',
        '<table id="details"><thead><tr>', *(f"<th>{html_text(h)}</th>" for h in DETAIL_HEADERS.values()),
        '</tr></thead><tbody></tbody></table><button id="more" hidden>show more</button>',
        f'<script type="application/json" id="findings">{script_json(finding_rows(report))}</script>',
        f'<script type="application/json" id="columns">{script_json({c: i for i, c in enumerate(columns)})}</script>',
        f"<script>{SCRIPT}</script></body></html>\n",
    ])


def write(report: Report, path: Path) -> None:
    with atomic_write(path, "w") as fh:
        fh.write(render(report))
