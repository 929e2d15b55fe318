"""Validated scoring: answers in, total + band + flags out, or a clear error.

`score()` is the one door every entry path uses (web form, CSV and FHIR
import, API, simulator), so a rating is judged the same way wherever it came
from. Bad input raises `ScoringError`, which names the instrument, the item
(or the total) and the reason, and never echoes anything but the offending
number, so the message is safe to show in an import report or a log.
"""

import math
from dataclasses import dataclass

from .instruments import ADULT, DEFAULT_REGISTRY, Instrument, Registry

SAFETY = "safety"   # a safety item answered above its threshold: same-day attention
CUTOFF = "cutoff"   # total on the concern side of the clinical cutoff


class ScoringError(ValueError):
    """Missing, malformed or out-of-range input.

    `field` is "instrument", "items", "item" or "total"; `item` is the
    1-based item number when one item is at fault.
    """

    def __init__(self, instrument: str, field: str, reason: str, item: int | None = None, label: str = ""):
        self.instrument = instrument
        self.field = field
        self.item = item
        self.reason = reason
        if item is not None:
            where = f"{instrument} item {item}" + (f" ({label})" if label else "")
        elif field == "total":
            where = f"{instrument} total"
        else:
            where = instrument
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass(frozen=True)
class Flag:
    kind: str
    reason: str
    item: int | None = None


