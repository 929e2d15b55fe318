"""FHIR R4: a Bundle (JSON), bulk-data NDJSON, or a folder of either.

Resources are validated with fhir.resources' R4 models (`fhir.resources.R4B`)
and mapped to our rows:

- Patient → client, Practitioner → clinician (by email, else by name);
- Appointment and Encounter → appointments (an Encounter that records how
  an imported Appointment went sets that appointment's status);
- QuestionnaireResponse and Observation → PHQ-9 / GAD-7 results, found by
  their LOINC codes and scored by the instrument registry;
- a session's type from Appointment.appointmentType / serviceType and
  Encounter.type / serviceType, by the words of their codings and text
  ("Final session", "Discharge", "Intake": ingest/values.py). FHIR has no
  standard code for a last therapy session, so the words are what there is.
  EpisodeOfCare "finished" is not read as a planned ending: it says an
  episode closed, not whether the client said goodbye.

The input is read twice, streaming: first patients, practitioners and which
appointments have encounters; then appointments, encounters and measures.
Other resource types are skipped and listed in the report.
"""

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from . import values as v
from .progress import open_counted

PHQ9 = ("PHQ-9", "44249-1", "44261-6",
        ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"))
GAD7 = ("GAD-7", "69737-5", "70274-6",
        ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"))
INSTRUMENTS = (PHQ9, GAD7)
# LOINC answer codes of the PHQ/GAD scales, 0 = not at all … 3 = nearly every day.
ANSWERS = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}

APPOINTMENT_STATUS = {"booked": "scheduled", "arrived": "attended", "checked-in": "attended",
                      "fulfilled": "attended", "noshow": "no_show", "cancelled": "cancelled"}
ENCOUNTER_STATUS = {"planned": "scheduled", "arrived": "attended", "triaged": "attended",
                    "in-progress": "attended", "onleave": "attended", "finished": "attended",
                    "cancelled": "cancelled"}
USED = {"Patient", "Practitioner", "Appointment", "Encounter", "QuestionnaireResponse", "Observation"}
BATCH = 2000
_NUMBERED = re.compile(r"(?:^|\D)(\d{1,2})$")


class FhirSource:
    kind = "fhir"

    def __init__(self, path):
        self.root = Path(path)
        if self.root.is_dir():
            self.files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in (".json", ".ndjson"))
        else:
            self.files = [self.root]

    def labels(self):
        return [p.name for p in self.files]

    def paths(self):
        # Read twice, so the progress bar counts every file twice.
        return self.files + self.files

    def batches(self, practice, report, tracker):
        ctx = _Context(practice.tz, report)
        clients = []
        for label, line, key, res in self._resources(report, tracker, ctx):
            t = res.get_resource_type()
            if t == "Patient":
                rec = ctx.patient(key, res)
                if rec:
                    clients.append((line, rec))
            elif t == "Practitioner":
                ctx.practitioner(key, res)
            elif t == "Appointment":
                ctx.appointment_ids.add(key)
            elif t == "Encounter":
                ctx.note_encounter(res)
            if len(clients) >= BATCH:
                yield "clients", "Patient", clients
                clients = []
        if clients:
            yield "clients", "Patient", clients
        appts, measures = [], []
        for label, line, key, res in self._resources(None, tracker, ctx):
            t = res.get_resource_type()
            where = (label, line, key)
            rec = None
            if t == "Appointment":
                rec = ctx.appointment(where, res)
            elif t == "Encounter":
                rec = ctx.encounter(where, res)
            elif t in ("QuestionnaireResponse", "Observation"):
                m = ctx.measure(where, res)
                if m:
                    measures.append((line, m))
            if rec:
                appts.append((line, rec))
            if len(appts) >= BATCH:
                yield "appointments", label, appts
                appts = []
        if appts:
            yield "appointments", "Appointment", appts
        for i in range(0, len(measures), BATCH):
            yield "measures", "QuestionnaireResponse/Observation", measures[i:i + BATCH]

    def _resources(self, report, tracker, ctx):
        """(file, line, "Type/id", model) for every resource we use; on the
        first pass (report given) problems and skips are reported."""
        for path in self.files:
            label = path.name
            for line, data in _raw(path, label, report, tracker):
                for entry_line, full_url, raw in _unbundle(data, line):
                    if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
                        if report:
                            report.problem(label, entry_line, "resourceType", "", "not a FHIR resource")
                        continue
                    t = raw["resourceType"]
                    key = f"{t}/{raw['id']}" if isinstance(raw.get("id"), str) and raw["id"] else (full_url or "")
                    if full_url:
                        ctx.urls[full_url] = key
                    if t not in USED:
                        if report:
                            report.skip(label, entry_line, key or t, "", f"{t} is not a resource stillhere imports")
                        continue
                    if not key:
                        if report:
                            report.problem(label, entry_line, f"{t}.id", "", "the resource has no id")
                        continue
                    try:
                        res = get_fhir_model_class(t).model_validate(raw)
                    except ValidationError as e:
                        if report:
                            err = e.errors()[0]
                            column = f"{key} " + ".".join(str(x) for x in err.get("loc", ()))
                            report.problem(label, entry_line, column.strip(), "", f"not valid FHIR R4: {err['msg']}")
                        continue
                    except Exception as e:  # fhir.resources raises a few non-pydantic errors on odd input
                        if report:
                            report.problem(label, entry_line, key, "", f"not valid FHIR R4 ({e.__class__.__name__})")
                        continue
                    yield label, entry_line, key, res


