"""A practice's own measures settings, declared in a TOML file.

One file holds everything a practice may change about measures, so it can
live in version control and be reviewed like any clinical protocol:

- `[[instrument]]` tables: the practice's own questionnaires;
- `[reliable_change]`: its own reliable-change thresholds for any instrument;
- `[alerts]`: how big an alliance drop counts, when "not on track" starts...;
- `[checkins]`: how many sessions may pass without an alliance rating or
  progress conversation.

See `example_measures.toml` beside this module for every key. Mistakes are
refused with a message that names the table, the key and the reason.
"""

import math
import tomllib
from dataclasses import dataclass, field, fields, replace

from .alerts import AlertSettings
from .instruments import (
    ADULT, ALLIANCE, AT_OR_ABOVE, BELOW, BUILTIN, OUTCOME, Band, Cutoff, Instrument, Item, Registry, SafetyItem,
    normalise_code,
)

INSTRUMENT_KEYS = {"code", "name", "kind", "higher_is_better", "item_low", "item_high", "step", "items", "scoring",
                   "reliable_change", "reliable_change_source", "bands", "cutoffs", "safety_items"}
TOP_KEYS = {"instrument", "reliable_change", "alerts", "checkins"}
DEFAULT_CHECKIN_EVERY = 4


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class MeasuresConfig:
    registry: Registry = field(default_factory=Registry)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    checkin_every: int = DEFAULT_CHECKIN_EVERY


