"""The model card: what the dropout model in use learned from, how well it
did on weeks it never saw, where it is weaker, and, when the standard model
is in use, why. One set of facts for the director's page
(analytics/templates/analytics/model_card.html) and `stillhere model show`.

Nothing here names a client: only counts, rates and intervals over the
held-out weeks, so the page needs no audit row.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

SIGNAL_WORDS = {
    "first_session": "Not yet past the first session",
    "early_sessions": "Early in therapy (second or third session)",
    "early_weeks": "Still in the early weeks (fourth to sixth session)",
    "missed_open": "A missed session with no word since",
    "recent_missed": "Sessions missed in the last eight weeks",
    "late_arrival": "Arriving late recently",
    "cancel_no_rebook": "Cancelled and not rebooked",
    "gap_long": "A longer gap than the client's usual rhythm",
    "gap_very_long": "A much longer gap than the client's usual rhythm",
    "nothing_booked": "Nothing booked",
    "alliance_low": "Session rating below 36",
    "alliance_drop": "Session rating falling",
    "not_on_track": "No reliable progress on outcome ratings",
    "hard_session": "A hard session in the last two weeks",
    "rupture": "A rupture noticed in the last two weeks",
    "avoidant": "Noted as avoidant",
    "conflict_avoidant": "Noted as conflict-avoidant",
    "people_pleasing": "Noted as people-pleasing",
}

DEMOGRAPHICS_OUT = ("No personal details (age, gender, ethnicity or any other group) are inputs to the dropout "
                    "model; the birth date is read only to check, below, that each age group is served as well "
                    "as the others.")
GROUPS_OUT = ("The practice imported {names} for this report only: they are read to check that each group is "
              "served as well as the others, and are never inputs to any score.")


@dataclass
class Measure:
    label: str
    auc: float | None
    auc_ci: tuple
    brier: float | None
    brier_ci: tuple
    ece: float | None
    ece_ci: tuple
    mean: float | None
    observed: float | None
    calibration: list

    @property
    def mean_pct(self):
        return pct(self.mean)

    @property
    def observed_pct(self):
        return pct(self.observed)


def pct(x) -> str:
    return "" if x is None else f"{x:.1%}"


@dataclass
class Group:
    group: str
    n: int
    events: int
    auc: float | None
    auc_ci: tuple
    mean: float
    observed: float
    observed_ci: tuple
    warning: str = ""

    @property
    def mean_pct(self):
        return pct(self.mean)

    @property
    def observed_pct(self):
        return f"{pct(self.observed)} ({pct(self.observed_ci[0])} to {pct(self.observed_ci[1])})"


@dataclass
class GroupReport:
    """The fairness report for one group field the practice imported (a gender, an insurer)."""
    name: str                         # in words: "gender", "insurer"
    groups: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


@dataclass
class Card:
    in_use: str                       # "This practice's own model" / "The standard model"
    why: str
    fitted: bool = False
    version: str = ""
    kind: str = ""
    fitted_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    held_out_from: datetime | None = None
    rows: int = 0
    held_out_rows: int = 0
    events: int = 0
    measures: list = field(default_factory=list)
    signals: list = field(default_factory=list)       # words, strongest first
    limits: list = field(default_factory=list)
    fairness_of: str = ""
    groups: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    imported: list = field(default_factory=list)   # GroupReport per imported group field
    demographics: list = field(default_factory=list)
    noshow: str = ""
    decision: str = ""                # how it ranked the week after a session, in words

    @property
    def events_words(self) -> str:
        return _endings(self.events)


def _dt(s):
    return datetime.fromtimestamp(int(s), timezone.utc) if s is not None else None


def _measure(label, m) -> Measure:
    cal = [dict(c, predicted_pct=pct(c["predicted"]), observed_pct=pct(c["observed"])) for c in m.get("calibration") or []]
    m = dict(m, calibration=cal)
    return Measure(label, m.get("auc"), tuple(m.get("auc_ci") or (None, None)), m.get("brier"),
                   tuple(m.get("brier_ci") or (None, None)), m.get("ece"), tuple(m.get("ece_ci") or (None, None)),
                   m.get("mean"), m.get("observed"), m.get("calibration") or [])


def _kind(kind: str) -> str:
    return {"logistic": "a regularised logistic model", "boosted": "a gradient-boosted model"}.get(kind, "")


def build(practice) -> Card:
    from . import store

    row = store.latest(practice)
    card = Card("The standard model", "")
    if row is None:
        card.why = ("Nobody has fitted a model to this practice's history yet, so the scan uses the standard "
                    "model (an administrator runs the fit from the command line).")
    else:
        card.why = row.why
        card.fitted = bool(row.metrics)
        card.version, card.kind, card.fitted_at = row.version, _kind(row.kind), row.fitted_at
        card.window_start, card.window_end, card.events = row.window_start, row.window_end, row.events
        if row.in_use:
            card.in_use = "This practice's own model"
    m = row.metrics if row else {}
    if m:
        card.rows, card.held_out_rows = m.get("rows", 0), m.get("held_out_rows", 0)
        card.held_out_from = _dt(m.get("held_out_from"))
        card.measures = [_measure("This practice's model", m["fitted"]), _measure("Standard model", m["default"])]
        card.signals = [SIGNAL_WORDS[s["signal"]] for s in m.get("top_signals", []) if s["signal"] in SIGNAL_WORDS]
        card.decision = _decision(m.get("decision_points"))
        which = "fitted" if row.in_use else "default"
        card.fairness_of = "this practice's model" if row.in_use else "the standard model (the one in use)"
        overall = m[which].get("auc")
        card.groups, card.warnings = _groups(m.get("fairness", {}).get(which, []), overall, _who)
        for name, by in sorted(m.get("fairness_groups", {}).items()):
            words = name.replace("_", " ")
            rep = GroupReport(words)
            rep.groups, rep.warnings = _groups(by.get(which, []), overall,
                                               lambda value, w=words: _who_in(w, value))
            card.imported.append(rep)
    card.limits = _limits(card)
    card.demographics = [DEMOGRAPHICS_OUT, _noshow_age(practice)]
    if card.imported:
        names = [r.name for r in card.imported]
        card.demographics.insert(1, GROUPS_OUT.format(
            names=names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]))
    card.noshow = _noshow(practice)
    return card


def _decision(d) -> str:
    if not d or d.get("fitted_auc") is None or d.get("default_auc") is None:
        return ""
    return (f"In the week after a session ({d['rows']:,} such moments in the held-out weeks, {d['events']} clients "
            f"who never came to another one), it ranked {d['fitted_auc']:.2f} against the standard model's "
            f"{d['default_auc']:.2f}: there it reads the session itself (missed, late, a hard session), how early "
            "in therapy it came, the ratings and whether the next one is booked.")


def _groups(found: list, overall, who) -> tuple[list, list]:
    """Each group's figures from the stored report, with its warning in words."""
    groups, warnings = [], []
    for g in found:
        grp = Group(g["group"], g["n"], g["events"], g["auc"], tuple(g["auc_ci"]), g["mean"], g["observed"],
                    tuple(g["observed_ci"]))
        grp.warning = _warning(g, overall, who(g["group"]))
        groups.append(grp)
        if grp.warning:
            warnings.append(grp.warning)
    return groups, warnings


