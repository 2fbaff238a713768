#!/usr/bin/env python3
"""Build specs/sdtm/codelists.csv for MIROCALS from a small declarative list.

CDISC rows (NCI codelist code, NCI term code, codelist name, Extensible flag and
decode) are *copied* from the SDTM Controlled Terminology release named below; they
are never typed by hand.  Sponsor-defined codelists, sponsor extensions of
extensible CDISC codelists and external dictionaries (MedDRA, WHODrug, ISO 3166,
ISO 21090) are declared here and appended after the CDISC rows; arms, elements,
treatments and planned visits are read from specs/study.toml so they have one source.

Usage:
    python tools/build_ct_subset.py                 # write specs/sdtm/codelists.csv
    python tools/build_ct_subset.py --check         # verify the existing file against CT
    python tools/build_ct_subset.py --ct PATH --out PATH

The script fails (exit 1) if a declared submission value is not in the named CDISC
codelist, so a typo can never produce an invented code.
"""
from __future__ import annotations

import argparse
import csv
import sys
import tarfile
import tomllib
from pathlib import Path

import pandas as pd

CT_RELEASE = "2025-03-28"
REPO = Path(__file__).resolve().parents[1]
# the shared reference folder sits beside the project checkout
DEFAULT_CT = REPO.parent / "shared" / "reference" / "controlled-terminology" / "SDTM Terminology.tar.xz"
DEFAULT_OUT = REPO / "specs" / "sdtm" / "codelists.csv"
STUDY_TOML = REPO / "specs" / "study.toml"

COLUMNS = ["ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Extensible",
           "Order", "Term", "NCI Term Code", "Decoded Value", "Comment"]

SPONSOR_COMMENT = "Sponsor-defined: no CDISC term in CT 2025-03"
EXT_COMMENT = "Sponsor extension of extensible codelist {code}: no CDISC term in CT 2025-03"

# ---------------------------------------------------------------------------------
# CDISC codelist subsets.
#   id      : codelist ID referenced from variables.csv / valuelevel.csv
#   code    : NCI codelist code (C-code of the codelist header row)
#   terms   : CDISC submission values used by the study (order = Order column)
#   codes_of: instead of terms, take the NCI term codes of another declared subset
#             (used for --TEST / TSPARM codelists paired with --TESTCD / TSPARMCD)
#   decode  : "pt" = NCI preferred term, "self" = submission value,
#             "pair:<C-code>" = submission value of the same NCI term code in the
#             paired codelist (e.g. LBTESTCD -> LBTEST)
#   ext     : sponsor extensions [(term, decode)] (extensible codelists only)
# ---------------------------------------------------------------------------------
LB_TESTS = ["HGB", "WBC", "NEUT", "LYM", "EOS", "PLAT", "ALT", "AST", "CREAT", "BILI", "NFHP"]
VS_TESTS = ["SYSBP", "DIABP", "PULSE", "TEMP", "WEIGHT", "HEIGHT", "BMI"]
RE_TESTS = ["SVC", "SVCPP"]
CP_TESTS = ["TLR", "TLHRTLH", "TLRLY"]
DD_TESTS = ["PRCDTH", "AUTOPIND"]
TS_PARMS = ["ACTSUB", "ADAPT", "ADDON", "AGEMAX", "AGEMIN", "COMPTRT", "CURTRT", "DCUTDESC",
            "DCUTDTC", "DMCIND", "DOSE", "DOSFRM", "DOSFRQ", "DOSU", "EXTTIND", "FCNTRY",
            "HLTSUBJI", "INDIC", "INTMODEL", "INTTYPE", "LENGTH", "NARMS", "OBJPRIM", "OBJSEC",
            "OUTMSEXP", "OUTMSPRI", "OUTMSSEC", "PCLAS", "PDPSTIND", "PDSTIND", "PLANSUB",
            "PTRTDUR", "RANDOM", "RANDQT", "RDIND", "REGID", "ROUTE", "SDTIGVER", "SDTMVER",
            "SENDTC", "SEXPOP", "SPONSOR", "SSTDTC", "STOPRULE", "STRATFCT", "STYPE", "TBLIND",
            "TCNTRL", "TDIGRP", "THERAREA", "TINDTP", "TITLE", "TPHASE", "TRT", "TTYPE"]

