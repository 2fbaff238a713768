"""Agency profiles (`--profile fda|pmda|cdisc`): which rules run, whose severities they carry, and what the
agency does with the findings, as far as a public source documents it. A profile never invents a severity:
where its agency's own severities are not public here (the PMDA's rule workbook), the FDA configuration's are
kept and the report says so. docs/validation.md gives each profile's sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

FDA_SEVERITIES = ("Pinnacle 21's FDA configuration (Reject, Error, Warning, Notice as P21 Community reports them); "
                  "the MCnnnn rules, which P21 lacks, this package's own")


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    severities: str  # where the severities come from, as the report states it
    selects: Callable  # rule -> bool: the rules the profile runs
    notes: tuple[str, ...] = ()  # what the agency does with the findings, stated in the report
    explain_errors: bool = False  # the agency asks every Error to be explained in the reviewer's guide

    def run_notes(self, findings) -> list[str]:
        """What the report says of this run's findings under the profile."""
        errors = findings[findings["severity"] == "Error"]
        if not self.explain_errors or errors.empty:
            return []
        lines = errors.groupby(["rule", "dataset"]).ngroups
        return [f"{self.name.upper()} profile: {len(errors):,} Error finding(s), in {lines:,} rule and dataset "
                f"line(s), each to be corrected or explained in the reviewer's guide"]


def _every(rule) -> bool:
    return True


def _cdisc(rule) -> bool:
    return bool(rule.cdisc)


PROFILES = {
    "fda": Profile("fda", "FDA: every rule, with the severities of Pinnacle 21's FDA configuration", FDA_SEVERITIES,
                   _every),
    "pmda": Profile(
        "pmda", "PMDA: every rule; the PMDA's own rule set and severities are not vendored",
        FDA_SEVERITIES + "; the PMDA's own severities (its Study Data Validation Rules) are not vendored, so none "
                         "is changed",
        _every,
        ("PMDA profile: the PMDA validates a submission with Pinnacle 21 Enterprise and the PMDA engine the sponsor "
         "names (engine 1810.3 for submissions after 31 March 2020; engine 2211.0 implements the PMDA's Validation "
         "Rules 4.0 of March 2023), not with this validator: its severities here are the FDA configuration's",
         "PMDA profile: a Reject halts the PMDA's review, and every Error must be explained in the reviewer's guide "
         "(cSDRG, ADRG): the PMDA may ask for the guide to be fixed when an Error is not"), explain_errors=True),
    "cdisc": Profile(
        "cdisc", "CDISC: only the rules that answer to a CDISC conformance rule (SDTMIG CGnnnn, ADaM checks)",
        FDA_SEVERITIES + "; CDISC's conformance rules give none of these severities, so the FDA configuration's "
                         "are kept",
        _cdisc),
}


def profile(name: str) -> Profile:
    try:
        return PROFILES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: expected one of {', '.join(PROFILES)}") from None