def _who(group: str) -> str:
    return "clients whose birth date is not recorded" if group.startswith("birth") else f"clients aged {group}"


def _who_in(name: str, value: str) -> str:
    from .rows import NO_GROUP

    return f"clients whose {name} is not recorded" if value == NO_GROUP else f"clients recorded as {value} ({name})"


def _warning(g: dict, overall, who: str) -> str:
    out = []
    if g.get("ranks_worse") and overall is not None and g["auc"] is not None:
        out.append(f"It tells apart who will leave less well for {who} (ranking {g['auc']:.2f}, "
                   f"against {overall:.2f} for everyone).")
    if g.get("miscalibrated"):
        lo, hi = g["observed_ci"]
        way = "too high" if g["mean"] > hi else "too low"
        out.append(f"For {who} it predicted {g['mean']:.1%} would leave where {g['observed']:.1%} did "
                   f"(range {lo:.1%} to {hi:.1%}): their scores run {way}.")
    if out:
        out.append("Read their scores with more care.")
    return " ".join(out)


def _limits(card: Card) -> list[str]:
    out = [
        "It estimates the chance of ending without goodbye in the next 30 days. It cannot say why, and a high "
        "score is a prompt to notice the client, not a verdict.",
        "It learns only from this practice's past. A change in how the practice works (new clinicians, other "
        "booking habits, a new way of recording) shows only once it is fitted again.",
        "Clients with little history (before a first session, or with no session ratings) are scored mostly "
        "from what is typical of the practice.",
    ]
    if card.fitted and card.held_out_rows:
        out.append(f"It was judged on {card.held_out_rows:,} past moments in the most recent weeks, with "
                   f"{card.events:,} endings without goodbye among them: the ranges show how much the figures "
                   "could move by chance.")
    out.append("It can only use what is recorded here: a client's life outside the sessions is invisible to it.")
    return out