CDISC = [
    # identifiers / special purpose
    dict(id="DOMAIN", code="C66734", decode="pt",
         terms=["AE", "CM", "CP", "DD", "DM", "DS", "EX", "IE", "LB", "MH", "PR", "QS", "RE",
                "SE", "SS", "SV", "TA", "TE", "TI", "TS", "TV", "VS"]),
    dict(id="AGEU", code="C66781", terms=["YEARS"]),
    dict(id="SEX", code="C66731", terms=["F", "M"]),
    dict(id="RACE", code="C74457",
         terms=["WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER", "NOT REPORTED"]),
    dict(id="ETHNIC", code="C66790",
         terms=["HISPANIC OR LATINO", "NOT HISPANIC OR LATINO", "NOT REPORTED"]),
    dict(id="ARMNRS", code="C142179",
         terms=["SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED"]),
    dict(id="NY", code="C66742", terms=["N", "Y"]),
    dict(id="EPOCH", code="C99079", terms=["SCREENING", "RUN-IN", "TREATMENT", "FOLLOW-UP"]),
    dict(id="EVAL", code="C78735", terms=["INVESTIGATOR"]),
    # interventions
    dict(id="UNIT_EX", code="C71620", decode="self", terms=["10^6 IU"]),
    dict(id="FRM_EX", code="C66726", terms=["INJECTION, SOLUTION"]),
    dict(id="FREQ_EX", code="C71113", terms=["QD"]),
    dict(id="ROUTE_EX", code="C66729", terms=["SUBCUTANEOUS"]),
    # CM CRF values (raw CM form) -> CT: Once daily QD, Twice daily BID, Three times daily TID,
    # As needed PRN, Once weekly "1 TIME PER WEEK"; Inhalation "RESPIRATORY (INHALATION)",
    # Gastrostomy "INTRAGASTRIC" (CT has no gastrostomy route); puff "PUFF".
    dict(id="UNIT_CM", code="C71620", decode="self", terms=["mg", "g", "mL", "ug", "IU", "PUFF"]),
    dict(id="FREQ", code="C71113", terms=["QD", "BID", "TID", "PRN", "1 TIME PER WEEK"]),
    dict(id="ROUTE", code="C66729",
         terms=["ORAL", "SUBCUTANEOUS", "RESPIRATORY (INHALATION)", "TRANSDERMAL", "INTRAGASTRIC"]),
    dict(id="PROCEDUR", code="C101858", terms=["TRACHEOSTOMY", "MECHANICAL VENTILATION"]),
    # events
    dict(id="AESEV", code="C66769", terms=["MILD", "MODERATE", "SEVERE"]),
    dict(id="OUT", code="C66768",
         terms=["RECOVERED/RESOLVED", "RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED",
                "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL"]),
    dict(id="ACN", code="C66767",
         terms=["DOSE NOT CHANGED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE"]),
    dict(id="ENRTPT", code="C66728", terms=["BEFORE", "ONGOING"]),
    dict(id="DSCAT", code="C74558", terms=["PROTOCOL MILESTONE", "DISPOSITION EVENT", "OTHER EVENT"]),
    dict(id="DSSCAT", code="C170443", terms=["STUDY PARTICIPATION", "STUDY TREATMENT"]),
    dict(id="PROTMLST", code="C114118", terms=["INFORMED CONSENT OBTAINED", "RANDOMIZED"]),
    dict(id="NCOMPLT", code="C66727",
         terms=["COMPLETED", "DEATH", "WITHDRAWAL BY SUBJECT", "ADVERSE EVENT",
                "LOST TO FOLLOW-UP", "PHYSICIAN DECISION", "SCREEN FAILURE",
                "PROGRESSIVE DISEASE"]),
    dict(id="OTHEVENT", code="C150811", terms=[],
         ext=[("DEATH", "Death after the end of study participation (vital-status follow-up)")]),
    dict(id="MHEVDTYP", code="C124301", terms=["SYMPTOM ONSET", "DIAGNOSIS"]),
    # findings
    dict(id="ND", code="C66789", terms=["NOT DONE"]),
    dict(id="NRIND", code="C78736", terms=["LOW", "NORMAL", "HIGH", "ABNORMAL"]),
    dict(id="SPECTYPE", code="C78734", terms=["BLOOD", "SERUM", "CEREBROSPINAL FLUID"]),
    dict(id="METHOD", code="C85492", terms=["FLOW CYTOMETRY", "SPIROMETRY"]),
    dict(id="LBTESTCD", code="C65047", terms=LB_TESTS, decode="pair:C67154"),
    dict(id="LBTEST", code="C67154", codes_of="LBTESTCD"),
    dict(id="LBUNIT", code="C71620", decode="self", terms=["g/L", "10^9/L", "U/L", "umol/L", "ng/L"]),
    dict(id="UNIT_G_L", code="C71620", decode="self", terms=["g/L"]),
    dict(id="UNIT_10E9_L", code="C71620", decode="self", terms=["10^9/L"]),
    dict(id="UNIT_U_L", code="C71620", decode="self", terms=["U/L"]),
    dict(id="UNIT_UMOL_L", code="C71620", decode="self", terms=["umol/L"]),
    dict(id="UNIT_NG_L", code="C71620", decode="self", terms=["ng/L"]),
    dict(id="CPTESTCD", code="C181173", terms=CP_TESTS, decode="pair:C181174"),
    dict(id="CPTEST", code="C181174", codes_of="CPTESTCD"),
    dict(id="CPCAT", code="C181171", terms=["IMMUNOPHENOTYPING"]),
    dict(id="CPUNIT", code="C71620", decode="self", terms=["10^6/L", "%"]),
    dict(id="UNIT_10E6_L", code="C71620", decode="self", terms=["10^6/L"]),
    dict(id="UNIT_PCT", code="C71620", decode="self", terms=["%"]),
    dict(id="QSCAT", code="C100129", terms=[],
         ext=[("ALSFRS-R", "ALS Functional Rating Scale-Revised")]),
    dict(id="RETESTCD", code="C111106", terms=RE_TESTS, decode="pair:C111107"),
    dict(id="RETEST", code="C111107", codes_of="RETESTCD"),
    dict(id="REUNIT", code="C71620", decode="self", terms=["L", "%"]),
    dict(id="UNIT_L", code="C71620", decode="self", terms=["L"]),
    dict(id="VSTESTCD", code="C66741", terms=VS_TESTS, decode="pair:C67153"),
    dict(id="VSTEST", code="C67153", codes_of="VSTESTCD"),
    dict(id="VSRESU", code="C66770", decode="self",
         terms=["mmHg", "beats/min", "C", "kg", "cm", "kg/m2"]),
    dict(id="VSRESU_MMHG", code="C66770", decode="self", terms=["mmHg"]),
    dict(id="VSRESU_BPM", code="C66770", decode="self", terms=["beats/min"]),
    dict(id="VSRESU_C", code="C66770", decode="self", terms=["C"]),
    dict(id="VSRESU_KG", code="C66770", decode="self", terms=["kg"]),
    dict(id="VSRESU_CM", code="C66770", decode="self", terms=["cm"]),
    dict(id="VSRESU_KGM2", code="C66770", decode="self", terms=["kg/m2"]),
    dict(id="DTHDXCD", code="C116108", terms=DD_TESTS, decode="pair:C116107"),
    dict(id="DTHDX", code="C116107", codes_of="DTHDXCD"),
    dict(id="SSTESTCD", code="C124305", terms=["SURVSTAT"], decode="pair:C124306"),
    dict(id="SSTEST", code="C124306", codes_of="SSTESTCD"),
    dict(id="SSTATRS", code="C124304", terms=["ALIVE", "DEAD"]),
    dict(id="IECAT", code="C66797", terms=["INCLUSION", "EXCLUSION"]),
    # trial design / trial summary
    dict(id="TSPARMCD", code="C66738", terms=TS_PARMS, decode="pair:C67152"),
    dict(id="TSPARM", code="C67152", codes_of="TSPARMCD"),
    dict(id="TBLIND", code="C66735", terms=["DOUBLE BLIND"]),
    dict(id="TCNTRL", code="C66785", terms=["PLACEBO"]),
    dict(id="TPHASE", code="C66737", terms=["PHASE II TRIAL"]),
    dict(id="TTYPE", code="C66739", terms=["EFFICACY", "SAFETY"]),
    dict(id="STYPE", code="C99077", terms=["INTERVENTIONAL"]),
    dict(id="INTMODEL", code="C99076", terms=["PARALLEL"]),
    dict(id="INTTYPE", code="C99078", terms=["BIOLOGIC"]),
    dict(id="SEXPOP", code="C66732", terms=["BOTH"]),
    dict(id="TINDTP", code="C66736", terms=["TREATMENT"]),
    dict(id="DICTNAM", code="C66788", decode="self",
         terms=["CDISC CT", "ISO 3166", "ISO 21090", "MED-RT", "SNOMED", "UNII"],
         ext=[("ISO 8601", "ISO 8601 date, time and duration representation"),
              ("ClinicalTrials.gov", "ClinicalTrials.gov trial registry (registry identifiers NCTnnnnnnnn)")]),
]

