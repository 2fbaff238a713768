"""XLSX workbooks that are byte-identical for the same content: openpyxl stamps the time of writing into
docProps/core.xml and every zip entry, so both are fixed here. Shared by the validation report and the spec
workbook export, so it lives below both."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

FIXED = dt.datetime(2000, 1, 1)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
# zlib's fastest level: the Details sheet of a large study is hundreds of MB of XML, deflated four times
# faster than at the default level for a file some 15% larger
ZIP_LEVEL = 1


def stable_zip(data: bytes, rows: dict | None = None) -> bytes:
    """The same zip with every entry dated ZIP_TIME, and core.xml's dates fixed (openpyxl stamps now);
    `rows` (blocks of bytes) are streamed in at the end of the sheetData of the sheets they name."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = fixed_core(content)
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry._compresslevel = ZIP_LEVEL  # a ZipInfo's own level; ZipFile's applies to names only
            if rows and info.filename in rows:
                head, tail = content.split(b"</sheetData>", 1)
                with dst.open(entry, "w", force_zip64=True) as fh:  # its size is not known before
                    fh.write(head)
                    for block in rows[info.filename]:
                        fh.write(block)
                    fh.write(b"</sheetData>" + tail)
                continue
            dst.writestr(entry, content)
    return out.getvalue()


def fixed_core(xml: bytes) -> bytes:
    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2000-01-01T00:00:00Z\g<3>", xml)
