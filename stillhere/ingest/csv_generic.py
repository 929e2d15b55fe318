"""The generic CSV files: appointments.csv, clients.csv and measures.csv.

Each file is streamed: rows are parsed, checked and handed to the writer in
batches, so a million-row export never sits in memory. Every problem names
the file, line, the file's own column name and the value.
"""

import csv
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import values as v
from .checks import ImportChecks
from .mapping import IGNORED, ITEM, OPTIONAL, REQUIRED, Mapping
from .progress import open_counted

BATCH = 2000
MAX_ITEMS = 60


def _appointment_fields(fm, tz):
    f = fm.formats
    return {
        "client_id": ("client", lambda s: v.text(s, 100)),
        "clinician": ("clinician", _clinician),
        "start": ("start", lambda s: v.moment(s, tz, f.get("start", ()))),
        "status": ("status", lambda s: v.status(s, fm.statuses)),
        "appointment_id": ("external_id", lambda s: v.text(s, 100)),
        "client_name": ("client_name", lambda s: v.text(s, 200)),
        "booked_at": ("booked_at", lambda s: v.moment(s, tz, f.get("booked_at", ()), need_time=False)),
        "cancelled_at": ("cancelled_at", lambda s: v.moment(s, tz, f.get("cancelled_at", ()), need_time=False)),
        "duration_min": ("duration_min", lambda s: v.integer(s, 1, 1440)),
        "late_minutes": ("minutes_late", lambda s: v.integer(s, 0, 600)),
        "episode_id": ("episode", lambda s: v.text(s, 100)),
        "session_type": ("session_type", lambda s: v.session_type(s, fm.session_types)),
        "marker": ("marker", lambda s: v.choice(s, v.MARKERS, "session marker")),
    }


# What an empty optional cell means: the field's empty value, so that a
# re-import with a cleared cell clears the field.
APPOINTMENT_EMPTY = {"booked_at": None, "cancelled_at": None, "duration_min": 50, "minutes_late": 0,
                     "session_type": "session", "marker": ""}
DROP_WHEN_EMPTY = {"external_id", "client_name", "episode", "measure_id"}


@lru_cache(maxsize=4096)
def _clinician(s: str) -> str:
    s = v.text(s, 200)
    return v.email(s).lower() if "@" in s else " ".join(s.split())


def _client_fields(fm, tz):
    f = {
        "client_id": ("external_id", lambda s: v.text(s, 100)),
        "first_name": ("first_name", lambda s: v.text(s, 100)),
        "last_name": ("last_name", lambda s: v.text(s, 100)),
        "preferred_name": ("preferred_name", lambda s: v.text(s, 100)),
        "pronouns": ("pronouns", lambda s: v.text(s, 40)),
        "birth_date": ("birth_date", lambda s: v.day(s, fm.formats.get("birth_date", ()))),
        "email": ("email", lambda s: v.email(v.text(s, 254))),
        "phone": ("phone", lambda s: v.text(s, 40)),
        "address_line1": ("address_line1", lambda s: v.text(s, 200)),
        "address_line2": ("address_line2", lambda s: v.text(s, 200)),
        "city": ("city", lambda s: v.text(s, 100)),
        "region": ("region", lambda s: v.text(s, 100)),
        "postal_code": ("postal_code", lambda s: v.text(s, 20)),
        "country": ("country", _country),
        "style_flags": ("style_flags", v.style_flags),
    }
    for b in ("consent_email", "consent_sms", "consent_voicemail", "consent_letter", "do_not_contact",
              "safety_concern"):
        f[b] = (b, v.boolean)
    return f


CLIENT_EMPTY = {"birth_date": None, "style_flags": []} | {
    b: False for b in ("consent_email", "consent_sms", "consent_voicemail", "consent_letter",
                       "do_not_contact", "safety_concern")}


def _country(s: str) -> str:
    s = s.strip().upper()
    if s and not (len(s) == 2 and s.isalpha()):
        raise v.Invalid("must be a two-letter country code, e.g. GB or US")
    return s


def _measure_fields(fm, tz, header_cols):
    f = {
        "client_id": ("client", lambda s: v.text(s, 100)),
        "date": ("taken_on", lambda s: v.day(s, fm.formats.get("date", ()))),
        "instrument": ("instrument", lambda s: v.text(s, 40)),
        "total": ("total", v.number),
        "measure_id": ("external_id", lambda s: v.text(s, 100)),
    }
    for col in header_cols:
        if ITEM.match(col):
            f[col] = (col, v.number)
    return f