@dataclass(frozen=True)
class Score:
    instrument: str
    total: float
    band: str
    flags: tuple[Flag, ...]
    items: tuple[float, ...] | None
    population: str = ADULT

    @property
    def safety(self) -> bool:
        return any(f.kind == SAFETY for f in self.flags)

    @property
    def below_cutoff(self) -> bool:
        """True when the total is on the concern side of the cutoff (for PHQ-9
        and GAD-7 that is at or above it: the name follows ORS/SRS usage)."""
        return any(f.kind == CUTOFF for f in self.flags)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 20 else text[:16] + "...'"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _number(inst: Instrument, value, field: str, item=None, label="") -> float | None:
    """A number from an int, float or numeric string; None when blank."""
    def fail(reason):
        raise ScoringError(inst.code, field, reason, item, label)

    if value is None:
        return None
    if isinstance(value, bool):
        fail(f"{_show(value)} is not a number.")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            fail(f"{_show(text)} is not a number.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        fail(f"{_show(value)} is not a number.")
    if math.isnan(v):
        return None
    if math.isinf(v):
        fail(f"{_show(value)} is not a number.")
    return v


def _on_step(v: float, step: float) -> bool:
    return abs(round(v / step) * step - v) < 1e-6


def _check_item(inst: Instrument, number: int, raw) -> float:
    label = inst.items[number - 1].label
    v = _number(inst, raw, "item", number, label)
    if v is None:
        raise ScoringError(inst.code, "item", "missing.", number, label)
    if v < inst.item_low:
        raise ScoringError(inst.code, "item", f"{_fmt(v)} is below the lowest answer, {_fmt(inst.item_low)}.",
                           number, label)
    if v > inst.item_high:
        raise ScoringError(inst.code, "item", f"{_fmt(v)} is above the highest answer, {_fmt(inst.item_high)}.",
                           number, label)
    if not _on_step(v - inst.item_low, inst.step):
        reason = (f"{_fmt(v)} is not a whole number." if inst.step == 1
                  else f"{_fmt(v)} is finer than the scale records (steps of {_fmt(inst.step)}).")
        raise ScoringError(inst.code, "item", reason, number, label)
    return round(v, inst.decimals) if inst.decimals else float(round(v))


def _item_list(inst: Instrument, items) -> list:
    """Items as a list in item order, from a list/tuple or a {number: answer} dict."""
    n = len(inst.items)
    if isinstance(items, dict):
        out = [None] * n
        for key, value in items.items():
            text = str(key).strip().lower().removeprefix("item").lstrip("_ ")
            if not text.isdigit() or not 1 <= int(text) <= n:
                raise ScoringError(inst.code, "items", f"{_show(str(key))} is not an item of {inst.code} "
                                                       f"(items are numbered 1 to {n}).")
            out[int(text) - 1] = value
        return out
    if isinstance(items, (str, bytes)) or not hasattr(items, "__len__"):
        raise ScoringError(inst.code, "items", "items must be a list of answers in item order.")
    items = list(items)
    if len(items) != n:
        raise ScoringError(inst.code, "items", f"expected {n} items; got {len(items)}.")
    return items


def get_instrument(instrument_code: str, registry: Registry | None = None) -> Instrument:
    reg = registry or DEFAULT_REGISTRY
    inst = reg.get(instrument_code or "")
    if inst is None:
        raise ScoringError("", "instrument", f"{_show(str(instrument_code))} is not a known instrument "
                                             f"(known: {', '.join(reg.codes())}).")
    return inst


def score(instrument_code: str, items=None, total=None, *, practice=None, registry: Registry | None = None,
          population: str = ADULT) -> Score:
    """Validate and score one completed questionnaire.

    Give the item answers (a list in item order, or a dict keyed by item
    number), the total, or both; with both, the total must match the items.
    Items are needed for safety items: a PHQ-9 given as a total alone has
    its item 9 unchecked. Pass `practice` (or a `registry` from
    `custom.registry_for(practice)`, cheaper in a loop) to include that
    practice's own instruments and reliable-change settings.
    """
    if registry is None and practice is not None:
        from .custom import registry_for  # the database is only needed for custom instruments

        registry = registry_for(practice)
    inst = get_instrument(instrument_code, registry)

    answers = None
    if items is not None and not (isinstance(items, str) and not items.strip()):
        raw = _item_list(inst, items)
        answers = tuple(_check_item(inst, i + 1, v) for i, v in enumerate(raw))
    given = _number(inst, total, "total")
    if answers is None and given is None:
        raise ScoringError(inst.code, "total", "missing (give the items, the total, or both).")

    if answers is not None:
        computed = sum(answers) if inst.scoring == "sum" else sum(answers) / len(answers)
        computed = round(computed, max(inst.decimals, 2 if inst.scoring == "mean" else 0))
        if given is not None and abs(given - computed) > 1e-6 + (0.005 if inst.scoring == "mean" else 0):
            raise ScoringError(inst.code, "total",
                               f"{_fmt(given)} does not match the items, which add up to {_fmt(computed)}.")
        value = computed
    else:
        value = given
        if value < inst.total_low:
            raise ScoringError(inst.code, "total", f"{_fmt(value)} is below the lowest possible total, "
                                                   f"{_fmt(inst.total_low)}.")
        if value > inst.total_high:
            raise ScoringError(inst.code, "total", f"{_fmt(value)} is above the highest possible total, "
                                                   f"{_fmt(inst.total_high)}.")
        if inst.scoring == "sum" and not _on_step(value - inst.total_low, inst.step):
            reason = (f"{_fmt(value)} is not a whole number." if inst.step == 1
                      else f"{_fmt(value)} is finer than the scale records (steps of {_fmt(inst.step)}).")
            raise ScoringError(inst.code, "total", reason)
        if inst.scoring == "sum":
            value = round(value, inst.decimals) if inst.decimals else float(round(value))

    flags = []
    for s in inst.safety_items:
        if answers is not None and answers[s.number - 1] > s.above:
            flags.append(Flag(SAFETY, f"{inst.code} item {s.number} {s.reason}.", s.number))
    cut = inst.cutoff(population)
    if cut is not None and cut.is_concern(value):
        flags.append(Flag(CUTOFF, f"{inst.code} total {_fmt(value)} is {cut.side}: {cut.label}."))
    return Score(instrument=inst.code, total=float(value), band=inst.band(value, population),
                 flags=tuple(flags), items=answers, population=population)
