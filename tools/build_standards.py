#!/usr/bin/env python3
"""Build the generic standard model the validator ships with, as data inside the package.

Reads the public CDISC metadata beside the checkout (../shared/reference/standards and
../shared/reference/controlled-terminology) and writes cdisc_mirocals/validate/standards/:

- sdtmig-3.4.json   every SDTMIG 3.4 dataset with its variables (order, label, type, codelists,
                    role, core, value domain, fixed value), as published in the IG's variable table;
- sdtmig-3.2.json.gz, sdtmig-3.3.json.gz   the same for SDTMIG 3.2 and 3.3 (gzip: what a study that
                    declares them is checked against);
- adamig-1.1.json.gz, adamig-1.2.json.gz   the same for ADaMIG 1.1 and 1.2;
- adamig-1.3.json   the ADaMIG 1.3 ADSL and BDS variables (names keep their xx/y/zz/w placeholders);
- ct.json.gz        the CDISC codelists those variables name: SDTM CT 2025-03-28 and ADaM CT
                    2025-03-28 (all its codelists), each term as [NCI code, submission value];
- p21-rules.json    the Pinnacle 21 rule catalogue (IDs, publisher IDs, message, description,
                    category), so findings carry P21's wording, with the FDA Validator Rules IDs
                    (FDACnnn) that P21 2.2.0's FDA configuration gives its SDTM rules, and the rules of
                    P21 2.2.0's SDTM and ADaM configurations that the current catalogue no longer lists
                    (marked "catalogue": the configuration they come from).

The package reads only these files at run time. The same inputs give byte-identical outputs
(sorted keys, gzip without a timestamp), so `--check` can prove the committed files are current.

Usage:
    python tools/build_standards.py            # write the files
    python tools/build_standards.py --check    # exit 1 if a committed file differs from a rebuild
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import tarfile
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"
OUT = REPO / "cdisc_mirocals" / "validate" / "standards"
SDTM_CT_RELEASE = "2025-03-28"
ADAM_CT_RELEASE = "2025-03-28"
OLDER_SDTMIG = ("3.2", "3.3")
OLDER_ADAMIG = ("1.1", "1.2")
P21_SDTM_REPORT = Path("cdiscpilot_phuse_update", "p21-reports", "pinnacle21-report-TDF_SDTM.xlsx")
P21_ADAM_REPORT = Path("cdiscpilot_phuse_update", "p21-reports", "pinnacle21-report-TDF_ADaM.xlsx")


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(";") if c.strip()]


def _generic(domain: str, name: str) -> str:
    return "--" + name[2:] if name.startswith(domain) and len(domain) == 2 else name


def sdtmig(folder: Path, version: str = "3.4", domains_of: dict | None = None) -> dict:
    """One SDTMIG version's datasets and variables. The 3.2 and 3.3 tables have no value-domain column: a
    variable takes the value domain (ISO 8601, MedDRA) of the same variable in 3.4 (`domains_of`), or of the
    same generic variable (--STDTC) in any 3.4 domain."""
    datasets = {}
    for row in _rows(folder / f"sdtm_ig_v{version}_Datasets.csv"):
        datasets[row["Dataset Name"]] = {"class": row["Class"], "label": row["Dataset Label"],
                                         "structure": row["Structure"], "variables": []}
    exact, generic = domains_of or ({}, {})
    for row in _rows(folder / f"sdtm_ig_v{version}_Variables.csv"):
        ds, name = datasets[row["Dataset Name"]], row["Variable Name"]
        domain = exact.get((row["Dataset Name"], name)) or generic.get(_generic(row["Dataset Name"], name), "")
        ds["variables"].append({
            "order": int(row["Variable Order"]), "name": name, "label": row["Variable Label"],
            "type": row["Type"], "codelists": _codes(row["CDISC CT Codelist Code(s)"]), "role": row["Role"],
            "core": row["Core"], "value_domain": row.get("Described Value Domain(s)", domain),
            "value": row["Value List"]})
    for ds in datasets.values():
        ds["variables"].sort(key=lambda v: v["order"])
    return {"standard": "SDTMIG", "version": version, "datasets": datasets}


def value_domains(model: dict) -> tuple[dict, dict]:
    """(dataset, variable) -> value domain, and generic variable -> value domain, of a 3.4 model."""
    exact, generic = {}, {}
    for name, ds in model["datasets"].items():
        for v in ds["variables"]:
            if v["value_domain"]:
                exact[(name, v["name"])] = v["value_domain"]
                generic.setdefault(_generic(name, v["name"]), v["value_domain"])
    return exact, generic


ADAM_STRUCTURES = {"Subject-Level Analysis Dataset": "ADSL", "Basic Data Structure": "BDS"}


def adamig(folder: Path, version: str = "1.3", domains_of: dict | None = None) -> dict:
    """One ADaMIG version's ADSL and BDS variables. The 1.1 and 1.2 tables name the structures ADSL and BDS and
    have no value-domain or value-list column: a variable takes its 1.3 value domain (`domains_of`)."""
    structures: dict[str, dict] = {}
    for row in _rows(folder / f"adam_ig_v{version}_DataStructures.csv"):
        name = ADAM_STRUCTURES.get(row["Data Structure Name"], row["Data Structure Name"])
        structures[name] = {"class": row["Class"], "label": row.get("Label", row["Data Structure Description"]),
                            "subclass": row.get("Subclass", ""), "variables": []}
    for order, row in enumerate(_rows(folder / f"adam_ig_v{version}_Variables.csv"), start=1):
        name = ADAM_STRUCTURES.get(row["Data Structure Name"], row["Data Structure Name"])
        structures[name]["variables"].append({
            "order": order, "name": row["Variable Name"], "label": row["Variable Label"], "type": row["Type"],
            "codelists": _codes(row["CDISC CT Codelist Code(s)"]), "set": row["Variable Set"], "core": row["Core"],
            "value_domain": row.get("Described Value Domain(s)", (domains_of or {}).get(row["Variable Name"], "")),
            "value": row.get("Value List Value", "")})
    return {"standard": "ADaMIG", "version": version, "structures": structures}


def sdtm_ct(archive: Path, wanted: set[str]) -> dict:
    with tarfile.open(archive) as tar:
        text = tar.extractfile("SDTM Terminology.txt").read().decode("utf-8")
    codelists: dict[str, dict] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        if not row["Codelist Code"] and row["Code"] in wanted:
            codelists[row["Code"]] = {"name": row["Codelist Name"], "submission": row["CDISC Submission Value"],
                                      "extensible": row["Codelist Extensible (Yes/No)"] == "Yes", "terms": []}
        elif row["Codelist Code"] in wanted:
            codelists.setdefault(row["Codelist Code"], {"terms": []})["terms"].append(
                [row["Code"], row["CDISC Submission Value"]])
    return codelists


def adam_ct(path: Path) -> dict:
    """Every codelist of the ADaM CT release (the NCI EVS CSV: the SDTM file's columns, comma-separated)."""
    codelists: dict[str, dict] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if not row["Codelist Code"]:
                codelists.setdefault(row["Code"], {"terms": []}).update(
                    name=row["Codelist Name"], submission=row["CDISC Submission Value"],
                    extensible=row["Codelist Extensible (Yes/No)"] == "Yes")
            else:
                codelists.setdefault(row["Codelist Code"], {"terms": []})["terms"].append(
                    [row["Code"], row["CDISC Submission Value"]])
    return codelists


def fda_validator_ids(report: Path) -> dict[str, str]:
    """P21 ID -> FDA Validator Rules ID (FDACnnn) from the Rules sheet of a Pinnacle 21 Community 2.2.0 SDTM
    report, whose FDA configuration names each rule's FDA ID (the catalogue gives the later FDAB IDs)."""
    from openpyxl import load_workbook

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Workbook contains no default style"
        sheet = load_workbook(report)["Rules"]  # read_only would trust the file's wrong dimension (A1)
        rows = list(sheet.iter_rows(min_row=2, max_col=2, values_only=True))
    return {rid: pub for rid, pub in rows if rid and pub and str(pub).startswith("FDAC")}


def configuration_rules(report: Path, standard: str) -> dict[str, dict]:
    """The rules of a Pinnacle 21 Community 2.2.0 configuration (the Rules sheet of its report), as catalogue
    entries: P21 ran them on the CDISC pilot, and some (AD0161, SD0063) are not in its current catalogue."""
    from openpyxl import load_workbook

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Workbook contains no default style"
        sheet = load_workbook(report)["Rules"]
        rows = list(sheet.iter_rows(min_row=2, max_col=6, values_only=True))
    out = {}
    for rid, publisher, message, description, category, _severity in rows:
        if not rid:
            continue
        ids = [p.strip() for p in str(publisher or "").split(",") if p.strip() not in ("", "+")]
        out[rid] = {"message": " ".join(str(message).split()), "description": " ".join(str(description or "").split()),
                    "category": category or "", "severity": "", "standards": [standard],
                    "publisher": [f"ADaM {p}" if p[:1].isdigit() else p for p in ids],
                    "catalogue": "Pinnacle 21 Community 2.2.0 configuration"}
    return out


def p21_catalogue(folder: Path, fda: dict[str, str] | None = None, configurations: tuple[dict, ...] = ()) -> dict:
    rules = {}
    for standard, path, delimiter in (("SDTM", folder / "p21_sdtm_rules.csv", ";"),
                                      ("ADaM", folder / "p21_adam_rules.csv", ",")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            next(reader)
            for row in reader:
                if len(row) > 6:  # a few ADaM rows split their description on an unquoted comma
                    row = [*row[:3], ",".join(row[3:-2]).strip('"'), *row[-2:]]
                rid, publisher, message, description, category, severity = row
                entry = rules.setdefault(rid, {"message": message, "description": description.strip('"'),
                                               "category": category, "severity": severity, "publisher": [],
                                               "standards": []})
                entry["standards"].append(standard)
                for pid in (p.strip() for p in publisher.split(",")):
                    # the ADaM catalogue gives bare CDISC ADaM conformance numbers; name them
                    pid = f"ADaM {pid}" if pid[:1].isdigit() else pid
                    if pid and pid not in ("+",) and pid not in entry["publisher"]:
                        entry["publisher"].append(pid)
    for rid, pid in (fda or {}).items():
        if rid in rules and pid not in rules[rid]["publisher"]:
            rules[rid]["publisher"].append(pid)
    for configuration in configurations:  # rules P21 2.2.0 ran that its current catalogue no longer lists
        for rid, entry in configuration.items():
            rules.setdefault(rid, entry)
    return rules


def build(reference: Path) -> dict[str, bytes]:
    standards = reference / "standards"
    sdtm, adam = sdtmig(standards), adamig(standards)
    older = {v: sdtmig(standards, v, value_domains(sdtm)) for v in OLDER_SDTMIG}
    adam_domains = {v["name"]: v["value_domain"] for st in adam["structures"].values() for v in st["variables"]
                    if v["value_domain"]}
    older_adam = {v: adamig(standards, v, adam_domains) for v in OLDER_ADAMIG}
    wanted = {c for m in (sdtm, *older.values()) for ds in m["datasets"].values() for v in ds["variables"]
              for c in v["codelists"]}
    wanted |= {c for m in (adam, *older_adam.values()) for st in m["structures"].values() for v in st["variables"]
               for c in v["codelists"]}
    ct_dir = reference / "controlled-terminology"
    ct = {"sdtm": {"release": SDTM_CT_RELEASE, "codelists": sdtm_ct(ct_dir / "SDTM Terminology.tar.xz", wanted)},
          "adam": {"release": ADAM_CT_RELEASE, "codelists": adam_ct(ct_dir / f"ADaM_CT_{ADAM_CT_RELEASE}.csv")}}

    def dump(obj) -> bytes:
        return (json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    def packed(obj) -> bytes:  # the older versions, compactly: the package reads them rarely
        return gzip.compress(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode(), mtime=0)

    return {"sdtmig-3.4.json": dump(sdtm), "adamig-1.3.json": dump(adam),
            **{f"sdtmig-{v}.json.gz": packed(m) for v, m in older.items()},
            **{f"adamig-{v}.json.gz": packed(m) for v, m in older_adam.items()},
            "ct.json.gz": gzip.compress(json.dumps(ct, sort_keys=True, separators=(",", ":")).encode(), mtime=0),
            "p21-rules.json": dump(p21_catalogue(standards, fda_validator_ids(reference / P21_SDTM_REPORT), (
                configuration_rules(reference / P21_SDTM_REPORT, "SDTM"),
                configuration_rules(reference / P21_ADAM_REPORT, "ADaM"))))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the shared reference folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args(argv)
    files = build(args.reference)
    stale = [name for name, data in files.items()
             if not (args.out / name).is_file() or (args.out / name).read_bytes() != data]
    if args.check:
        for name in stale:
            print(f"{args.out / name} is not what {Path(__file__).name} builds", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
