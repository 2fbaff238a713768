"""Analysis Results Metadata (arm:AnalysisResultDisplays) of a define.xml, read into analysis_displays.csv
and analysis_results.csv rows. An analysis result's key, which names it in this package's analysis code,
is not in define.xml: its ID stands in."""

from __future__ import annotations


def arm_tables(doc) -> dict[str, list[dict[str, str]]]:
    root = doc.mdv.find(doc.q("arm:AnalysisResultDisplays"))
    if root is None:
        return {}
    displays, results = [], []
    for display in root.findall(doc.q("arm:ResultDisplay")):
        leaf, pages = doc.document(display)
        displays.append({"ID": display.get("OID", ""), "Name": display.get("Name", ""), "Title": doc.text(display),
                         "Document": leaf, "Pages": pages})
        for result in display.findall(doc.q("arm:AnalysisResult")):
            results += _result_rows(doc, display.get("OID", ""), result)
    return {"analysis_displays.csv": displays, "analysis_results.csv": results}


def _result_rows(doc, display: str, result) -> list[dict[str, str]]:
    from cdisc_mirocals.spec.from_define import where_text

    wheres = {w.get("OID"): w for w in doc.findall("def:WhereClauseDef")}
    parameter = doc.owner.get(result.get("ParameterOID", ""))
    documentation = result.find(doc.q("arm:Documentation"))
    leaf, pages = doc.document(documentation)
    code = result.find(doc.q("arm:ProgrammingCode"))
    code_text = code.find(doc.q("arm:Code")) if code is not None else None
    code_leaf, code_pages = doc.document(code)
    if code_pages:
        doc.notes.append(f"{result.get('OID')}: the pages of its programming code's document ({code_pages}), which "
                         f"specs/ has no place for; left out")
    datasets = result.find(doc.q("arm:AnalysisDatasets"))
    first = {"Display": display, "ID": result.get("OID", ""), "Analysis Key": result.get("OID", ""),
             "Description": doc.text(result), "Reason": result.get("AnalysisReason", ""),
             "Purpose": result.get("AnalysisPurpose", ""), "Parameter": ".".join(parameter) if parameter else "",
             "Join Comment": doc.attr(datasets, "def:CommentOID") if datasets is not None else "",
             "Documentation": doc.text(documentation), "Document": leaf, "Pages": pages,
             "Code Context": code.get("Context", "") if code is not None else "",
             "Code": (code_text.text or "") if code_text is not None else "", "Code Document": code_leaf}
    rows = []
    for ads in (datasets.findall(doc.q("arm:AnalysisDataset")) if datasets is not None else []):
        group = next((ig for ig in doc.findall("ItemGroupDef") if ig.get("OID") == ads.get("ItemGroupOID")), None)
        wcr = ads.find(doc.q("def:WhereClauseRef"))
        wc = wheres.get(wcr.get("WhereClauseOID")) if wcr is not None else None
        variables = [doc.owner[v.get("ItemOID")][1] for v in ads.findall(doc.q("arm:AnalysisVariable"))
                     if v.get("ItemOID") in doc.owner]
        row = first if not rows else {"ID": first["ID"]}
        rows.append({**row, "Dataset": group.get("Name", "") if group is not None else ads.get("ItemGroupOID", ""),
                     "Where Clause": where_text(doc, wc) if wc is not None else "",
                     "Variables": ", ".join(variables)})
    return rows or [{**first, "Dataset": ""}]
