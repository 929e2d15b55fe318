"""The instrument registry: each questionnaire as a small declared object.

An instrument says what a valid answer is (items and their range), how the
answers become a total, what the total means (bands, cutoffs), how big a
change has to be before it is more than noise (reliable change), and which
items need the clinician's attention the same day (safety items). Scoring,
alerts, charts and imports all read these declarations, so a practice's own
questionnaire (declared in a TOML file, see custom.py) behaves exactly like
the built-in ones.

Sources of the built-in numbers:

- ORS and SRS (PCOMS): Miller, Duncan et al. (2003) "The Outcome Rating
  Scale"; Duncan et al. (2003) "The Session Rating Scale"; Duncan (2012)
  "The Partners for Change Outcome Management System", Canadian Psychology
  53(2). Four visual-analogue items of 10 cm, measured to the millimetre,
  total 0-40. ORS clinical cutoff 25 for adults, 28 for adolescents and
  32 for children (the Child ORS norms). SRS below 36 is the published
  cause for concern.
- PHQ-9: Kroenke, Spitzer & Williams (2001); severity bands 5/10/15/20.
- GAD-7: Spitzer, Kroenke, Williams & Löwe (2006); severity bands 5/10/15.
- Caseness and reliable change for PHQ-9 (10; 6 points) and GAD-7 (8;
  4 points): NHS Talking Therapies for anxiety and depression manual
  (NHS England, 2023 edition, appendix on measuring recovery).
"""

import math
from dataclasses import dataclass, field, replace

ALLIANCE = "alliance"  # how the client experiences the work together (SRS)
OUTCOME = "outcome"    # how the client is doing (ORS, PHQ-9, GAD-7)

BELOW = "below"              # concern when total < value
AT_OR_ABOVE = "at_or_above"  # concern when total >= value

ADULT = "adult"
ADOLESCENT = "adolescent"  # 13 to 17
CHILD = "child"            # under 13


def population_at(birth_date, on) -> str:
    """Which norms apply on a given day; adult when the birth date is unknown."""
    if birth_date is None or on is None:
        return ADULT
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return CHILD if age < 13 else ADOLESCENT if age < 18 else ADULT


@dataclass(frozen=True)
class Item:
    number: int    # 1-based, as printed on the form
    label: str     # a short name a clinician recognises, in our own words
    hint: str = ""  # a longer gloss for the entry form


@dataclass(frozen=True)
class Band:
    low: float    # inclusive lower bound of the band
    label: str


@dataclass(frozen=True)
class Cutoff:
    """A clinical threshold, with its boundary spelled out.

    `concern` says which side of `value` is the concern, so "below 36" and
    "10 or more" are both explicit: with BELOW, exactly `value` is fine;
    with AT_OR_ABOVE, exactly `value` is already a concern.
    """

    value: float
    concern: str
    label: str                 # "clinical range", "alliance concern"
    population: str = ADULT
    ok_label: str = ""         # the other side: "non-clinical range"

    def is_concern(self, total: float) -> bool:
        if self.concern == BELOW:
            return total < self.value
        return total >= self.value

    @property
    def side(self) -> str:
        return f"below {self.value:g}" if self.concern == BELOW else f"{self.value:g} or more"


@dataclass(frozen=True)
class SafetyItem:
    """An item whose answer needs the clinician's attention the same day."""

    number: int
    above: float               # flag when the answer is greater than this
    reason: str                # said to the clinician, in words


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    kind: str                  # ALLIANCE or OUTCOME
    items: tuple[Item, ...]
    item_low: float
    item_high: float
    step: float                # 1 for 0-3 answers; 0.1 for a 10 cm line read to the mm
    higher_is_better: bool
    reliable_change: float
    reliable_change_source: str
    bands: tuple[Band, ...] = ()
    cutoffs: tuple[Cutoff, ...] = ()
    safety_items: tuple[SafetyItem, ...] = ()
    scoring: str = "sum"       # "sum" or "mean" of the items
    custom: bool = False

    @property
    def total_low(self) -> float:
        return self.item_low if self.scoring == "mean" else self.item_low * len(self.items)

    @property
    def total_high(self) -> float:
        return self.item_high if self.scoring == "mean" else self.item_high * len(self.items)

    @property
    def decimals(self) -> int:
        return max(0, -math.floor(math.log10(self.step) + 1e-9)) if self.step < 1 else 0

    def cutoff(self, population: str = ADULT) -> Cutoff | None:
        for c in self.cutoffs:
            if c.population == population:
                return c
        return next((c for c in self.cutoffs if c.population == ADULT), None)

    def band(self, total: float, population: str = ADULT) -> str:
        """The severity band, or for instruments without bands which side of
        the cutoff the total falls on."""
        if self.bands:
            label = self.bands[0].label
            for b in self.bands:
                if total >= b.low:
                    label = b.label
            return label
        c = self.cutoff(population)
        if c is None:
            return ""
        return c.label if c.is_concern(total) else (c.ok_label or f"outside the {c.label}")

    def improvement(self, first: float, last: float) -> float:
        """Change in the good direction (positive = better)."""
        return (last - first) if self.higher_is_better else (first - last)

    def with_reliable_change(self, points: float, source: str) -> "Instrument":
        return replace(self, reliable_change=float(points), reliable_change_source=source)


