"""The pages define.xml cites for each item, from where the aCRF's annotations were drawn.

A variable cites every page where it is annotated. A value-level item cites the pages of its own annotations:
those of its test (`LBORRES when LBTESTCD = NFHP`, or any condition on a variable of its where clause) or of its QNAM (`ONSETSIT in SUPPMH`); a result collected
on a form that lists its test as a field of its own (the laboratory form's LBTESTCD and LBORRES) cites the
pages where the result variable stands without a test."""

from __future__ import annotations

from cdisc_mirocals.spec import Standard
from cdisc_mirocals.submission.acrf.layout import Placed
from cdisc_mirocals.submission.define import oids


def crf_pages(placed: tuple[Placed, ...] | list[Placed], sdtm: Standard) -> dict[str, str]:
    """ItemDef OID -> its aCRF pages ("3 4"), for every variable and value-level item annotated."""
    drawn = [(p.annotation, p.page) for p in placed if p.annotation is not None]
    by_item: dict[tuple[str, str], set[int]] = {}
    for a, page in drawn:
        by_item.setdefault(a.item, set()).add(page)
    out = {oids.item(*item): _pages(pages) for item, pages in by_item.items()}
    for row in sdtm.valuelevel:
        mine = [(a, page) for a, page in drawn if a.item == (row.dataset, row.variable)]
        conditions = {c.variable: set(c.values) for c in row.where}
        if row.variable == "QVAL" and "QNAM" in conditions:
            pages = {page for a, page in mine if a.variable in conditions["QNAM"]}
        else:
            # an annotation conditioned on a variable of the where clause (its test) cites when its value is one
            # of the clause's; where none matches, the annotations not conditioned on it stand for every value
            keyed = [(a, page) for a, page in mine if a.when and a.when[0] in conditions]
            pages = {page for a, page in keyed if a.when[1] in conditions[a.when[0]]} \
                or {page for a, page in mine if not (a.when and a.when[0] in conditions)}
        if pages:
            out[oids.value_item(row.dataset, row.variable, row.where)] = _pages(pages)
    return out


def _pages(pages: set[int]) -> str:
    return " ".join(str(p) for p in sorted(pages))
