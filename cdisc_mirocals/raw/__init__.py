"""Raw EDC exports: the reader, its pandera schemas, and the raw date format."""

from cdisc_mirocals.raw.reader import LINE, RawStudy, read_raw

__all__ = ["LINE", "RawStudy", "read_raw"]