# ---------------------------------------------------------------------------------
# Sponsor-defined codelists: terms are (term, decode[, comment]).
# ---------------------------------------------------------------------------------
IE_CRITERIA = [
    ("IN01", "INCLUSION", "Aged 18 to 75 years inclusive at the screening visit"),
    ("IN02", "INCLUSION", "Diagnosis of sporadic or familial ALS classified as possible, probable, "
                          "laboratory-supported probable or definite according to the revised "
                          "El Escorial criteria"),
    ("IN03", "INCLUSION", "Duration from ALS symptom onset of 24 months or less"),
    ("IN04", "INCLUSION", "Slow vital capacity of at least 70% of the predicted normal value at "
                          "screening"),
    ("IN05", "INCLUSION", "Riluzole-naive or on riluzole, and able to take riluzole 50 mg twice "
                          "daily from the run-in (12 to 18 weeks before randomisation) to the end "
                          "of the study"),
    ("IN06", "INCLUSION", "Written informed consent obtained before any study-specific procedure"),
    ("EX01", "EXCLUSION", "Other neurological or neurodegenerative disease, or other cause of "
                          "motor neuron signs or neuromuscular weakness"),
    ("EX02", "EXCLUSION", "Tracheostomy or assisted ventilation of any type, including "
                          "non-invasive ventilation, at screening"),
    ("EX03", "EXCLUSION", "Pregnancy or breast-feeding, or woman of childbearing potential not "
                          "using effective contraception"),
    ("EX04", "EXCLUSION", "Current or past autoimmune disease, or current immunosuppressive or "
                          "immunomodulating treatment"),
    ("EX05", "EXCLUSION", "Previous treatment with interleukin-2 (aldesleukin), or known "
                          "hypersensitivity to aldesleukin or any excipient"),
]
IE_COMMENT = ("Sponsor-defined: no CDISC term in CT 2025-03. Criterion text summarises the "
              "MIROCALS protocol; replace with the verbatim protocol text before submission "
              "(category {cat})")

