"""The layer between specs/ and the submitted files, shared by SDTM, ADaM, validation and the writers.

A derived frame is shaped to its specification in small explicit steps, each logging what it
changed, as xportr does (`steps.py`): variables, type, length, label, format, order. The result, a
`Shaped` dataset, is what every writer (XPT, Dataset-JSON, Define-XML) reads, so that the three
agree by construction.
"""

from cdisc_mirocals.metadata.steps import (Column, Shaped, ShapeLog, apply_format, apply_label, apply_length,
                                           apply_order, apply_type, apply_variables, conform, shape, start,
                                           xpt_length)

__all__ = ["Column", "Shaped", "ShapeLog", "apply_format", "apply_label", "apply_length", "apply_order",
           "apply_type", "apply_variables", "conform", "shape", "start", "xpt_length"]
