"""Checking a define.xml against the vendored XSD, and rendering it as define.html with define2-1.xsl."""

from __future__ import annotations

from cdisc_mirocals.submission.define.safe_xml import DefineError, parse_define, schema, stylesheet


def validate_define(define_xml: bytes, arm: bool) -> list[str]:
    """Schema errors of the document ('line N: message'), none when it is valid Define-XML 2.1
    (with ARM 1.0 when `arm`). A document that is not safe to read raises DefineError."""
    tree = parse_define(define_xml)
    xsd = schema(arm)
    if xsd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def render_define_html(define_xml: bytes) -> bytes:
    """define.html, as a reviewer's browser would show define.xml with the CDISC stylesheet."""
    tree = parse_define(define_xml)
    transform = stylesheet()
    try:
        html = transform(tree)
    except Exception as exc:  # lxml raises XSLTApplyError and friends
        raise DefineError(f"define2-1.xsl could not render the document: {exc}") from None
    return bytes(html)