MEASURE_EMPTY = {"total": None}
DATE_FIELDS = {"appointments": ("start", "booked_at", "cancelled_at")}


def _columns(kind, header, fm, report, label):
    """Which of their columns feeds each of ours; reports unknown and missing ones."""
    by_norm = {}
    for i, h in enumerate(header):
        key = v.norm(h)
        if key in by_norm:
            report.problem(label, 1, h, h, "this column name appears twice")
        by_norm.setdefault(key, i)
    used, sources = set(), {}
    ours = list(REQUIRED[kind]) + list(OPTIONAL[kind])
    if kind == "measures":
        ours += sorted({v.norm(h) for h in header if ITEM.match(v.norm(h))} | {c for c in fm.columns if ITEM.match(c)})
    for col in ours:
        if col in fm.constants:
            sources[col] = fm.constants[col]
            continue
        theirs = fm.columns.get(col, [col])
        idx = [by_norm.get(v.norm(t)) for t in theirs]
        if all(i is not None for i in idx):
            sources[col] = idx
            used.update(idx)
        elif col in fm.columns:
            missing = [t for t, i in zip(theirs, idx) if i is None]
            report.problem(label, 1, ", ".join(missing), "", f"the mapping names this column for {col}, "
                           "but the file has no such column")
        elif col in REQUIRED[kind]:
            report.problem(label, 1, col, "", "a required column is missing")
    for what, named in (("signal", fm.signals), ("group", fm.groups)):
        for name, (theirs,) in named.items():
            i = by_norm.get(v.norm(theirs))
            if i is None:
                report.problem(label, 1, theirs, "", f"the mapping names this column for the {what} {name}, "
                               "but the file has no such column")
            else:
                sources[f"{what}:{name}"] = [i]
                used.add(i)
    ignored = [h for i, h in enumerate(header) if i not in used and v.norm(h) in IGNORED[kind]]
    unknown = [h for i, h in enumerate(header) if i not in used and v.norm(h) not in IGNORED[kind] and h.strip()]
    if unknown:
        report.unknown_columns[label] = unknown
    if ignored:
        report.ignored_columns[label] = ignored
    if kind == "measures" and "total" not in sources and not any(ITEM.match(c) for c in sources):
        report.problem(label, 1, "total", "", "measures need a total column or item_1 … item_n columns")
    return sources


_DROP = object()   # an empty cell that leaves the field as it is
_MISSING = object()
# Values repeat across a big export (a start hour, a status, a duration), so
# each column remembers what its cells parsed to: a million-row file parses
# each distinct value once. Parsers are pure functions of the cell's text.
MEMO = 50_000
GROUP_CHARS = 60   # a group's value (a gender, an insurer) is a short label


def _plan(sources, header, fields, empty, required, dates):
    """For each of our columns, once per file: where its cell comes from (a
    column index, several joined, or a constant), the name the file knows it
    by, its parser and what an empty cell means."""
    plan = []
    for col, src in sources.items():
        if isinstance(src, str):
            name = col
        elif len(src) == 1:
            src, name = src[0], header[src[0]]
        else:
            src, name = tuple(src), header[src[0]]
        if col.startswith(("signal:", "group:")):   # no parser of ours: read in read()
            plan.append((src, col, None, None, name, False, None, False))
            continue
        target, parse = fields[col]
        when_empty = empty[target] if target in empty else _DROP if target in DROP_WHEN_EMPTY else ""
        plan.append((src, target, {}, parse, name, col in required, when_empty, col in dates))
    return plan