def _noshow_age(practice) -> str:
    if getattr(practice, "age_in_noshow_risk", False):
        return ("The practice has chosen to let a client's age count in the chance of a missed session "
                "(practice settings); it counts nowhere else.")
    return ("Age does not count in the chance of a missed session either: the practice has not turned that on "
            "(practice settings).")


def _noshow(practice) -> str:
    from stillhere.risk.models import NoShowCalibration

    last = NoShowCalibration.objects.filter(practice=practice).order_by("-fitted_at", "-id").first()
    if last is None:
        return "Missed sessions: the standard no-show score is in use; it has not yet been fitted to this practice."
    text = f"Missed sessions: {last.verdict}"
    h = last.held_out or {}
    if h.get("default", {}).get("auc") is not None and h.get("fitted", {}).get("auc") is not None:
        text += (f" Ranking on those appointments: fitted {h['fitted']['auc']:.2f}, standard "
                 f"{h['default']['auc']:.2f}.")
    return text


def _n(x, fmt="{:.2f}") -> str:
    return "not known" if x is None else fmt.format(x)


def _ci(ci, fmt="{:.2f}") -> str:
    lo, hi = ci if ci else (None, None)
    return "" if lo is None else f" (95% range {fmt.format(lo)} to {fmt.format(hi)})"


def text(card: Card) -> str:
    """The card for `stillhere model show`: the page's facts, line by line."""
    lines = [f"In use for dropout risk: {card.in_use.lower()}.", card.why]
    if card.version:
        lines.append(f"Latest fit: {card.version}" + (f", {card.kind}" if card.kind else "")
                     + f", fitted {card.fitted_at:%d %b %Y %H:%M} UTC.")
    if card.window_start and card.rows:
        lines.append(f"Learned from {card.window_start:%d %b %Y} to {card.window_end:%d %b %Y}"
                     + (f"; judged on the weeks from {card.held_out_from:%d %b %Y}" if card.held_out_from else "")
                     + f" ({card.held_out_rows:,} of {card.rows:,} past moments, {card.events:,} endings without "
                       "goodbye).")
    elif card.window_start:
        lines.append(f"Looked at the history from {card.window_start:%d %b %Y} to {card.window_end:%d %b %Y}: "
                     f"{_endings(card.events)} there.")
    for m in card.measures:
        lines.append(f"{m.label}: ranking (AUC) {_n(m.auc)}{_ci(m.auc_ci)}; Brier {_n(m.brier, '{:.4f}')}"
                     f"{_ci(m.brier_ci, '{:.4f}')}; calibration error {_n(m.ece, '{:.3f}')}"
                     f"{_ci(m.ece_ci, '{:.3f}')}; mean predicted {_n(m.mean, '{:.1%}')}, observed "
                     f"{_n(m.observed, '{:.1%}')}.")
        if m.calibration:
            lines.append("  calibration (predicted/observed, tenths): "
                         + "  ".join(f"{c['predicted']:.0%}/{c['observed']:.0%}" for c in m.calibration))
    if card.decision:
        lines.append(card.decision)
    if card.signals:
        lines.append("Strongest signals: " + "; ".join(card.signals) + ".")
    if card.groups:
        lines.extend(_fairness_lines(card, "age band", "age", card.groups, card.warnings))
    for rep in card.imported:
        lines.extend(_fairness_lines(card, rep.name, rep.name, rep.groups, rep.warnings))
    lines.extend(card.demographics)
    lines.append("Known limits:")
    lines.extend(f"  - {x}" for x in card.limits)
    lines.append(card.noshow)
    return "\n".join(lines)


def _fairness_lines(card: Card, by: str, kind: str, groups: list, warnings: list) -> list[str]:
    lines = [f"Fairness, by {by} ({card.fairness_of}):"]
    for g in groups:
        rank = "too few endings to judge its ranking" if g.auc is None else f"ranking {_n(g.auc)}{_ci(g.auc_ci)}"
        lines.append(f"  {g.group}: {g.n:,} moments, {g.events:,} left; {rank}; "
                     f"predicted {g.mean:.1%}, observed {g.observed:.1%}{_ci(g.observed_ci, '{:.1%}')}.")
    return lines + (warnings or [f"No {kind} group is served clearly worse than the others."])


def _endings(n: int) -> str:
    return {0: "no endings without goodbye", 1: "one ending without goodbye"}.get(n, f"{n} endings without goodbye")

