"""define.xml as a reviewer receives it: every link stays inside the submission (m5) folder, and the text
speaks of the study, not of this repository."""

import pytest
from lxml import etree

from cdisc_mirocals.errors import MirocalsError
from cdisc_mirocals.submission.package import _check_leaves_stay_in_m5

XLINK = "{http://www.w3.org/1999/xlink}href"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "arm": "http://www.cdisc.org/ns/arm/v1.0"}


@pytest.fixture(scope="module")
def defines(converted):
    return {name: etree.parse(str(folder / "define.xml")).getroot()
            for name, folder in (("SDTM", converted.sdtm_dir), ("ADaM", converted.adam_dir))}


def test_no_leaf_leaves_the_m5_tree(converted, defines):
    m5 = next(p for p in converted.sdtm_dir.resolve().parents if p.name == "m5")
    for name, root in defines.items():
        folder = (converted.sdtm_dir if name == "SDTM" else converted.adam_dir).resolve()
        leaves = root.iterfind(".//def:leaf", NS)
        for leaf in leaves:
            target = (folder / leaf.get(XLINK)).resolve()
            assert target.is_relative_to(m5) and target.is_file(), (name, leaf.get("ID"), leaf.get(XLINK))
        # every document reference names a leaf of this define.xml
        ids = {leaf.get("ID") for leaf in root.iterfind(".//def:leaf", NS)}
        for ref in root.iterfind(".//def:DocumentRef", NS):
            assert ref.get("leafID") in ids, (name, ref.get("leafID"))


@pytest.mark.parametrize("href", ["../../../../../../analysis/report.html", "https://example.org/report.pdf"])
def test_a_link_outside_m5_is_refused(tmp_path, href):
    folder = tmp_path / "m5" / "datasets" / "study" / "analysis" / "adam" / "datasets"
    folder.mkdir(parents=True)
    with pytest.raises(MirocalsError, match="outside the submission's m5 folder.*LF.X"):
        _check_leaves_stay_in_m5({"LF.X": href}, folder, "ADaM")
    _check_leaves_stay_in_m5({"LF.ACRF": "../../../tabulations/sdtm/acrf.pdf"}, folder, "ADaM")  # inside: fine