ALSFRS_ITEMS = [   # QSTESTCD = field name of the raw ALSFRS form
    ("ALSFRS01", "ALSFRS-R-Speech", "Item 1"),
    ("ALSFRS02", "ALSFRS-R-Salivation", "Item 2"),
    ("ALSFRS03", "ALSFRS-R-Swallowing", "Item 3"),
    ("ALSFRS04", "ALSFRS-R-Handwriting", "Item 4"),
    ("ALSFRS05", "ALSFRS-R-Cutting Food/Handling Utensils", "Item 5 (5a or 5b, one score collected)"),
    ("ALSFRS06", "ALSFRS-R-Dressing and Hygiene", "Item 6"),
    ("ALSFRS07", "ALSFRS-R-Turning in Bed/Adjust Clothes", "Item 7"),
    ("ALSFRS08", "ALSFRS-R-Walking", "Item 8"),
    ("ALSFRS09", "ALSFRS-R-Climbing Stairs", "Item 9"),
    ("ALSFRS10", "ALSFRS-R-Dyspnea", "Item 10"),
    ("ALSFRS11", "ALSFRS-R-Orthopnea", "Item 11"),
    ("ALSFRS12", "ALSFRS-R-Respiratory Insufficiency", "Item 12"),
    ("ALSFRSTO", "ALSFRS-R-Total Score", "Total score 0-48 as written on the CRF"),
]