def _items(*labels: str) -> tuple[Item, ...]:
    return tuple(Item(i + 1, label) for i, label in enumerate(labels))


ORS = Instrument(
    code="ORS", name="Outcome Rating Scale", kind=OUTCOME,
    items=(Item(1, "Individually", "personal well-being"),
           Item(2, "Interpersonally", "family and close relationships"),
           Item(3, "Socially", "work, school, friendships"),
           Item(4, "Overall", "general sense of well-being")),
    item_low=0, item_high=10, step=0.1, higher_is_better=True,
    cutoffs=(Cutoff(25, BELOW, "clinical range", ADULT, "non-clinical range"),
             Cutoff(28, BELOW, "clinical range", ADOLESCENT, "non-clinical range"),
             Cutoff(32, BELOW, "clinical range", CHILD, "non-clinical range")),
    # Duncan (2012) gives 5 points as the ORS reliable change index.
    reliable_change=5, reliable_change_source="Duncan (2012), PCOMS: ORS reliable change index of 5 points",
)

SRS = Instrument(
    code="SRS", name="Session Rating Scale", kind=ALLIANCE,
    items=(Item(1, "Relationship", "felt heard, understood and respected"),
           Item(2, "Goals and topics", "worked on what the client wanted to"),
           Item(3, "Approach or method", "the way of working fits"),
           Item(4, "Overall", "today's session was right")),
    item_low=0, item_high=10, step=0.1, higher_is_better=True,
    # 36 itself is fine; 35.9 is a concern.
    cutoffs=(Cutoff(36, BELOW, "alliance concern", ADULT, "no alliance concern"),),
    # PCOMS publishes no reliable change index for the SRS: any drop is worth
    # a conversation, which the alliance-drop alert covers. 3 points is our
    # own conservative default for "reliably worse"; a practice can change it.
    reliable_change=3, reliable_change_source="stillhere default (no published SRS index); set per practice",
)

PHQ9 = Instrument(
    code="PHQ-9", name="Patient Health Questionnaire (depression)", kind=OUTCOME,
    items=_items("Little interest or pleasure", "Feeling down or hopeless", "Sleep", "Tired or low energy",
                 "Appetite", "Feeling bad about oneself", "Concentration", "Slowed down or restless",
                 "Thoughts of death or self-harm"),
    item_low=0, item_high=3, step=1, higher_is_better=False,
    bands=(Band(0, "minimal"), Band(5, "mild"), Band(10, "moderate"), Band(15, "moderately severe"),
           Band(20, "severe")),
    cutoffs=(Cutoff(10, AT_OR_ABOVE, "clinical range", ADULT, "below caseness"),),
    reliable_change=6, reliable_change_source="NHS Talking Therapies manual: 6 points on PHQ-9",
    safety_items=(SafetyItem(9, 0, "(thoughts of death or self-harm) was answered above 0"),),
)

GAD7 = Instrument(
    code="GAD-7", name="Generalised Anxiety Disorder scale", kind=OUTCOME,
    items=_items("Feeling nervous or on edge", "Unable to stop worrying", "Worrying too much",
                 "Trouble relaxing", "Restless", "Easily annoyed or irritable", "Afraid something awful"),
    item_low=0, item_high=3, step=1, higher_is_better=False,
    bands=(Band(0, "minimal"), Band(5, "mild"), Band(10, "moderate"), Band(15, "severe")),
    cutoffs=(Cutoff(8, AT_OR_ABOVE, "clinical range", ADULT, "below caseness"),),
    reliable_change=4, reliable_change_source="NHS Talking Therapies manual: 4 points on GAD-7",
)

BUILTIN: dict[str, Instrument] = {i.code: i for i in (ORS, SRS, PHQ9, GAD7)}


def normalise_code(code: str) -> str:
    """'phq9', 'PHQ 9' and 'PHQ-9' are the same instrument to an importer."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


@dataclass
class Registry:
    """The instruments one practice uses: built-ins, its overrides, its own."""

    instruments: dict[str, Instrument] = field(default_factory=lambda: dict(BUILTIN))

    def __post_init__(self):
        self._by_key = {normalise_code(c): i for c, i in self.instruments.items()}

    def get(self, code: str) -> Instrument | None:
        return self._by_key.get(normalise_code(code))

    def codes(self) -> list[str]:
        return list(self.instruments)

    def __iter__(self):
        return iter(self.instruments.values())


DEFAULT_REGISTRY = Registry()
