"""Submission files: XPT, Define-XML, and the atomic writing they share."""
