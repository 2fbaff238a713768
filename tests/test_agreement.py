"""specs/, every XPT header, both define.xml files and the Dataset-JSON files agree on the name, label,
type, length, format and order of every variable of every dataset `convert` wrote (issue 8)."""

import json

import pyreadstat
import pytest

from cdisc_mirocals.submission.define import parse_define
from cdisc_mirocals.submission.sasformat import normalise_format

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
NUMERIC = {"integer", "float"}


def _define(folder):
    root = parse_define((folder / "define.xml").read_bytes())
    items = {i.get("OID"): i for i in root.iter(f"{ODM}ItemDef")}
    out = {}
    for group in root.iter(f"{ODM}ItemGroupDef"):
        refs = sorted(group.iterfind(f"{ODM}ItemRef"), key=lambda r: int(r.get("OrderNumber")))
        out[group.get("Name")] = [(items[r.get("ItemOID")], int(r.get("OrderNumber"))) for r in refs]
    return out


def _label(item):
    return item.find(f"{ODM}Description/{ODM}TranslatedText").text


@pytest.mark.parametrize("standard", ["sdtm", "adam"])
def test_specs_xpt_define_and_dataset_json_agree_on_every_variable(converted, spec, standard):
    folder = converted.sdtm_dir if standard == "sdtm" else converted.adam_dir
    std = getattr(spec, standard)
    define = _define(folder)
    written = sorted(p.stem.upper() for p in folder.glob("*.xpt"))
    assert written == sorted(define), "define.xml describes exactly the datasets written"
    checked = 0
    for name in written:
        ds = std[name]
        frame, meta = pyreadstat.read_xport(str(folder / f"{name.lower()}.xpt"), metadataonly=True)
        columns = json.loads((folder / f"{name.lower()}.json").read_text())["columns"]
        assert meta.table_name == name and meta.file_label == ds.description
        assert meta.column_names == ds.names == [i.get("Name") for i, _ in define[name]] == [c["name"] for c in columns]
        for position, (var, (item, order), column) in enumerate(zip(ds.variables, define[name], columns), start=1):
            where = f"{name}.{var.name}"
            # order: the spec's Order, the XPT position, define's OrderNumber
            assert var.order == position == order, where
            # label
            assert var.label == meta.column_names_to_labels[var.name] == _label(item) == column["label"], where
            # type
            xpt_numeric = meta.readstat_variable_types[var.name] == "double"
            assert var.is_numeric == xpt_numeric == (item.get("DataType") in NUMERIC), where
            assert item.get("DataType") == var.data_type, where
            # length: the XPT length is the longest value, within the spec's ceiling; define.xml and
            # Dataset-JSON repeat it
            length = meta.variable_storage_width[var.name]
            assert int(item.get("Length")) == length, where
            if var.is_numeric:
                assert length == 8, where
            else:
                assert 1 <= length <= (var.length or 200) and column["length"] == length, where
            # format
            assert var.format == normalise_format(meta.original_variable_types[var.name]), where
            assert (item.get(f"{DEF}DisplayFormat") or "") == var.format == column.get("displayFormat", ""), where
            assert column["itemOID"] == item.get("OID"), where
            checked += 1
    assert checked == sum(len(std[n].variables) for n in written) > 100
