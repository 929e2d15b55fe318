"""Measures are validated by the instrument registry's `score()`, the same
door the web form and the API use, so an imported PHQ-9 is judged exactly
like one typed in."""

from stillhere.measures.custom import registry_for
from stillhere.measures.scoring import ScoringError, score


class MeasureCheck:
    def __init__(self, practice):
        self.registry = registry_for(practice)

    def __call__(self, r: dict):
        """Normalise `r` in place (instrument code, scored total, items); on
        bad input return (column, value, reason) for the report."""
        try:
            s = score(r["instrument"], items=r.get("items"), total=r.get("total"), registry=self.registry)
        except ScoringError as e:
            if e.item:
                column, value = f"item_{e.item}", (r.get("items") or [None] * e.item)[e.item - 1]
            elif e.field == "total":
                column, value = "total", r.get("total")
            elif e.field == "instrument":
                column, value = "instrument", r["instrument"]
            else:
                column, value = "item_1", ""
            return column, "" if value is None else f"{value:g}" if isinstance(value, float) else value, str(e)
        r["instrument"], r["total"] = s.instrument, s.total
        r["items"] = list(s.items) if s.items is not None else None
        return None
