"""What the simulated sites report: adverse events, medical history and medications.

MedDRA preferred terms and system organ classes are the published MedDRA names. Rates are events
per patient-year, chosen to resemble an ALS population on riluzole; IL-2 raises injection-site
reactions, influenza-like illness, eosinophilia and fever.
"""

GI = "Gastrointestinal disorders"
GEN = "General disorders and administration site conditions"
INF = "Infections and infestations"
MSK = "Musculoskeletal and connective tissue disorders"
NERV = "Nervous system disorders"
PSY = "Psychiatric disorders"
RESP = "Respiratory, thoracic and mediastinal disorders"
INV = "Investigations"

# preferred term, SOC, verbatim terms, rate placebo, rate IL-2, P(serious), severity weights (mild, moderate,
# severe), related weights on IL-2 (not, unlikely, possibly, probably, related), mean duration in days
AE_TERMS = [
    ("Injection site reaction", GEN, ("Injection site reaction", "redness at injection site", "Injection site itching and redness"),
     0.12, 4.5, 0.0, (0.8, 0.18, 0.02), (0.0, 0.02, 0.18, 0.4, 0.4), 3),
    ("Influenza like illness", GEN, ("Flu-like symptoms", "flu like illness", "Influenza like illness"),
     0.15, 1.4, 0.0, (0.6, 0.35, 0.05), (0.05, 0.1, 0.35, 0.3, 0.2), 3),
    ("Pyrexia", GEN, ("Fever", "pyrexia"), 0.15, 0.45, 0.02, (0.7, 0.27, 0.03), (0.2, 0.2, 0.4, 0.15, 0.05), 3),
    ("Fatigue", GEN, ("Fatigue", "tiredness"), 0.35, 0.45, 0.0, (0.5, 0.4, 0.1), (0.5, 0.3, 0.15, 0.05, 0.0), 30),
    ("Eosinophilia", "Blood and lymphatic system disorders", ("Eosinophilia", "raised eosinophils"),
     0.02, 0.25, 0.0, (0.85, 0.15, 0.0), (0.05, 0.05, 0.3, 0.3, 0.3), 40),
    ("Headache", NERV, ("Headache", "headaches"), 0.3, 0.4, 0.0, (0.7, 0.27, 0.03), (0.5, 0.3, 0.15, 0.05, 0.0), 4),
    ("Fall", "Injury, poisoning and procedural complications", ("Fall", "fall at home"),
     0.5, 0.5, 0.05, (0.6, 0.3, 0.1), (0.9, 0.1, 0.0, 0.0, 0.0), 2),
    ("Constipation", GI, ("Constipation",), 0.3, 0.3, 0.0, (0.6, 0.35, 0.05), (0.85, 0.15, 0.0, 0.0, 0.0), 20),
    ("Nausea", GI, ("Nausea", "feeling sick"), 0.2, 0.25, 0.0, (0.7, 0.27, 0.03), (0.6, 0.25, 0.15, 0.0, 0.0), 7),
    ("Diarrhoea", GI, ("Diarrhoea", "loose stools"), 0.15, 0.15, 0.0, (0.7, 0.27, 0.03), (0.7, 0.2, 0.1, 0.0, 0.0), 4),
    ("Dysphagia", GI, ("Dysphagia", "swallowing difficulties"), 0.2, 0.2, 0.05, (0.3, 0.5, 0.2), (1.0, 0.0, 0.0, 0.0, 0.0), 120),
    ("Nasopharyngitis", INF, ("Common cold", "nasopharyngitis"), 0.4, 0.4, 0.0, (0.8, 0.2, 0.0), (0.9, 0.1, 0.0, 0.0, 0.0), 7),
    ("Pneumonia", INF, ("Chest infection", "Pneumonia"), 0.06, 0.06, 0.8, (0.1, 0.4, 0.5), (0.95, 0.05, 0.0, 0.0, 0.0), 14),
    ("Urinary tract infection", INF, ("Urinary tract infection", "UTI"), 0.1, 0.1, 0.05, (0.5, 0.45, 0.05), (0.95, 0.05, 0.0, 0.0, 0.0), 7),
    ("Muscle spasms", MSK, ("Cramps", "muscle cramps"), 0.3, 0.3, 0.0, (0.6, 0.35, 0.05), (0.95, 0.05, 0.0, 0.0, 0.0), 60),
    ("Back pain", MSK, ("Back pain", "lower back pain"), 0.15, 0.15, 0.0, (0.6, 0.35, 0.05), (0.95, 0.05, 0.0, 0.0, 0.0), 14),
    ("Arthralgia", MSK, ("Joint pain", "arthralgia"), 0.1, 0.12, 0.0, (0.6, 0.35, 0.05), (0.8, 0.15, 0.05, 0.0, 0.0), 14),
    ("Depression", PSY, ("Low mood", "Depression"), 0.1, 0.1, 0.0, (0.4, 0.5, 0.1), (0.95, 0.05, 0.0, 0.0, 0.0), 90),
    ("Insomnia", PSY, ("Insomnia", "poor sleep"), 0.15, 0.15, 0.0, (0.6, 0.35, 0.05), (0.9, 0.1, 0.0, 0.0, 0.0), 30),
    ("Dyspnoea", RESP, ("Breathlessness", "shortness of breath"), 0.15, 0.15, 0.1, (0.4, 0.4, 0.2), (1.0, 0.0, 0.0, 0.0, 0.0), 60),
    ("Weight decreased", INV, ("Weight loss",), 0.15, 0.15, 0.0, (0.5, 0.4, 0.1), (1.0, 0.0, 0.0, 0.0, 0.0), 90),
    ("Alanine aminotransferase increased", INV, ("Raised ALT", "ALT increased"), 0.08, 0.08, 0.0, (0.8, 0.2, 0.0), (0.8, 0.15, 0.05, 0.0, 0.0), 45),
    ("Rash", "Skin and subcutaneous tissue disorders", ("Rash", "skin rash"), 0.08, 0.2, 0.0, (0.8, 0.2, 0.0), (0.4, 0.2, 0.3, 0.1, 0.0), 10),
]