def study_sponsor_lists(study: dict) -> list[dict]:
    """Arms, treatments and planned visits come from specs/study.toml (single source)."""
    t = study["treatment"]
    visits = []
    for n, v in enumerate(study["schedule"]["visits"], 1):
        if n == 1:
            rule = (f"Start of the RUNIN element: screening visit = start of the {study['parameters']['runin_weeks'][0]}-"
                    f"{study['parameters']['runin_weeks'][1]} week riluzole run-in; VISITDY {v['day']} "
                    f"(nominal), window +/- {v['window']} days")
        elif v["day"] == 1:
            rule = ("Start of the treatment element: randomisation and first injection (cycle 1 day 1), "
                    "VISITDY 1")
        else:
            cyc = (v["day"] - 1) // study["treatment"]["cycle_length_days"] + 1
            on_cycle = (v["day"] - 1) % study["treatment"]["cycle_length_days"] == 0 and cyc <= t["cycles"]
            rule = (f"VISITDY {v['day']}" + (f" (cycle {cyc} day 1)" if on_cycle else "")
                    + f", window +/- {v['window']} days")
        visits.append((n, v["visit"], rule))
    regimen = (f"s.c. once daily for {t['injections_per_cycle']} days every {t['cycle_length_days']} days, "
               f"{t['cycles']} cycles, added to riluzole")
    return [
        dict(id="ARMCD", name="Planned Arm Code", terms=[
            (t["active_armcd"], t["active_arm"]), (t["placebo_armcd"], t["placebo_arm"])]),
        dict(id="ARM", name="Description of Planned Arm", terms=[
            (t["active_arm"], f"Aldesleukin {t['dose']:g} {t['dose_unit']} {regimen}"),
            (t["placebo_arm"], f"Placebo {regimen}")]),
        dict(id="EXTRT", name="Name of Treatment", terms=[
            (t["active"], "Aldesleukin (recombinant interleukin-2)"), (t["placebo"], "Placebo")]),
        dict(id="ETCD", name="Element Code", terms=[
            ("SCRN", "Screening", "TESTRL: informed consent signed. TEENRL: screening visit "
                                  "(start of the riluzole run-in)"),
            ("RUNIN", "Riluzole run-in", "TESTRL: screening visit, start of the riluzole run-in. "
                                         "TEENRL: first study injection at randomisation "
                                         "(12 to 18 weeks later)"),
            (t["active_armcd"], t["active_arm"], "TESTRL: first aldesleukin injection (cycle 1 day 1). "
                                                 "TEENRL: day 28 of the last cycle received; TEDUR P532D"),
            (t["placebo_armcd"], t["placebo_arm"], "TESTRL: first placebo injection (cycle 1 day 1). "
                                                   "TEENRL: day 28 of the last cycle received; TEDUR P532D"),
            ("FU", "Follow-up", "TESTRL: end of the treatment element. TEENRL: end of study "
                                "(day 640, death, withdrawal or loss to follow-up)")]),
        dict(id="ELEMENT", name="Description of Element", terms=[
            ("Screening", "Screening"), ("Riluzole run-in", "Riluzole run-in"),
            (t["active_arm"], t["active_arm"]), (t["placebo_arm"], t["placebo_arm"]),
            ("Follow-up", "Follow-up")]),
        dict(id="VISITNUM", name="Visit Number", datatype="integer",
             terms=[(str(n), v, c) for n, v, c in visits]),
        dict(id="VISIT", name="Visit Name", terms=[(v, v, c) for _, v, c in visits]),
    ]