def read(path, kind: str, mapping: Mapping, tz: ZoneInfo, report, label: str, tracker=None):
    """Yield batches of (line, {field: value}) from one generic CSV file."""
    fm = mapping[kind]
    try:
        f = open_counted(path, tracker, mapping.encoding)
    except OSError as e:
        report.problem(label, None, "", "", f"cannot open the file ({e.strerror or e.__class__.__name__})")
        return
    line = 0
    cut = _ends_mid_line(path)
    try:
        with f:
            # strict: a quote left open (a file cut off mid-value) is an error,
            # not a value that runs to the end of the file.
            reader = csv.reader(f, delimiter=mapping.delimiter, strict=True)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                report.problem(label, 1, "", "", "the file is empty or has no header row")
                return
            header = [h.strip().replace("\x00", "\\0") for h in header]
            sources = _columns(kind, header, fm, report, label)
            if report.failed:
                return
            if kind == "appointments":
                fields, empty = _appointment_fields(fm, tz), APPOINTMENT_EMPTY
            elif kind == "clients":
                fields, empty = _client_fields(fm, tz), CLIENT_EMPTY
            else:
                fields, empty = _measure_fields(fm, tz, sources), MEASURE_EMPTY
            plan = _plan(sources, header, fields, empty, set(REQUIRED[kind]), DATE_FIELDS.get(kind, ()))
            checks = ImportChecks(report, tz)
            width = len(header)
            batch = []
            for row in reader:
                line = reader.line_num
                if not row or not "".join(row).strip():
                    continue
                if len(row) > width and "".join(row[width:]).strip():
                    report.problem(label, line, "", "", f"the row has {len(row)} values but the header has "
                                   f"{width} columns (a comma inside a value needs quotes)")
                    continue
                if len(row) < width:
                    # A file cut off mid-row would otherwise read as empty
                    # cells, and an empty cell clears a field on re-import.
                    report.problem(label, line, header[len(row)], "", f"the row has only {len(row)} of the "
                                   f"header's {width} columns: was the file cut short?")
                    continue
                rec, ok = {}, True
                for src, target, memo, parse, name, required, when_empty, dated in plan:
                    cell = row[src].strip() if src.__class__ is int else src if src.__class__ is str else \
                        " ".join(row[i].strip() for i in src).strip()
                    if memo is None and target.startswith("group:"):
                        # A group for the fairness report ([clients.groups] in the mapping):
                        # the cell's text as it is; an empty cell: not recorded.
                        rec.setdefault("groups", {})[target[6:]] = cell[:GROUP_CHARS] or None
                        continue
                    if memo is None:
                        # A signal of the practice's own ([appointments.signals] in the mapping);
                        # an empty cell: not known for this appointment (a re-import clears it).
                        try:
                            rec.setdefault("signals", {})[target[7:]] = v.signal(cell) if cell else None
                        except v.Invalid as e:
                            report.problem(label, line, name, cell, str(e))
                            ok = False
                        continue
                    got = memo.get(cell, _MISSING)
                    if got is not _MISSING:
                        rec[target] = got
                    elif not cell:
                        if required:
                            report.problem(label, line, name, "", "a value is required")
                            ok = False
                        elif when_empty is not _DROP:
                            rec[target] = when_empty
                        continue
                    else:
                        try:
                            got = rec[target] = parse(cell)
                        except v.Invalid as e:
                            report.problem(label, line, name, cell, str(e))
                            ok = False
                            continue
                        if len(memo) < MEMO and got.__class__ is not list:   # a list could be changed later
                            memo[cell] = got
                    if dated and v.dated_with_zone(cell):
                        checks.date_only(label, line, name, cell)
                if kind == "measures" and ok:
                    ok = _check_measure(rec, label, line, report)
                if ok:
                    batch.append((line, rec))
                    if len(batch) >= BATCH:
                        yield batch
                        batch = []
            if cut and line > 1:
                report.problem(label, line, "", "", "the file ends in the middle of a line, so its last row may "
                               "have been cut short; export or save the file again")
                return
            if batch:
                yield batch
            checks.finish()
    except UnicodeDecodeError:
        report.problem(label, line + 1, "", "", f"the file is not {mapping.encoding} text; name its encoding "
                       "in a mapping file (encoding = \"cp1252\", say)")
    except csv.Error as e:
        report.problem(label, line + 1, "", "", f"the file is not valid CSV ({e})")


def _ends_mid_line(path) -> bool:
    """Every export tool ends its last row with a line break; a file that
    does not was most likely cut off (a failed download, a full disk)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            if f.tell() == 0:
                return False
            f.seek(-1, 2)
            return f.read(1) not in (b"\n", b"\r")
    except OSError:
        return False


def _check_measure(rec, label, line, report) -> bool:
    items = sorted((int(ITEM.match(k).group(1)), k) for k in rec if ITEM.match(k))
    given = [(n, rec.pop(k)) for n, k in items]
    given = [(n, x) for n, x in given if x not in ("", None)]
    if given:
        numbers = [n for n, _ in given]
        if numbers != list(range(1, len(numbers) + 1)) or len(numbers) > MAX_ITEMS:
            report.problem(label, line, f"item_{len(numbers)}", "", "item answers must run item_1, item_2, … "
                           "with none left out")
            return False
        rec["items"] = [x for _, x in given]
    if rec.get("total") is None and not given:
        report.problem(label, line, "total", "", "a total or item answers are required")
        return False
    return True

