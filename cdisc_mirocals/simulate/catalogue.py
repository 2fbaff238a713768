"""What the simulated sites report: adverse events, medical history and medications.

Adverse events are coded as an EDC coding module exports them: each verbatim term to a MedDRA lowest
level term, with its primary path (PT, HLT, HLGT, SOC) and codes from the extract `meddra.csv` beside
this file, whose SOURCE column names where each code was checked (docs/coding.md). Rates are events
per patient-year, chosen to resemble an ALS population on riluzole; IL-2 raises injection-site
reactions, influenza-like illness, eosinophilia and fever.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import pandas as pd

MEDDRA_LEVELS = (("LLT", "LLTCD"), ("PT", "PTCD"), ("HLT", "HLTCD"), ("HLGT", "HLGTCD"), ("SOC", "SOCCD"))


@cache
def meddra() -> pd.DataFrame:
    """The MedDRA extract, one row per LLT; a name with two codes (or a code with two names) is refused."""
    extract = pd.read_csv(files(__package__).joinpath("meddra.csv"), comment="#", dtype=str, keep_default_na=False)
    for name, code in MEDDRA_LEVELS:
        pairs = extract[[name, code]].drop_duplicates()
        for col in (name, code):
            twice = pairs[pairs[col].duplicated()][col].tolist()
            if twice:
                raise ValueError(f"meddra.csv: {col} {twice[0]!r} has two {code if col == name else name} values")
    return extract.set_index("LLT", drop=False)


# preferred term, verbatim terms as (verbatim, the LLT it is coded to), rate placebo, rate IL-2, P(serious),
# severity weights (mild, moderate, severe), related weights on IL-2 (not, unlikely, possibly, probably,
# related), mean duration in days
AE_TERMS = [
    ("Injection site reaction", (("Injection site reaction", "Injection site reaction"),
                                 ("reaction at injection site", "Injection site reaction"),
                                 ("Local reaction at the injection site", "Injection site reaction")),
     0.12, 4.5, 0.0, (0.8, 0.18, 0.02), (0.0, 0.02, 0.18, 0.4, 0.4), 3),
    ("Influenza like illness", (("Flu-like symptoms", "Flu like symptoms"), ("flu like symptoms", "Flu like symptoms"),
                                ("Influenza like illness", "Influenza like illness")),
     0.15, 1.4, 0.0, (0.6, 0.35, 0.05), (0.05, 0.1, 0.35, 0.3, 0.2), 3),
    ("Pyrexia", (("Fever", "Fever"), ("pyrexia", "Pyrexia")), 0.15, 0.45, 0.02, (0.7, 0.27, 0.03),
     (0.2, 0.2, 0.4, 0.15, 0.05), 3),
    ("Fatigue", (("Fatigue", "Fatigue"), ("fatigue, worse than usual", "Fatigue")), 0.35, 0.45, 0.0, (0.5, 0.4, 0.1),
     (0.5, 0.3, 0.15, 0.05, 0.0), 30),
    ("Eosinophilia", (("Eosinophilia", "Eosinophilia"), ("eosinophilia on blood count", "Eosinophilia")),
     0.02, 0.25, 0.0, (0.85, 0.15, 0.0), (0.05, 0.05, 0.3, 0.3, 0.3), 40),
    ("Headache", (("Headache", "Headache"), ("headaches", "Headache")), 0.3, 0.4, 0.0, (0.7, 0.27, 0.03),
     (0.5, 0.3, 0.15, 0.05, 0.0), 4),
    ("Fall", (("Fall", "Fall"), ("fall at home", "Fall")), 0.5, 0.5, 0.05, (0.6, 0.3, 0.1), (0.9, 0.1, 0.0, 0.0, 0.0), 2),
    ("Constipation", (("Constipation", "Constipation"),), 0.3, 0.3, 0.0, (0.6, 0.35, 0.05), (0.85, 0.15, 0.0, 0.0, 0.0), 20),
    ("Nausea", (("Nausea", "Nausea"), ("nausea after meals", "Nausea")), 0.2, 0.25, 0.0, (0.7, 0.27, 0.03),
     (0.6, 0.25, 0.15, 0.0, 0.0), 7),
    ("Diarrhoea", (("Diarrhoea", "Diarrhoea"), ("diarrhea", "Diarrhoea")), 0.15, 0.15, 0.0, (0.7, 0.27, 0.03),
     (0.7, 0.2, 0.1, 0.0, 0.0), 4),
    ("Dysphagia", (("Dysphagia", "Dysphagia"), ("worsening dysphagia", "Dysphagia")), 0.2, 0.2, 0.05, (0.3, 0.5, 0.2),
     (1.0, 0.0, 0.0, 0.0, 0.0), 120),
    ("Nasopharyngitis", (("Nasopharyngitis", "Nasopharyngitis"), ("nasopharyngitis (cold)", "Nasopharyngitis")),
     0.4, 0.4, 0.0, (0.8, 0.2, 0.0), (0.9, 0.1, 0.0, 0.0, 0.0), 7),
    ("Pneumonia", (("Pneumonia", "Pneumonia"), ("right lower lobe pneumonia", "Pneumonia")), 0.06, 0.06, 0.8,
     (0.1, 0.4, 0.5), (0.95, 0.05, 0.0, 0.0, 0.0), 14),
    ("Urinary tract infection", (("Urinary tract infection", "Urinary tract infection"),
                                 ("UTI", "Urinary tract infection")),
     0.1, 0.1, 0.05, (0.5, 0.45, 0.05), (0.95, 0.05, 0.0, 0.0, 0.0), 7),
    ("Muscle spasms", (("Muscle spasms", "Muscle spasms"), ("muscle spasms in legs", "Muscle spasms")),
     0.3, 0.3, 0.0, (0.6, 0.35, 0.05), (0.95, 0.05, 0.0, 0.0, 0.0), 60),
    ("Back pain", (("Back pain", "Back pain"), ("lower back pain", "Back pain")), 0.15, 0.15, 0.0, (0.6, 0.35, 0.05),
     (0.95, 0.05, 0.0, 0.0, 0.0), 14),
    ("Arthralgia", (("Arthralgia", "Arthralgia"), ("arthralgia of knees", "Arthralgia")), 0.1, 0.12, 0.0,
     (0.6, 0.35, 0.05), (0.8, 0.15, 0.05, 0.0, 0.0), 14),
    ("Depression", (("Depression", "Depression"), ("depressive episode", "Depression")), 0.1, 0.1, 0.0,
     (0.4, 0.5, 0.1), (0.95, 0.05, 0.0, 0.0, 0.0), 90),
    ("Insomnia", (("Insomnia", "Insomnia"), ("insomnia at night", "Insomnia")), 0.15, 0.15, 0.0, (0.6, 0.35, 0.05),
     (0.9, 0.1, 0.0, 0.0, 0.0), 30),
    ("Dyspnoea", (("Shortness of breath", "Shortness of breath"), ("shortness of breath on exertion", "Shortness of breath")),
     0.15, 0.15, 0.1, (0.4, 0.4, 0.2), (1.0, 0.0, 0.0, 0.0, 0.0), 60),
    ("Weight decreased", (("Weight decreased", "Weight decreased"), ("weight loss", "Weight decreased")), 0.15, 0.15, 0.0,
     (0.5, 0.4, 0.1), (1.0, 0.0, 0.0, 0.0, 0.0), 90),
    ("Alanine aminotransferase increased", (("ALT increased", "Alanine aminotransferase increased"),
                                            ("Alanine aminotransferase increased", "Alanine aminotransferase increased")),
     0.08, 0.08, 0.0, (0.8, 0.2, 0.0), (0.8, 0.15, 0.05, 0.0, 0.0), 45),
    ("Rash", (("Rash", "Rash"), ("rash on trunk", "Rash")), 0.08, 0.2, 0.0, (0.8, 0.2, 0.0), (0.4, 0.2, 0.3, 0.1, 0.0), 10),
]

# Adverse events reported during the riluzole run-in, before the first injection: PT, verbatims, P(any).
RUNIN_TERMS = [
    ("Nausea", (("Nausea on riluzole", "Nausea"),), 0.12),
    ("Fatigue", (("Fatigue", "Fatigue"), ("fatigue since riluzole", "Fatigue")), 0.08),
    ("Alanine aminotransferase increased", (("ALT increased", "Alanine aminotransferase increased"),), 0.05),
    ("Dizziness", (("Dizziness", "Dizziness"),), 0.04),
]

# The fatal adverse event recorded for an on-study death, by cause on the death form: (verbatim, LLT).
FATAL_AE = {
    "Respiratory failure due to ALS": ("Respiratory failure", "Respiratory failure"),
    "Progression of ALS": ("ALS progression", "Amyotrophic lateral sclerosis"),
    "Aspiration pneumonia": ("Aspiration pneumonia", "Aspiration pneumonia"),
    "Cardiac arrest": ("Cardiac arrest", "Cardiac arrest"),
    "Pulmonary embolism": ("Pulmonary embolism", "Pulmonary embolism"),
}

GI = "Gastrointestinal disorders"
MSK = "Musculoskeletal and connective tissue disorders"
NERV = "Nervous system disorders"
PSY = "Psychiatric disorders"
RESP = "Respiratory, thoracic and mediastinal disorders"

# preferred term, SOC, verbatim, prevalence
MH_TERMS = [
    ("Hypertension", "Vascular disorders", "High blood pressure", 0.25),
    ("Hypercholesterolaemia", "Metabolism and nutrition disorders", "High cholesterol", 0.2),
    ("Type 2 diabetes mellitus", "Metabolism and nutrition disorders", "Type 2 diabetes", 0.07),
    ("Depression", PSY, "Depression", 0.1),
    ("Gastrooesophageal reflux disease", GI, "Acid reflux", 0.1),
    ("Hypothyroidism", "Endocrine disorders", "Underactive thyroid", 0.06),
    ("Osteoarthritis", MSK, "Osteoarthritis of the knee", 0.1),
    ("Asthma", RESP, "Asthma", 0.06),
    ("Migraine", NERV, "Migraine", 0.08),
    ("Appendicectomy", "Surgical and medical procedures", "Appendix removed", 0.08),
    ("Anxiety", PSY, "Anxiety", 0.07),
]

# Medications as WHODrug Global codes them: verbatim, WHODrug drug name, and the ATC level 4 class the
# coding module exports with it (code, text). ATC codes are the WHO Collaborating Centre's public ATC
# index (docs/coding.md); the level 5 code of each drug is given in a comment. Then indication, dose,
# unit, frequency, route, prevalence and the share started before the study.
CM_TERMS = [
    ("Baclofen", "BACLOFEN", "M03BX", "OTHER CENTRALLY ACTING AGENTS",  # M03BX01
     "Spasticity", 10, "mg", "Three times daily", "Oral", 0.25, 0.4),
    ("Paracetamol", "PARACETAMOL", "N02BE", "ANILIDES",  # N02BE01
     "Pain", 1000, "mg", "As needed", "Oral", 0.3, 0.5),
    ("Omeprazole", "OMEPRAZOLE", "A02BC", "PROTON PUMP INHIBITORS",  # A02BC01
     "Acid reflux", 20, "mg", "Once daily", "Oral", 0.15, 0.7),
    ("Amitriptyline", "AMITRIPTYLINE", "N06AA", "NON-SELECTIVE MONOAMINE REUPTAKE INHIBITORS",  # N06AA09
     "Sialorrhoea", 10, "mg", "Once daily", "Oral", 0.1, 0.3),
    ("Glycopyrronium bromide", "GLYCOPYRRONIUM BROMIDE", "A03AB",
     "SYNTHETIC ANTICHOLINERGICS, QUATERNARY AMMONIUM COMPOUNDS",  # A03AB02
     "Sialorrhoea", 1, "mg", "Three times daily", "Oral", 0.08, 0.2),
    ("Colecalciferol", "COLECALCIFEROL", "A11CC", "VITAMIN D AND ANALOGUES",  # A11CC05
     "Vitamin D deficiency", 800, "IU", "Once daily", "Oral", 0.15, 0.6),
    ("Atorvastatin", "ATORVASTATIN", "C10AA", "HMG COA REDUCTASE INHIBITORS",  # C10AA05
     "High cholesterol", 20, "mg", "Once daily", "Oral", 0.15, 0.95),
    ("Ramipril", "RAMIPRIL", "C09AA", "ACE INHIBITORS, PLAIN",  # C09AA05
     "High blood pressure", 5, "mg", "Once daily", "Oral", 0.1, 0.95),
    ("Sertraline", "SERTRALINE", "N06AB", "SELECTIVE SEROTONIN REUPTAKE INHIBITORS",  # N06AB06
     "Depression", 50, "mg", "Once daily", "Oral", 0.1, 0.6),
    ("Quinine sulfate", "QUININE SULFATE", "M09AA", "QUININE AND DERIVATIVES",  # M09AA01
     "Cramps", 200, "mg", "Once daily", "Oral", 0.05, 0.3),
    ("Macrogol", "MACROGOL 3350", "A06AD", "OSMOTICALLY ACTING LAXATIVES",  # A06AD15
     "Constipation", 13.8, "g", "Once daily", "Oral", 0.15, 0.3),
    ("Salbutamol inhaler", "SALBUTAMOL", "R03AC", "SELECTIVE BETA-2-ADRENORECEPTOR AGONISTS",  # R03AC02
     "Asthma", 100, "ug", "As needed", "Inhalation", 0.06, 0.95),
]
# Background riluzole: verbatims as sites write them, its WHODrug name and ATC class (riluzole is N07XX02).
RILUZOLE_VERBATIM = ("Riluzole", "RILUTEK", "riluzole 50mg", "Riluzole")
RILUZOLE = ("RILUZOLE", "N07XX", "OTHER NERVOUS SYSTEM DRUGS")
