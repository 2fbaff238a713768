"""Analysis Results Metadata 1.0: one arm:ResultDisplay per display of specs/adam/analysis_displays.csv,
one arm:AnalysisResult per result of analysis_results.csv, in the CDISC ADaM example's structure."""

from __future__ import annotations

from lxml import etree

from cdisc_mirocals.spec import AnalysisResult, Condition, Standard
from cdisc_mirocals.submission.define import oids
from cdisc_mirocals.submission.define.elements import described, document_ref, sub
from cdisc_mirocals.submission.define.safe_xml import DefineError


def analysis_where_clauses(std: Standard) -> list[tuple[str, str, tuple[Condition, ...]]]:
    """(OID, dataset, conditions) of every analysis dataset's where clause."""
    return [(oids.arm_where_clause(r.id, ds.dataset), ds.dataset, ds.where)
            for r in std.analysis_results for ds in r.datasets if ds.where]


def analysis_result_displays(parent: etree._Element, std: Standard,
                              display_pages: dict[str, str] | None = None) -> etree._Element:
    """A display whose Document has Pages in the spec cites them. One whose Document has none is in the
    analysis displays PDF that `convert` lays out: it cites the pages `display_pages` gives it, and no
    document at all when that PDF was not written (display_pages None)."""
    if not std.displays:
        raise DefineError(f"Analysis Results Metadata were asked for, but specs/{std.name.lower()} has no "
                          f"analysis_displays.csv")
    root = sub(parent, "arm:AnalysisResultDisplays")
    for display in std.displays.values():
        results = [r for r in std.analysis_results if r.display == display.id]
        if not results:
            raise DefineError(f"analysis display {display.id} has no result in analysis_results.csv")
        element = sub(root, "arm:ResultDisplay", {"OID": display.id, "Name": display.name})
        described(element, display.title)
        pages = display.pages or (display_pages or {}).get(display.id, "")
        if display.document and (display.pages or display_pages is not None):
            document_ref(element, display.document, pages)
        for result in results:
            _result(element, result)
    return root


def _result(parent: etree._Element, r: AnalysisResult) -> None:
    dataset, _, variable = r.parameter.partition(".")
    element = sub(parent, "arm:AnalysisResult", {
        "OID": r.id, "ParameterOID": oids.item(dataset, variable) if r.parameter else None,
        "AnalysisReason": r.reason, "AnalysisPurpose": r.purpose})
    described(element, r.description)
    datasets = sub(element, "arm:AnalysisDatasets", {"def:CommentOID": r.join_comment})
    for ds in r.datasets:
        ads = sub(datasets, "arm:AnalysisDataset", {"ItemGroupOID": oids.item_group(ds.dataset)})
        if ds.where:
            sub(ads, "def:WhereClauseRef", {"WhereClauseOID": oids.arm_where_clause(r.id, ds.dataset)})
        for var in ds.variables:
            sub(ads, "arm:AnalysisVariable", {"ItemOID": oids.item(ds.dataset, var)})
    if r.documentation:
        doc = sub(element, "arm:Documentation")
        described(doc, r.documentation)
        if r.document:
            document_ref(doc, r.document, r.pages)
    if r.code or r.code_document:
        code = sub(element, "arm:ProgrammingCode", {"Context": r.code_context})
        if r.code:
            sub(code, "arm:Code", text=r.code)
        if r.code_document:
            document_ref(code, r.code_document)
