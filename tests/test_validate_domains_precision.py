"""What every rule shares: numbers compared at 12 significant digits, and a split domain (LBCH, LBHE, LBUR;
the QS files) checked as one domain by the rules that hold per domain."""

import numpy as np
import pandas as pd
from validate_helpers import ds, findings, fired, sdtm

from cdisc_mirocals.validate.distinct import at_precision


def test_numbers_at_12_significant_digits():
    noisy = pd.Series([1.3000000000000003, 9.299999999999999, 4.2, np.nan, 1.30000000001, 123456789.0123])
    out = at_precision(noisy)
    assert out.iloc[:3].tolist() == [1.3, 9.3, 4.2] and np.isnan(out.iloc[3])
    assert out.iloc[4] != 1.3  # a real difference in the 11th digit stays a difference
    assert out.iloc[5] == 123456789.012
    text = pd.Series(["1.3", ""])
    assert at_precision(text) is text


def test_sd0065_visitnum_noise_is_the_same_visit():
    sv = sdtm("SV", USUBJID=["S1", "S1"], VISITNUM=[1.3, 2.0], VISIT=["UNSCHED 1.3", "WEEK 1"])
    lb = sdtm("LB", USUBJID=["S1", "S1", "S1"], LBSEQ=[1, 2, 3], VISITNUM=[1.3000000000000003, 2.0, 2.1],
              VISIT=["UNSCHED 1.3", "WEEK 1", "WEEK 1"])
    assert fired("SD0065", sv, lb) == [("LB", 3)]  # 2.1 is another visit; 1.3000000000000003 is 1.3


def lb_part(name, tests, lengths=None, seqs=None, subject="S1"):
    n = len(tests)
    return ds(name, lengths=lengths, STUDYID=["T1"] * n, DOMAIN=["LB"] * n, USUBJID=[subject] * n,
              LBSEQ=seqs or list(range(1, n + 1)), LBTESTCD=[t[0] for t in tests], LBTEST=[t[1] for t in tests])


def test_sd1082_sizes_a_split_domain_before_splitting():
    chem = lb_part("LBCH", [("ALB", "Albumin")], lengths={"LBTEST": 39})
    hema = lb_part("LBHE", [("HCT", "Hematocrit"), ("MCHC", "Ery. Mean Corpuscular HGB Concentration")],
                   lengths={"LBTEST": 39}, seqs=[2, 3])
    urin = lb_part("LBUR", [("PH", "pH")], lengths={"LBTEST": 39}, seqs=[4])
    # LBTEST is 39 long in every file, the longest value of LB (in LBHE): LBCH and LBUR are not too long
    assert findings("SD1082", chem, hema, urin).empty
    longer = lb_part("LBUR", [("PH", "pH")], lengths={"LBTEST": 45}, seqs=[4])
    f = findings("SD1082", chem, hema, longer)
    assert list(zip(f["dataset"], f["variables"], f["detail"])) == [("LBUR", "LBTEST", "length 45, longest value in LB 39")]
    # a dataset that is not split is sized for its own values, as before
    alone = lb_part("LB", [("PH", "pH")], lengths={"LBTEST": 39})
    assert fired("SD1082", alone) == [("LB", None)]


def test_sd0005_and_sd0040_hold_across_a_split_domain():
    chem = lb_part("LBCH", [("ALB", "Albumin"), ("ALT", "Alanine Aminotransferase")], seqs=[1, 2])
    hema = lb_part("LBHE", [("HCT", "Hematocrit"), ("ALB", "Albumin Level")], seqs=[2, 3])
    assert fired("SD0005", chem, hema) == [("LBHE", 1)]  # LBSEQ 2 is in LBCH already
    # ALB is Albumin in LBCH and Albumin Level in LBHE: the tie goes to the first in sort order, Albumin
    assert fired("SD0040", chem, hema) == [("LBHE", 2)]
    other_subject = lb_part("LBHE", [("HCT", "Hematocrit")], seqs=[2], subject="S2")
    assert fired("SD0005", chem, other_subject) == []