SPONSOR = [
    dict(id="CMCAT", name="Category for Medication", terms=[
        ("RILUZOLE", "Background riluzole therapy"),
        ("CONCOMITANT MEDICATION", "Prior and concomitant medication")]),
    dict(id="AEREL", name="Causality", terms=[
        ("NOT RELATED", "Not related"), ("UNLIKELY RELATED", "Unlikely related"),
        ("POSSIBLY RELATED", "Possibly related"), ("PROBABLY RELATED", "Probably related"),
        ("RELATED", "Related")]),
    dict(id="MHCAT", name="Category for Medical History", terms=[
        ("PRIMARY DIAGNOSIS", "ALS history: symptom onset and diagnosis"),
        ("GENERAL MEDICAL HISTORY", "General medical history")]),
    dict(id="LBCAT", name="Category for Lab Test", terms=[
        ("HEMATOLOGY", "Hematology"), ("CHEMISTRY", "Clinical chemistry"),
        ("BIOMARKER", "CSF biomarker (pNFH)")]),
    dict(id="CPTPT", name="Planned Time Point Name", terms=[
        ("PRE-CYCLE", "Cycle day 1 before the first injection (CPTPTNUM 1)"),
        ("END OF CYCLE", "Cycle day 5 after the last injection of the cycle (CPTPTNUM 2)")]),
    dict(id="QSTESTCD", name="ALSFRS-R Test Code", terms=[(c, t, n) for c, t, n in ALSFRS_ITEMS]),
    dict(id="QSTEST", name="ALSFRS-R Test Name", terms=[(t, t, n) for _, t, n in ALSFRS_ITEMS]),
    dict(id="ALSSCORE", name="ALSFRS-R Item Score", terms=[
        ("0", "0 (worst function)"), ("1", "1"), ("2", "2"), ("3", "3"),
        ("4", "4 (normal function)")]),
    dict(id="IETESTCD", name="Inclusion/Exclusion Criterion Short Name",
         terms=[(c, t, IE_COMMENT.format(cat=cat)) for c, cat, t in IE_CRITERIA]),
    dict(id="QNAM_DM", name="Qualifier Variable Name (SUPPDM)", terms=[
        ("STRCNTRY", "Stratum: Country"), ("STRONSET", "Stratum: Site of Onset"),
        ("RANDNO", "Randomisation Number"), ("ONSETSIT", "Site of Onset"),
        ("ELESCAT", "El Escorial Category")]),
    dict(id="QNAM_MH", name="Qualifier Variable Name (SUPPMH)", terms=[
        ("ONSETSIT", "Site of Onset"), ("ELESCAT", "El Escorial Category")]),
    dict(id="STRCNTRY", name="Stratum: Country", terms=[
        ("FRANCE", "France (stratum as randomised by the IWRS)"),
        ("UNITED KINGDOM", "United Kingdom (stratum as randomised by the IWRS)")]),
    dict(id="ONSET", name="Site of Onset", terms=[
        ("BULBAR", "Bulbar onset"), ("LIMB", "Limb (spinal) onset")]),
    dict(id="ELESCAT", name="El Escorial Category", terms=[
        ("DEFINITE", "Clinically definite ALS"), ("PROBABLE", "Clinically probable ALS"),
        ("PROBABLE LABORATORY-SUPPORTED", "Clinically probable, laboratory-supported ALS"),
        ("POSSIBLE", "Clinically possible ALS")]),
]