# Adverse events reported during the riluzole run-in, before the first injection.
RUNIN_TERMS = [
    ("Nausea", GI, ("Nausea on riluzole",), 0.12),
    ("Fatigue", GEN, ("Fatigue", "tiredness"), 0.08),
    ("Alanine aminotransferase increased", INV, ("Raised ALT", "ALT increased"), 0.05),
    ("Dizziness", NERV, ("Dizziness",), 0.04),
]

# The fatal adverse event recorded for an on-study death, by cause on the death form.
FATAL_AE = {
    "Respiratory failure due to ALS": ("Respiratory failure", RESP, "Respiratory failure"),
    "Progression of ALS": ("Amyotrophic lateral sclerosis", NERV, "ALS progression"),
    "Aspiration pneumonia": ("Pneumonia aspiration", INF, "Aspiration pneumonia"),
    "Cardiac arrest": ("Cardiac arrest", "Cardiac disorders", "Cardiac arrest"),
    "Pulmonary embolism": ("Pulmonary embolism", RESP, "Pulmonary embolism"),
}

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

# verbatim, coded name, indication, dose, unit, frequency, route, prevalence, share started before the study
CM_TERMS = [
    ("Baclofen", "BACLOFEN", "Spasticity", 10, "mg", "Three times daily", "Oral", 0.25, 0.4),
    ("Paracetamol", "PARACETAMOL", "Pain", 1000, "mg", "As needed", "Oral", 0.3, 0.5),
    ("Omeprazole", "OMEPRAZOLE", "Acid reflux", 20, "mg", "Once daily", "Oral", 0.15, 0.7),
    ("Amitriptyline", "AMITRIPTYLINE", "Sialorrhoea", 10, "mg", "Once daily", "Oral", 0.1, 0.3),
    ("Glycopyrronium bromide", "GLYCOPYRRONIUM BROMIDE", "Sialorrhoea", 1, "mg", "Three times daily", "Oral", 0.08, 0.2),
    ("Colecalciferol", "COLECALCIFEROL", "Vitamin D deficiency", 800, "IU", "Once daily", "Oral", 0.15, 0.6),
    ("Atorvastatin", "ATORVASTATIN", "High cholesterol", 20, "mg", "Once daily", "Oral", 0.15, 0.95),
    ("Ramipril", "RAMIPRIL", "High blood pressure", 5, "mg", "Once daily", "Oral", 0.1, 0.95),
    ("Sertraline", "SERTRALINE", "Depression", 50, "mg", "Once daily", "Oral", 0.1, 0.6),
    ("Quinine sulfate", "QUININE SULFATE", "Cramps", 200, "mg", "Once daily", "Oral", 0.05, 0.3),
    ("Macrogol", "MACROGOL 3350", "Constipation", 13.8, "g", "Once daily", "Oral", 0.15, 0.3),
    ("Salbutamol inhaler", "SALBUTAMOL", "Asthma", 100, "ug", "As needed", "Inhalation", 0.06, 0.95),
]
RILUZOLE_VERBATIM = ("Riluzole", "RILUTEK", "riluzole 50mg", "Riluzole")
