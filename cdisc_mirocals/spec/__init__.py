"""specs/, the single source of truth of the study's metadata, loaded into typed, immutable objects.

The layout of the sheets is documented in docs/specs.md. Every problem found is collected and raised
together as one SpecError naming the file, the line and the column.
"""

from cdisc_mirocals.spec.grading import GradeRule, GradingTable
from cdisc_mirocals.spec.load import default_spec_root, load_spec
from cdisc_mirocals.spec.model import (
    ANALYSIS_PURPOSES, ANALYSIS_REASONS, COMPARATORS, DATA_TYPES, ORIGINS, RAW_TYPES, SOURCES, AnalysisDataset,
    AnalysisDisplay, AnalysisResult, Codelist, Comment, Condition, Dataset, Document, ItemMetadata, Method, RawField,
    RawForm, Spec, Standard, Study, Term, ValueLevel, Variable,
)
from cdisc_mirocals.spec.sheets import PLACEHOLDER, expand, study_value
from cdisc_mirocals.spec.windows import VisitWindow, windows_for

__all__ = [
    "ANALYSIS_PURPOSES", "ANALYSIS_REASONS", "COMPARATORS", "DATA_TYPES", "ORIGINS", "RAW_TYPES", "SOURCES",
    "AnalysisDataset", "AnalysisDisplay", "AnalysisResult", "Codelist", "Comment", "Condition", "Dataset",
    "Document", "GradeRule", "GradingTable", "ItemMetadata", "Method", "PLACEHOLDER", "RawField", "RawForm", "Spec",
    "Standard", "Study", "Term", "ValueLevel", "Variable", "VisitWindow", "default_spec_root", "expand", "load_spec",
    "study_value", "windows_for",
]
