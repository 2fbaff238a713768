"""The laboratory toxicity grading table (specs/adam/ctcae_v5.csv) and the terms each parameter is
graded by (specs/adam/toxicity_terms.csv), parsed and checked when specs/ loads.

A criterion is text a reviewer can read against the CTCAE document: alternatives joined by " or ",
each a conjunction of atoms joined by " and ". An atom is a comparison of two sums of terms
("AVAL > 3 * ANRHI", "AVAL > ANRHI + 20", "AVAL < 80"), "VAR missing", or "VAR is VALUE" /
"VAR is not VALUE" for text. The rows of one term are evaluated in their Order; the first that holds
sets the grade ("NA" for a record that cannot be graded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.sheets import Sheet, one_of

GRADES = ("NA", "0", "1", "2", "3", "4")
DIRECTIONS = ("L", "H")
OPERATORS = ("<=", ">=", "<", ">")
_NAME = r"[A-Z][A-Z0-9]*"
_NUMBER = r"\d+(?:\.\d+)?"
_TERM = re.compile(rf"^(?:({_NUMBER})\s*\*\s*)?({_NAME}|{_NUMBER})$")


@dataclass(frozen=True)
class Linear:
    """sum(coefficient * variable) + constant; a term's variable is None for a constant."""

    terms: tuple[tuple[float, str | None], ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for _, v in self.terms if v)


@dataclass(frozen=True)
class Atom:
    kind: str  # "compare", "missing", "is", "is not"
    variable: str = ""
    value: str = ""
    left: Linear | None = None
    operator: str = ""
    right: Linear | None = None

    @property
    def variables(self) -> tuple[str, ...]:
        if self.kind == "compare":
            return self.left.variables + self.right.variables
        return (self.variable,)


@dataclass(frozen=True)
class Criterion:
    """Alternatives (or) of conjunctions (and) of atoms, and the text it was read from."""

    alternatives: tuple[tuple[Atom, ...], ...]
    text: str

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for conj in self.alternatives for a in conj for v in a.variables))


@dataclass(frozen=True)
class GradeRule:
    term: str
    direction: str
    unit: str  # the unit of absolute limits; "" when the rule is relative to the range or baseline only
    order: int
    grade: str
    criterion: Criterion
    ctcae: str  # the CTCAE v5.0 wording of the grade


@dataclass(frozen=True)
class GradingTable:
    name: str
    rules: tuple[GradeRule, ...]
    terms_by_parameter: dict[str, tuple[str, str]]  # PARAMCD -> (low term, high term), "" for none

    def rules_for(self, term: str) -> tuple[GradeRule, ...]:
        return tuple(sorted((r for r in self.rules if r.term.lower() == term.lower()), key=lambda r: r.order))

    @property
    def terms(self) -> dict[str, str]:
        """Term -> direction."""
        return {r.term: r.direction for r in self.rules}


def _linear(text: str) -> Linear:
    text = text.strip()
    if not text:
        raise ValueError(text)
    terms = []
    for sign, part in re.findall(r"([+-]?)\s*([^+-]+)", text):
        m = _TERM.match(part.strip())
        if not m:
            raise ValueError(part)
        coefficient = float(m.group(1)) if m.group(1) else 1.0
        coefficient = -coefficient if sign == "-" else coefficient
        token = m.group(2)
        if re.fullmatch(_NUMBER, token):
            terms.append((coefficient * float(token), None))
        else:
            terms.append((coefficient, token))
    return Linear(tuple(terms))


def _atom(text: str) -> Atom:
    text = text.strip()
    m = re.fullmatch(rf"({_NAME}) missing", text)
    if m:
        return Atom("missing", variable=m.group(1))
    m = re.fullmatch(rf"({_NAME}) is (not )?(\S.*)", text)
    if m:
        return Atom("is not" if m.group(2) else "is", variable=m.group(1), value=m.group(3).strip())
    for op in OPERATORS:
        if op in text:
            left, right = text.split(op, 1)
            return Atom("compare", left=_linear(left), operator=op, right=_linear(right))
    raise ValueError(text)


def parse_criterion(text: str) -> Criterion:
    """Parse a criterion (see the module's docstring); ValueError names the part not understood."""
    if not text.strip():
        raise ValueError(text)
    alternatives = tuple(tuple(_atom(a) for a in alt.split(" and ")) for alt in text.split(" or "))
    return Criterion(alternatives, text)


GRADES_TABLE, TERMS_TABLE = "adam/ctcae_v5.csv", "adam/toxicity_terms.csv"


def load_grading(source, problems: list[Problem], study: dict) -> GradingTable | None:
    """specs/adam/ctcae_v5.csv and toxicity_terms.csv; None when the study grades nothing."""
    if not source.has(GRADES_TABLE):
        return None
    s = Sheet(source.table(GRADES_TABLE), ["Term", "Direction", "Unit", "Order", "Grade", "Criterion", "CTCAE"],
              problems, study)
    rules, seen = [], set()
    for line, row in s.rows():
        term = s.get(line, row, "Term", required=True)
        order = s.get(line, row, "Order", int, True, "a whole number")
        criterion = s.get(line, row, "Criterion", parse_criterion, True,
                          "a criterion such as 'AVAL > 3 * ANRHI', 'ANRLO missing' or 'BNRIND is HIGH', "
                          "alternatives joined by ' or ', conditions by ' and '")
        rule = GradeRule(term, s.get(line, row, "Direction", one_of(set(DIRECTIONS)), True, "L or H"),
                         row["Unit"], order or 0,
                         s.get(line, row, "Grade", one_of(set(GRADES) - {"0"}), True, "NA or a grade from 1 to 4"),
                         criterion, row["CTCAE"])
        if (term.lower(), order) in seen:
            s.fail(line, "Order", str(order), f"an order not used twice for {term}")
        seen.add((term.lower(), order))
        if criterion is not None:
            rules.append(rule)
    directions: dict[str, set[str]] = {}
    for r in rules:
        directions.setdefault(r.term.lower(), set()).add(r.direction)
    for term, found in directions.items():
        if len(found) > 1:
            problems.append(Problem(s.name, None, "Direction", term, "one direction per term"))
    terms = {}
    t = Sheet(source.table(TERMS_TABLE), ["PARAMCD", "Low Term", "High Term"], problems, study)
    for line, row in t.rows():
        paramcd = t.get(line, row, "PARAMCD", required=True)
        for column, direction in (("Low Term", "L"), ("High Term", "H")):
            term = row[column]
            if term and directions.get(term.lower()) != {direction}:
                t.fail(line, column, term, f"a term of ctcae_v5.csv graded in direction {direction}")
        terms[paramcd] = (row["Low Term"], row["High Term"])
    return GradingTable("NCI CTCAE v5.0", tuple(rules), terms)
