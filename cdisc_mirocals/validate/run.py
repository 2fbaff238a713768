"""Run the generated pandera schemas lazily over every dataset and collect every failure."""

from __future__ import annotations

import ast

import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.metadata.steps import ConformanceError
from cdisc_mirocals.spec import Standard
from cdisc_mirocals.validate.schemas import dataset_schema


def validate_datasets(datasets: dict[str, pd.DataFrame], standard: Standard) -> list[Problem]:
    """Every schema failure as a Problem: dataset, record number (1-based), variable, value, expectation."""
    problems = []
    for name, frame in datasets.items():
        try:
            dataset_schema(standard[name], standard).validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            for case in exc.failure_cases.itertuples(index=False):
                row = None if pd.isna(case.index) else int(case.index) + 1
                column = None if pd.isna(case.column) else str(case.column)
                value = None if pd.isna(case.failure_case) else str(case.failure_case)
                if column not in frame.columns and value and value.startswith("{"):
                    # a value-level (dataframe-wide) check reports {variable: value}: name the variable
                    column, value = next(iter(ast.literal_eval(value).items()))
                    value = str(value)
                keys = ""
                if row is not None and standard[name].keys:
                    rec = frame.iloc[row - 1]
                    keys = " (" + ", ".join(f"{k}={rec[k]}" for k in standard[name].keys if k in frame) + ")"
                problems.append(Problem(f"{name}{keys}", row, column, value, str(case.check)))
    return problems