def _raw(path: Path, label, report, tracker):
    """(line, parsed JSON) per resource line of NDJSON, or once for a JSON file."""
    ndjson = path.suffix.lower() == ".ndjson"
    try:
        f = open_counted(path, tracker)
    except OSError as e:
        if report:
            report.problem(label, None, "", "", f"cannot open the file ({e.strerror or e.__class__.__name__})")
        return
    with f:
        try:
            if ndjson:
                for n, text in enumerate(f, 1):
                    if not text.strip():
                        continue
                    try:
                        yield n, json.loads(text)
                    except json.JSONDecodeError as e:
                        if report:
                            report.problem(label, n, "", "", f"not valid JSON ({e.msg}, column {e.colno})")
            else:
                try:
                    yield None, json.loads(f.read())
                except json.JSONDecodeError as e:
                    if report:
                        report.problem(label, e.lineno, "", "", f"not valid JSON ({e.msg}, column {e.colno})")
        except (UnicodeDecodeError, RecursionError) as e:
            if report:
                reason = "is not UTF-8 text" if isinstance(e, UnicodeDecodeError) else "is nested too deeply"
                report.problem(label, None, "", "", f"the file {reason}")


def _unbundle(data, line):
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            entries = [None]
        for entry in entries:
            if isinstance(entry, dict):
                url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else ""
                yield line, url, entry.get("resource")
            else:
                yield line, "", entry
    else:
        yield line, "", data


def _text(s, n=None) -> str:
    # Not cut to length: the import's record check refuses what is too long.
    return (str(s) if s else "").strip()


