import numpy as np
import pandas as pd

from cdisc_mirocals.raw.dates import blur_raw, days_to_raw, iso_to_days, raw_to_iso


def test_complete_raw_dates_become_iso_8601():
    s = pd.Series(["05-MAR-2018", " 01-jan-2019 ", "29-FEB-2020"])
    assert raw_to_iso(s).tolist() == ["2018-03-05", "2019-01-01", "2020-02-29"]


def test_partial_dates_stay_partial_and_are_never_invented():
    s = pd.Series(["UN-MAR-2018", "UN-UNK-2018"])
    assert raw_to_iso(s).tolist() == ["2018-03", "2018"]
    assert raw_to_iso(s, partial=False).isna().all()


def test_impossible_or_malformed_dates_are_rejected():
    s = pd.Series(["31-FEB-2018", "2018-03-05", "05-XYZ-2018", "05-UNK-2018", "", "5-MAR-2018"])
    assert raw_to_iso(s).isna().all()


def test_formatting_round_trips_through_the_parser():
    days = np.arange(iso_to_days("1940-01-01"), iso_to_days("2030-12-31"), 37)
    iso = raw_to_iso(pd.Series(days_to_raw(days)))
    expected = [str(np.datetime64("1970-01-01") + int(d)) for d in days]
    assert iso.tolist() == expected


def test_blurring_hides_the_day_or_the_month():
    text = days_to_raw(np.array([iso_to_days("2018-03-05")] * 3))
    out = blur_raw(text, np.array([False, True, False]), np.array([False, False, True]))
    assert out.tolist() == ["05-MAR-2018", "UN-MAR-2018", "UN-UNK-2018"]