def _num(where: str, value, positive=False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        raise ConfigError(f"{where}: expected a number, got {value!r}.")
    if positive and value <= 0:
        raise ConfigError(f"{where}: must be greater than 0, got {value!r}.")
    return float(value)


def _str(where: str, value, required=True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(f"{where}: expected text, got {value!r}.")
    return value.strip()


def _table_list(where: str, value) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: expected a list of tables like [{{...}}, {{...}}].")
    return value


def _instrument(n: int, t: dict, taken: set) -> Instrument:
    code = t.get("code")
    w = f"[[instrument]] {n} ({code})" if isinstance(code, str) else f"[[instrument]] {n}"
    unknown = set(t) - INSTRUMENT_KEYS
    if unknown:
        raise ConfigError(f"{w}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(INSTRUMENT_KEYS))}).")
    for key in ("code", "name", "kind", "item_low", "item_high", "items", "reliable_change"):
        if key not in t:
            raise ConfigError(f"{w}: {key} is required.")
    code = _str(f"{w} code", t["code"])
    if normalise_code(code) in taken:
        raise ConfigError(f"{w} code: {code!r} is already an instrument; choose another code.")
    kind = t["kind"]
    if kind not in (ALLIANCE, OUTCOME):
        raise ConfigError(f"{w} kind: must be {ALLIANCE!r} or {OUTCOME!r}, got {kind!r}.")
    low, high = _num(f"{w} item_low", t["item_low"]), _num(f"{w} item_high", t["item_high"])
    if high <= low:
        raise ConfigError(f"{w} item_high: must be above item_low ({low:g}), got {high:g}.")
    step = _num(f"{w} step", t.get("step", 1), positive=True)
    if abs(round((high - low) / step) * step - (high - low)) > 1e-6:
        raise ConfigError(f"{w} step: {step:g} does not divide the range {low:g} to {high:g}.")
    raw_items = t["items"]
    if isinstance(raw_items, int) and not isinstance(raw_items, bool) and raw_items > 0:
        raw_items = [f"Item {i + 1}" for i in range(raw_items)]
    if not isinstance(raw_items, list) or not raw_items:
        raise ConfigError(f"{w} items: give the item labels as a list, or the number of items.")
    items = []
    for i, it in enumerate(raw_items, 1):
        if isinstance(it, dict):
            items.append(Item(i, _str(f"{w} items {i} label", it.get("label")),
                              _str(f"{w} items {i} hint", it.get("hint", ""), required=False)))
        else:
            items.append(Item(i, _str(f"{w} items {i}", it)))
    scoring = t.get("scoring", "sum")
    if scoring not in ("sum", "mean"):
        raise ConfigError(f"{w} scoring: must be 'sum' or 'mean', got {scoring!r}.")
    inst = Instrument(
        code=code, name=_str(f"{w} name", t["name"]), kind=kind, items=tuple(items), item_low=low, item_high=high,
        step=step, higher_is_better=bool(t.get("higher_is_better", kind == ALLIANCE)), scoring=scoring,
        reliable_change=_num(f"{w} reliable_change", t["reliable_change"], positive=True),
        reliable_change_source=_str(f"{w} reliable_change_source",
                                    t.get("reliable_change_source", "declared by the practice")),
        custom=True,
    )
    bands = []
    for i, b in enumerate(_table_list(f"{w} bands", t.get("bands", [])), 1):
        bands.append(Band(_num(f"{w} bands {i} low", b.get("low")), _str(f"{w} bands {i} label", b.get("label"))))
    if [b.low for b in bands] != sorted(b.low for b in bands):
        raise ConfigError(f"{w} bands: list them from the lowest to the highest.")
    if bands and bands[0].low > inst.total_low:
        raise ConfigError(f"{w} bands: the first band must start at the lowest total, {inst.total_low:g}.")
    cutoffs = []
    for i, c in enumerate(_table_list(f"{w} cutoffs", t.get("cutoffs", [])), 1):
        concern = c.get("concern")
        if concern not in (BELOW, AT_OR_ABOVE):
            raise ConfigError(f"{w} cutoffs {i} concern: must be {BELOW!r} or {AT_OR_ABOVE!r}, got {concern!r}.")
        cutoffs.append(Cutoff(_num(f"{w} cutoffs {i} value", c.get("value")), concern,
                              _str(f"{w} cutoffs {i} label", c.get("label", "clinical range")),
                              _str(f"{w} cutoffs {i} population", c.get("population", ADULT)),
                              _str(f"{w} cutoffs {i} ok_label", c.get("ok_label", ""), required=False)))
    safety = []
    for i, s in enumerate(_table_list(f"{w} safety_items", t.get("safety_items", [])), 1):
        number = s.get("item")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= len(items):
            raise ConfigError(f"{w} safety_items {i} item: must be an item number from 1 to {len(items)}.")
        safety.append(SafetyItem(number, _num(f"{w} safety_items {i} above", s.get("above", low)),
                                 _str(f"{w} safety_items {i} reason",
                                      s.get("reason", "answered above the safety threshold"))))
    return replace(inst, bands=tuple(bands), cutoffs=tuple(cutoffs), safety_items=tuple(safety))


def _alerts(value) -> AlertSettings:
    if not isinstance(value, dict):
        raise ConfigError("[alerts]: expected a table.")
    known = {f.name: f for f in fields(AlertSettings)}
    out = {}
    for key, v in value.items():
        if key not in known:
            raise ConfigError(f"[alerts] {key}: unknown key (known: {', '.join(known)}).")
        n = _num(f"[alerts] {key}", v, positive=True)
        out[key] = int(n) if known[key].type in (int, "int") else n
        if out[key] != n:
            raise ConfigError(f"[alerts] {key}: expected a whole number, got {v!r}.")
    return AlertSettings(**out)


def parse(text: str) -> MeasuresConfig:
    """Validate a practice's TOML text; raises ConfigError saying where and why."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"Not valid TOML: {e}.") from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ConfigError(f"Unknown table {sorted(unknown)[0]!r} (known: {', '.join(sorted(TOP_KEYS))}).")
    instruments = dict(BUILTIN)
    taken = {normalise_code(c) for c in instruments}
    for n, t in enumerate(_table_list("[[instrument]]", data.get("instrument", [])), 1):
        inst = _instrument(n, t, taken)
        taken.add(normalise_code(inst.code))
        instruments[inst.code] = inst
    rc = data.get("reliable_change", {})
    if not isinstance(rc, dict):
        raise ConfigError("[reliable_change]: expected a table like ORS = 5.")
    by_key = {normalise_code(c): c for c in instruments}
    for code, v in rc.items():
        real = by_key.get(normalise_code(code))
        if real is None:
            raise ConfigError(f"[reliable_change] {code}: not a known instrument.")
        if isinstance(v, dict):
            points = _num(f"[reliable_change] {code} points", v.get("points"), positive=True)
            source = _str(f"[reliable_change] {code} source", v.get("source", "set by the practice"))
        else:
            points, source = _num(f"[reliable_change] {code}", v, positive=True), "set by the practice"
        instruments[real] = instruments[real].with_reliable_change(points, source)
    checkins = data.get("checkins", {})
    every = DEFAULT_CHECKIN_EVERY
    if not isinstance(checkins, dict) or set(checkins) - {"every_sessions"}:
        raise ConfigError("[checkins]: the only key is every_sessions.")
    if "every_sessions" in checkins:
        v = checkins["every_sessions"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"[checkins] every_sessions: expected a whole number of sessions, got {v!r}.")
        every = v
    alerts = _alerts(data["alerts"]) if "alerts" in data else AlertSettings()
    return MeasuresConfig(registry=Registry(instruments), alerts=alerts, checkin_every=every)


_cache: dict[int, tuple[object, MeasuresConfig]] = {}


def config_for(practice) -> MeasuresConfig:
    """The practice's parsed settings (defaults when it has declared none)."""
    from .models import PracticeMeasures

    row = PracticeMeasures.objects.filter(practice_id=practice.pk).values_list("toml", "updated").first()
    if row is None or not row[0].strip():
        return MeasuresConfig()
    hit = _cache.get(practice.pk)
    if hit and hit[0] == row[1]:
        return hit[1]
    cfg = parse(row[0])
    _cache[practice.pk] = (row[1], cfg)
    return cfg


def registry_for(practice) -> Registry:
    return config_for(practice).registry


def save_config(practice, text: str, by=None) -> MeasuresConfig:
    """Validate, then store. Nothing is stored if the text has a mistake."""
    from .models import PracticeMeasures

    cfg = parse(text)
    PracticeMeasures.objects.update_or_create(practice=practice, defaults={"toml": text, "updated_by": by})
    _cache.pop(practice.pk, None)
    return cfg