class _Context:
    """What the passes learn about the input: who is who, and how visits went."""

    def __init__(self, tz, report):
        self.tz, self.report = tz, report
        self.urls: dict[str, str] = {}
        self.practitioners: dict[str, tuple[str, str]] = {}   # "Practitioner/x" -> (email or name, name)
        self.appointment_ids: set[str] = set()
        self.visit_status: dict[str, str] = {}                 # "Appointment/x" -> status from its Encounter
        self.visit_type: dict[str, str] = {}                   # "Appointment/x" -> session type from its Encounter

    def ref(self, reference) -> str:
        r = getattr(reference, "reference", None) or ""
        if r in self.urls:
            return self.urls[r]
        parts = r.rstrip("/").split("/")
        return "/".join(parts[-2:]) if len(parts) >= 2 else r

    def when(self, value):
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=self.tz)).astimezone(timezone.utc)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=self.tz).astimezone(timezone.utc)
        return None

    def day(self, value):
        if isinstance(value, datetime):
            return self.when(value).astimezone(self.tz).date()
        return value if isinstance(value, date) else None

    # --- people -------------------------------------------------------------
    def patient(self, key, p):
        names = p.name or []
        official = next((n for n in names if n.use == "official"), None) or next(
            (n for n in names if n.use in (None, "usual")), names[0] if names else None)
        nick = next((n for n in names if n.use in ("usual", "nickname") and n.given and n is not official), None)
        if official is None or not (official.given or official.family or official.text):
            self.report.problem("Patient", None, f"{key} name", "", "a patient needs a name")
            return None
        if official.given:
            first, last = " ".join(official.given), official.family or ""
        elif official.family:
            first, last = official.family, ""
        else:
            first, _, last = official.text.partition(" ")
        rec = {"external_id": key, "first_name": _text(first), "last_name": _text(last),
               "preferred_name": _text(nick.given[0]) if nick else "", "birth_date": p.birthDate}
        for t in p.telecom or []:
            if t.system == "email" and t.value and "email" not in rec:
                rec["email"] = _text(t.value, 254)
            elif t.system in ("phone", "sms") and t.value and "phone" not in rec:
                rec["phone"] = _text(t.value, 40)
        addr = next(iter(p.address or []), None)
        if addr:
            lines = list(addr.line or []) + ["", ""]
            rec.update(address_line1=_text(lines[0], 200), address_line2=_text(lines[1], 200),
                       city=_text(addr.city), region=_text(addr.state), postal_code=_text(addr.postalCode, 20),
                       country=addr.country.upper() if addr.country and len(addr.country) == 2 else "")
        return rec

    def practitioner(self, key, p):
        email = next((t.value.lower() for t in p.telecom or [] if t.system == "email" and t.value), "")
        n = next(iter(p.name or []), None)
        name = ""
        if n:
            name = n.text or " ".join([*(n.given or []), n.family or ""]).strip()
        self.practitioners[key] = (email or name or key, name)

    def clinician(self, refs):
        for r in refs:
            key = self.ref(r)
            if key.startswith("Practitioner/"):
                if key in self.practitioners:
                    return self.practitioners[key]
                if getattr(r, "display", None):
                    return " ".join(r.display.split()), r.display
        return None

    # --- visits ---------------------------------------------------------------
    def note_encounter(self, e):
        kind = _session_type([*(e.type or []), e.serviceType])
        for a in e.appointment or []:
            s = ENCOUNTER_STATUS.get(e.status)
            if s:
                self.visit_status[self.ref(a)] = s
            if kind:
                self.visit_type[self.ref(a)] = kind

    def appointment(self, where, a):
        label, line, key = where
        status = APPOINTMENT_STATUS.get(a.status)
        if status is None:
            if a.status in ("proposed", "pending", "waitlist", "entered-in-error"):
                self.report.skip(label, line, key, a.status, "not a booked appointment (proposed, waitlist, error)")
            else:
                self.report.problem(label, line, f"{key} status", a.status, "is not an Appointment status")
            return None
        if status == "cancelled" and a.cancelationReason:
            codes = [c.code or "" for c in a.cancelationReason.coding or []]
            if any(c.startswith(("prov", "maint")) for c in codes):
                status = "clinician_cancelled"
        status = self.visit_status.get(key, status)
        patient = next((p.actor for p in a.participant or [] if self.ref(p.actor).startswith("Patient/")), None)
        who = self.clinician([p.actor for p in a.participant or [] if p.actor])
        rec = self._visit(where, a.start, a.end, patient, who, status, a.minutesDuration)
        if rec:
            rec["external_id"] = key
            if a.created:
                rec["booked_at"] = self.when(a.created)
            kind = self.visit_type.get(key) or _session_type([a.appointmentType, *(a.serviceType or [])])
            if kind:
                rec["session_type"] = kind
        return rec

    def encounter(self, where, e):
        label, line, key = where
        linked = [self.ref(a) for a in e.appointment or []]
        if linked and linked[0] in self.appointment_ids:
            return None  # its status went onto the Appointment
        status = ENCOUNTER_STATUS.get(e.status)
        if status is None:
            if e.status in ("entered-in-error", "unknown"):
                self.report.skip(label, line, key, e.status, "not a visit that happened or is planned")
            else:
                self.report.problem(label, line, f"{key} status", e.status, "is not an Encounter status")
            return None
        period = e.period
        who = self.clinician([p.individual for p in e.participant or [] if p.individual])
        rec = self._visit(where, period.start if period else None, period.end if period else None,
                          e.subject, who, status, None)
        if rec:
            rec["external_id"] = linked[0] if linked else key
            if e.episodeOfCare:
                rec["episode"] = self.ref(e.episodeOfCare[0])
            kind = _session_type([*(e.type or []), e.serviceType])
            if kind:
                rec["session_type"] = kind
        return rec

    def _visit(self, where, start, end, patient, who, status, minutes):
        label, line, key = where
        start = self.when(start)
        if start is None:
            self.report.skip(label, line, key, "", "no start time")
            return None
        if patient is None or not self.ref(patient).startswith("Patient/"):
            self.report.skip(label, line, key, "", "no patient")
            return None
        if who is None:
            self.report.skip(label, line, key, "", "no practitioner")
            return None
        rec = {"client": self.ref(patient), "clinician": who[0], "clinician_name": who[1], "start": start,
               "status": status}
        if getattr(patient, "display", None):
            rec["client_name"] = patient.display
        end = self.when(end)
        if minutes:
            rec["duration_min"] = max(1, min(int(minutes), 1440))
        elif end and end > start:
            rec["duration_min"] = max(1, min(int((end - start).total_seconds() // 60), 1440))
        return rec

    # --- questionnaires ---------------------------------------------------------
    def measure(self, where, r):
        label, line, key = where
        t = r.get_resource_type()
        if t == "QuestionnaireResponse":
            inst = _instrument_of(r.questionnaire or "", [])
            taken, subject, ok = r.authored, r.subject, r.status in ("completed", "amended")
            answers = dict(_qr_answers(r.item or []))
        else:
            codes = [c.code for c in (r.code.coding or []) if c.code] if r.code else []
            inst = _instrument_of("", codes)
            taken = r.effectiveDateTime or (r.effectivePeriod.start if r.effectivePeriod else None) or r.issued
            subject, ok = r.subject, r.status in ("final", "amended", "corrected")
            answers = {}
            for c in r.component or []:
                v = _value(c)
                for code in [x.code for x in (c.code.coding or [])] if c.code else []:
                    if v is not None:
                        answers[code] = v
            total = _value(r)
            if inst and total is not None:
                answers[inst[2]] = total
        if inst is None:
            self.report.skip(label, line, key, "", "not a PHQ-9 or GAD-7 result")
            return None
        if not ok:
            self.report.skip(label, line, key, "", "not a completed result")
            return None
        if subject is None or not self.ref(subject).startswith("Patient/") or self.day(taken) is None:
            self.report.skip(label, line, key, "", "no patient or no date")
            return None
        items = [answers.get(code) for code in inst[3]]
        if any(i is None for i in items):  # a home-made questionnaire: items numbered 1..n
            numbered = {int(m.group(1)): v for k, v in answers.items() if (m := _NUMBERED.search(str(k)))}
            items = [numbered.get(n) for n in range(1, len(inst[3]) + 1)]
        rec = {"client": self.ref(subject), "instrument": inst[0], "taken_on": self.day(taken),
               "taken_at": self.when(taken) if isinstance(taken, datetime) else None,
               "total": answers.get(inst[2]), "external_id": key,
               "items": items if all(i is not None for i in items) else None}
        if rec["total"] is None and rec["items"] is None:
            self.report.problem(label, line, key, "", f"{inst[0]} without a total or all of its items")
            return None
        return rec


def _session_type(concepts) -> str | None:
    """The session type named by CodeableConcepts' text, displays or codes, if any."""
    words = []
    for c in concepts:
        if c is None:
            continue
        words += [c.text or ""] + [x for cd in c.coding or [] for x in (cd.display or "", cd.code or "")]
    return v.session_type_in(w for w in words if w)


def _instrument_of(canonical: str, codes):
    text = canonical.lower().replace("_", "-")
    for inst in INSTRUMENTS:
        name = inst[0].lower()
        if name in text or name.replace("-", "") in text or inst[1] in text or inst[1] in codes or inst[2] in codes:
            return inst
    return None


def _value(x):
    for attr in ("valueInteger", "valueDecimal"):
        v = getattr(x, attr, None)
        if v is not None:
            return float(v)
    q = getattr(x, "valueQuantity", None)
    if q is not None and q.value is not None:
        return float(q.value)
    c = getattr(x, "valueCodeableConcept", None) or None
    if c is not None:
        for coding in c.coding or []:
            if coding.code in ANSWERS:
                return float(ANSWERS[coding.code])
    return None


def _qr_answers(items):
    """(linkId or item code, number) for every answered item, nested or not."""
    for it in items:
        for a in it.answer or []:
            v = _value(a)
            if v is None and a.valueCoding is not None:
                v = ANSWERS.get(a.valueCoding.code)
                v = float(v) if v is not None else None
            if v is not None:
                yield (it.linkId or "").strip("/").split("/")[-1], v
                for c in getattr(it, "code", None) or []:
                    if c.code:
                        yield c.code, v
            yield from _qr_answers(a.item or [])
        yield from _qr_answers(it.item or [])