EXTERNAL = [
    dict(id="COUNTRY", name="Country", terminology="ISO 3166-1 alpha-3",
         comment="External terminology ISO 3166-1 alpha-3 (CDISC refers to ISO 3166; no NCI codes)",
         terms=[("FRA", "France"),
                ("GBR", "United Kingdom of Great Britain and Northern Ireland")]),
    dict(id="NULLFLAVOR", name="ISO 21090 NullFlavor", terminology="ISO 21090",
         comment="External terminology ISO 21090 NullFlavor (no NCI codes)",
         terms=[("NI", "No information"), ("NA", "Not applicable"), ("UNK", "Unknown")]),
    dict(id="MEDDRA", name="MedDRA", terminology="MedDRA", terms=[],
         comment="External dictionary MedDRA, version 26.0"),
    dict(id="WHODRUG", name="WHODrug Global", terminology="WHODrug", terms=[],
         comment="External dictionary WHODrug Global, version to be confirmed by data management"),
]


def load_ct(path: Path) -> pd.DataFrame:
    with tarfile.open(path) as tf:
        df = pd.read_csv(tf.extractfile("SDTM Terminology.txt"), sep="\t", dtype=str,
                         keep_default_na=False)
    return df


def cdisc_rows(ct: pd.DataFrame) -> list[dict]:
    headers = ct[ct["Codelist Code"] == ""].set_index("Code")
    rows: list[dict] = []
    term_codes: dict[str, list[str]] = {}
    errors: list[str] = []
    for spec in CDISC:
        code = spec["code"]
        if code not in headers.index:
            errors.append(f"{spec['id']}: codelist {code} not in CT")
            continue
        hdr = headers.loc[code]
        members = ct[ct["Codelist Code"] == code]
        if "codes_of" in spec:
            wanted = [members[members["Code"] == c] for c in term_codes[spec["codes_of"]]]
        else:
            wanted = [members[members["CDISC Submission Value"] == t] for t in spec["terms"]]
        picked = []
        for i, m in enumerate(wanted):
            if len(m) != 1:
                label = spec.get("terms", term_codes.get(spec.get("codes_of"), []))[i]
                errors.append(f"{spec['id']}: '{label}' not found once in {code}")
                continue
            picked.append(m.iloc[0])
        term_codes[spec["id"]] = [p["Code"] for p in picked]
        decode = spec.get("decode", "pt")
        order = 0
        for p in picked:
            if decode == "self":
                dec = p["CDISC Submission Value"]
            elif decode.startswith("pair:"):
                pair = ct[(ct["Codelist Code"] == decode[5:]) & (ct["Code"] == p["Code"])]
                dec = pair.iloc[0]["CDISC Submission Value"]
            else:
                dec = p["NCI Preferred Term"]
            order += 1
            rows.append({"ID": spec["id"], "Name": hdr["Codelist Name"],
                         "NCI Codelist Code": code, "Data Type": "text",
                         "Terminology": "CDISC/NCI",
                         "Extensible": hdr["Codelist Extensible (Yes/No)"], "Order": order,
                         "Term": p["CDISC Submission Value"], "NCI Term Code": p["Code"],
                         "Decoded Value": dec, "Comment": ""})
        for term, dec in spec.get("ext", []):
            if hdr["Codelist Extensible (Yes/No)"] != "Yes":
                errors.append(f"{spec['id']}: extension of non-extensible codelist {code}")
            if (members["CDISC Submission Value"] == term).any():
                errors.append(f"{spec['id']}: '{term}' exists in CT, do not extend")
            order += 1
            rows.append({"ID": spec["id"], "Name": hdr["Codelist Name"],
                         "NCI Codelist Code": code, "Data Type": "text",
                         "Terminology": "CDISC/NCI",
                         "Extensible": hdr["Codelist Extensible (Yes/No)"], "Order": order,
                         "Term": term, "NCI Term Code": "", "Decoded Value": dec,
                         "Comment": EXT_COMMENT.format(code=code)})
    if errors:
        raise SystemExit("CT subset errors:\n  " + "\n  ".join(errors))
    return rows


