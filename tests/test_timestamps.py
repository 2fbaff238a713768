"""The time a run stamps into its submission files: SOURCE_DATE_EPOCH when set (two runs are then byte-identical,
tests/test_convert.py), else the time of that run, the same second in define.xml, the XPT headers and
the Dataset-JSON files."""

from datetime import datetime, timedelta, timezone

import pypdf
import pyreadstat
from lxml import etree

from cdisc_mirocals import pipeline
from cdisc_mirocals.submission.datasetjson import read_dataset_json
from cdisc_mirocals.submission.timestamp import build_time, run_clock


def _xpt_header_time(path):
    """The creation time of the XPT library header, read from the bytes (second record, columns 65-80,
    ddMMMyy:hh:mm:ss), as the SAS transport format documents it."""
    record = path.read_bytes()[80:160]
    return datetime.strptime(record[64:80].decode("ascii"), "%d%b%y:%H:%M:%S").replace(tzinfo=timezone.utc)


def test_a_run_without_source_date_epoch_carries_its_own_time(default_raw_dir, tmp_path, spec, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = pipeline.convert(default_raw_dir, tmp_path / "out", spec, analysis=False)
    after = datetime.now(timezone.utc)
    stamps = set()
    for folder in (result.sdtm_dir, result.adam_dir):
        root = etree.parse(str(folder / "define.xml")).getroot()
        created = datetime.fromisoformat(root.get("CreationDateTime")).replace(tzinfo=timezone.utc)
        assert root.get("AsOfDateTime") == root.get("CreationDateTime")
        stamps.add(created)
        for xpt in sorted(folder.glob("*.xpt")):
            stamps.add(_xpt_header_time(xpt))
            _, meta = pyreadstat.read_xport(str(xpt), metadataonly=True)  # a second reader agrees
            assert meta.creation_time.replace(tzinfo=timezone.utc) == _xpt_header_time(xpt), xpt.name
        for dj in sorted(folder.glob("*.json")):
            stamps.add(datetime.strptime(read_dataset_json(dj)[1]["datasetJSONCreationDateTime"],
                                         "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc))
    acrf = pypdf.PdfReader(result.sdtm_dir / "acrf.pdf").metadata.creation_date
    stamps.add(acrf.astimezone(timezone.utc) if acrf.tzinfo else acrf.replace(tzinfo=timezone.utc))
    assert len(stamps) == 1, sorted(stamps)  # one time for the whole run
    (stamp,) = stamps
    assert before <= stamp <= after, (before, stamp, after)
    assert stamp.year >= 2024


def test_source_date_epoch_pins_the_time_and_a_run_pins_its_own(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767270896")
    assert build_time() == datetime(2026, 1, 1, 12, 34, 56, tzinfo=timezone.utc)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    with run_clock() as pinned:
        assert abs(pinned - datetime.now(timezone.utc)) < timedelta(seconds=5)
        assert build_time() == pinned and pinned.microsecond == 0
    assert build_time().year >= 2024  # the time of now, not a fixed date
