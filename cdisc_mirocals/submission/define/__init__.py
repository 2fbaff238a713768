"""Define-XML 2.1, with Analysis Results Metadata 1.0 for ADaM, built from the Spec objects and the
datasets exactly as they are written to XPT; checked against the vendored CDISC schemas and rendered
to define.html with the CDISC stylesheet.

    xml = build_define(spec, "ADaM", datasets)        # bytes, reproducible
    assert validate_define(xml, arm=True) == []
    html = render_define_html(xml)

Lengths come from `cdisc_mirocals.metadata.xpt_length`, as the XPT writer's do, so XPT headers and
define.xml agree by construction.
"""

from cdisc_mirocals.metadata.steps import xpt_length
from cdisc_mirocals.metadata.where import NUMERIC_LENGTH, where_mask
from cdisc_mirocals.submission.define.build import build_define
from cdisc_mirocals.submission.define.render import render_define_html, validate_define
from cdisc_mirocals.submission.define.safe_xml import DefineError, parse_define, schema_path, stylesheet_path

__all__ = ["NUMERIC_LENGTH", "DefineError", "build_define", "parse_define", "render_define_html",
           "schema_path", "stylesheet_path", "validate_define", "where_mask", "xpt_length"]