def sponsor_rows(study: dict) -> list[dict]:
    rows = []
    for spec in study_sponsor_lists(study) + SPONSOR:
        for i, t in enumerate(spec["terms"], 1):
            term, dec = t[0], t[1]
            comment = t[2] if len(t) > 2 else ""
            if not comment.startswith("Sponsor-defined"):
                comment = SPONSOR_COMMENT + (f". {comment}" if comment else "")
            rows.append({"ID": spec["id"], "Name": spec["name"], "NCI Codelist Code": "",
                         "Data Type": spec.get("datatype", "text"), "Terminology": "Sponsor",
                         "Extensible": "No", "Order": i, "Term": term, "NCI Term Code": "",
                         "Decoded Value": dec, "Comment": comment})
    for spec in EXTERNAL:
        terms = spec["terms"] or [("", "")]
        for i, (term, dec) in enumerate(terms, 1):
            rows.append({"ID": spec["id"], "Name": spec["name"], "NCI Codelist Code": "",
                         "Data Type": "text", "Terminology": spec["terminology"],
                         "Extensible": "No", "Order": i if term else "", "Term": term,
                         "NCI Term Code": "", "Decoded Value": dec, "Comment": spec["comment"]})
    return rows


def check(path: Path, ct: pd.DataFrame) -> int:
    """Every row with an NCI code must match CT (codelist code + term code + value)."""
    got = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = []
    valid = set(zip(ct["Codelist Code"], ct["Code"], ct["CDISC Submission Value"]))
    headers = ct[ct["Codelist Code"] == ""].set_index("Code")
    for _, r in got.iterrows():
        if r["NCI Term Code"]:
            if (r["NCI Codelist Code"], r["NCI Term Code"], r["Term"]) not in valid:
                bad.append(f"{r['ID']} {r['Term']} {r['NCI Term Code']}")
        if r["NCI Codelist Code"]:
            if r["NCI Codelist Code"] not in headers.index:
                bad.append(f"{r['ID']}: unknown codelist {r['NCI Codelist Code']}")
            elif headers.loc[r["NCI Codelist Code"], "Codelist Extensible (Yes/No)"] != r["Extensible"]:
                bad.append(f"{r['ID']}: Extensible flag differs from CT")
    for b in bad:
        print("MISMATCH", b)
    print(f"{len(got)} rows, {got['ID'].nunique()} codelists, {len(bad)} mismatches")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ct", type=Path, default=DEFAULT_CT)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--study", type=Path, default=STUDY_TOML, help="specs/study.toml")
    ap.add_argument("--check", action="store_true", help="verify --out against the CT file")
    args = ap.parse_args()
    ct = load_ct(args.ct)
    if args.check:
        return check(args.out, ct)
    study = tomllib.loads(args.study.read_text(encoding="utf-8"))
    rows = cdisc_rows(ct) + sponsor_rows(study)
    ids = [r["ID"] for r in rows]
    assert len({(r["ID"], r["Term"]) for r in rows}) == len(rows), "duplicate term in a codelist"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out}: {len(rows)} rows, {len(dict.fromkeys(ids))} codelists "
          f"(CT {CT_RELEASE})")
    return check(args.out, ct)


if __name__ == "__main__":
    sys.exit(main())
