"""Mapping files (TOML): how another system's export becomes our generic CSV.

A mapping renames columns, maps statuses, parses other date formats and
supplies constants for columns the export lacks. The presets in presets/ are
mapping files too, so a practice can start from one with `extends`:

    extends = "simplepractice"          # optional: start from a preset
    encoding = "utf-8-sig"              # optional
    delimiter = ","                     # optional

    [appointments.columns]              # our column = their column(s)
    client_id = "Patient ID"
    start = ["Date", "Time"]            # several columns, joined with a space
    [appointments.statuses]             # their status = our status
    "Kept" = "attended"
    [appointments.session_types]        # their session type = ours (intake, session, final)
    "Discharge visit" = "final"
    [appointments.formats]              # our column = strptime format(s)
    start = "%d/%m/%Y %H:%M"
    [appointments.constants]            # our column = the value for every row
    clinician = "sam@practice.example"
    [appointments.signals]              # a signal of your own = your column (yes/no or a number)
    sms_received = "SMS_received"
    [clients.groups]                    # a group for the fairness report = your column
    gender = "Gender"

A signal is any other appointment fact the export holds (a text reminder
received, reminders sent, a wait-list flag): stored with the appointment
(ingest.models.AppointmentSignal) and read only by the practice's fitted
no-show score (risk/calibration.py), which learns from its history whether
and how much it counts; the standard score never reads one. It is taken as
known from the booking on, so map only facts that are.

A group is a client fact the practice wants the fairness report to check
the dropout model against (gender, ethnicity, an insurer): nothing is
imported unless the mapping names it. It is stored encrypted with the
client (Client.report_groups) and read only by the model card's fairness
report (risk/fitted/rows.py), never by any score.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .values import SESSION_TYPES, STATUSES, norm

PRESETS_DIR = Path(__file__).parent / "presets"

REQUIRED = {
    "appointments": ("client_id", "clinician", "start", "status"),
    "clients": ("client_id", "first_name", "last_name"),
    "measures": ("client_id", "date", "instrument"),
}
OPTIONAL = {
    "appointments": ("appointment_id", "client_name", "booked_at", "duration_min", "late_minutes",
                     "cancelled_at", "episode_id", "session_type", "marker"),
    "clients": ("preferred_name", "pronouns", "birth_date", "email", "phone", "address_line1",
                "address_line2", "city", "region", "postal_code", "country", "consent_email",
                "consent_sms", "consent_voicemail", "consent_letter", "do_not_contact",
                "safety_concern", "style_flags"),
    "measures": ("total", "measure_id"),
}
# Columns an export may carry that we work out ourselves.
IGNORED = {"appointments": ("session_number",), "clients": (), "measures": ()}
DATE_COLUMNS = {"appointments": ("start", "booked_at", "cancelled_at"), "clients": ("birth_date",),
                "measures": ("date",)}
ITEM = re.compile(r"^item_(\d{1,2})$")
# A signal's own name: short, lower case, and not one of our columns.
SIGNAL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_SIGNALS = 10
MAX_GROUPS = 5
# The named extras a mapping can add: (kind, part) -> (what one is called, at most how many, an example).
EXTRAS = {("appointments", "signals"): ("signal", MAX_SIGNALS, "sms_received"),
          ("clients", "groups"): ("group", MAX_GROUPS, "gender")}


class MappingError(ValueError):
    pass


def known(kind: str, column: str) -> bool:
    return column in REQUIRED[kind] or column in OPTIONAL[kind] or (kind == "measures" and bool(ITEM.match(column)))


@dataclass
class FileMapping:
    columns: dict = field(default_factory=dict)    # our column -> [their columns]
    statuses: dict = field(default_factory=dict)   # norm(their status) -> our status
    session_types: dict = field(default_factory=dict)  # norm(their session type) -> ours
    formats: dict = field(default_factory=dict)    # our column -> (strptime formats)
    constants: dict = field(default_factory=dict)  # our column -> text
    signals: dict = field(default_factory=dict)    # signal name -> [their column]
    groups: dict = field(default_factory=dict)     # fairness group name -> [their column]


@dataclass
class Mapping:
    name: str = "generic"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    files: dict = field(default_factory=lambda: {k: FileMapping() for k in REQUIRED})

    def __getitem__(self, kind: str) -> FileMapping:
        return self.files[kind]


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> Mapping:
    # Only a name from the list: `extends = "../../secrets"` must not open a
    # file outside the presets folder.
    key = norm(name).replace("_", "")
    path = PRESETS_DIR / f"{key}.toml"
    if key not in preset_names():
        raise MappingError(f"No preset called {str(name)[:60]!r}; the presets are: {', '.join(preset_names())}.")
    return load_mapping(path, name=path.stem)


def load_mapping(path, name: str | None = None) -> Mapping:
    try:
        raw = Path(path).read_bytes().decode("utf-8-sig")
        data = tomllib.loads(raw)
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"Cannot read the mapping file: {e.__class__.__name__}.") from None
    except tomllib.TOMLDecodeError as e:
        raise MappingError(f"The mapping file is not valid TOML: {e}.") from None
    return parse_mapping(data, name or Path(path).stem)


def _texts(where: str, value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise MappingError(f"{where} must be a column name or a list of column names.")
    return values


def parse_mapping(data: dict, name: str) -> Mapping:
    if "extends" in data and not isinstance(data["extends"], str):
        raise MappingError(f"extends must be the name of a preset: {', '.join(preset_names())}.")
    base = load_preset(data["extends"]) if "extends" in data else Mapping()
    m = Mapping(name=name, encoding=str(data.get("encoding", base.encoding)),
                delimiter=str(data.get("delimiter", base.delimiter)), files=base.files)
    if len(m.delimiter) != 1:
        raise MappingError("delimiter must be a single character, e.g. \",\" or \";\".")
    try:
        "".encode(m.encoding)
    except LookupError:
        raise MappingError(f"encoding {m.encoding!r} is not one Python knows (try \"utf-8\" or \"cp1252\").") from None
    extra = set(data) - {"extends", "encoding", "delimiter", "name", "description", *REQUIRED}
    if extra:
        raise MappingError(f"Unknown section(s) in the mapping file: {', '.join(sorted(extra))}.")
    for kind in REQUIRED:
        section = data.get(kind, {})
        if not isinstance(section, dict):
            raise MappingError(f"[{kind}] must be a table.")
        fm = m.files[kind]
        for part, table in section.items():
            if (kind, part) in EXTRAS and isinstance(table, dict):
                _extras(kind, part, getattr(fm, part), table)
                continue
            if part not in ("columns", "statuses", "session_types", "formats", "constants") \
                    or not isinstance(table, dict):
                own = "".join(f", {p}" for k, p in EXTRAS if k == kind)
                raise MappingError(f"[{kind}.{part}] is not something a mapping file can say "
                                   f"(columns, statuses, session_types, formats, constants{own}).")
            for ours, value in table.items():
                where = f"[{kind}.{part}] {ours}"
                if part == "statuses":
                    if not isinstance(value, str) or value not in STATUSES:
                        raise MappingError(f"{where} must map to one of: {', '.join(sorted(STATUSES))}.")
                    fm.statuses[norm(ours)] = value
                    continue
                if part == "session_types":
                    if not isinstance(value, str) or value not in SESSION_TYPES:
                        raise MappingError(f"{where} must map to one of: {', '.join(sorted(SESSION_TYPES))}.")
                    fm.session_types[norm(ours)] = value
                    continue
                if not known(kind, ours):
                    raise MappingError(f"{where}: {ours!r} is not a column of {kind}.csv.")
                if part == "columns":
                    fm.columns[ours] = _texts(where, value)
                elif part == "formats":
                    if ours not in DATE_COLUMNS[kind]:
                        raise MappingError(f"{where}: formats apply to date columns only "
                                           f"({', '.join(DATE_COLUMNS[kind])}).")
                    fm.formats[ours] = tuple(_texts(where, value))
                else:
                    if not isinstance(value, (str, int, float, bool)):
                        raise MappingError(f"{where} must be a single value.")
                    fm.constants[ours] = str(value).lower() if isinstance(value, bool) else str(value)
    return m


def _extras(kind: str, part: str, into: dict, table: dict) -> None:
    """[appointments.signals] or [clients.groups]: name = "Their column"."""
    what, most, example = EXTRAS[(kind, part)]
    for name, value in table.items():
        where = f"[{kind}.{part}] {name}"
        if not isinstance(name, str) or not SIGNAL_NAME.match(name):
            raise MappingError(f"{where}: a {what}'s name must start with a letter and use only lower-case "
                               f"letters, digits and _ (at most 40), e.g. {example}.")
        if known(kind, name) or name in IGNORED[kind]:
            raise MappingError(f"{where}: {name!r} is already a column of {kind}.csv; map it under "
                               f"[{kind}.columns], or give the {what} another name.")
        if not isinstance(value, str) or not value:
            raise MappingError(f"{where} must be the name of one column of the file.")
        into[name] = [value]
    if len(into) > most:
        raise MappingError(f"[{kind}.{part}] names {len(into)} {what}s; at most {most} can be imported.")
