"""Write imported rows into the practice: insert the new, update the changed,
leave the same alone, all matched by external ids.

One writer serves every source (generic CSV, FHIR, calendars) and the
simulator/demo loader (clients/bulk.py). It works a batch at a time with a
handful of queries per batch, so memory grows with the number of clients and
episodes, never with the number of appointments.

Rows are plain dicts. A key that is absent means "the file does not say":
the field is left as it is. A key that is present always wins, so a cell
emptied in the export empties the field on re-import.
"""

import hashlib
import json
from datetime import date, datetime, timezone
from types import SimpleNamespace

from django.db import connection
from django.db.models import Max, Min, Q

from stillhere.clients.models import NAME_SOURCES, Appointment, Client, Episode, SessionMarker
from stillhere.clients.name_index import index_clients
from stillhere.lib import bulk
from stillhere.measures.models import MeasureResult

from .checks import ImportChecks, this_import
from .clinicians import Clinicians
from .measures_check import MeasureCheck
from .silence import infer_returns

CHUNK = 500
APPT_FIELDS = ("start", "booked_at", "cancelled_at", "duration_min", "status", "minutes_late", "session_type")
CLIENT_FIELDS = ("first_name", "last_name", "preferred_name", "pronouns", "birth_date", "email", "phone",
                 "address_line1", "address_line2", "city", "region", "postal_code", "country",
                 "consent_email", "consent_sms", "consent_voicemail", "consent_letter", "do_not_contact",
                 "safety_concern", "style_flags", "report_groups")
STATE_FOR_END = {
    "no_goodbye": Episode.State.ENDED_NO_GOODBYE,
    "planned": Episode.State.ENDED_PLANNED,
    "by_client": Episode.State.ENDED_BY_CLIENT,
    "referred": Episode.State.ENDED_PLANNED,
    "administrative": Episode.State.ENDED_PLANNED,
}


EPISODE_KEYS = ("id", "external_id", "client_id", "clinician_id", "started", "ended", "previous_id")


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def by_external_id(model, practice, ids):
    """Rows by external id, written so the partial unique index
    (practice, external_id) WHERE external_id <> '' is used: the query must
    repeat the index's condition, and no ORDER BY may tempt the planner to
    another index. Without this SQLite scans the practice's rows per batch."""
    return model.objects.filter(~Q(external_id=""), practice=practice, external_id__in=ids).order_by()


def report_groups(stored: str, found: dict) -> str:
    """A client's fairness groups after an import: the file's values over the
    stored ones, an empty cell clearing its group; JSON with sorted keys, so
    an unchanged file compares equal and changes nothing."""
    groups = json.loads(stored) if stored else {}
    for name, value in found.items():
        if value:
            groups[name] = value
        else:
            groups.pop(name, None)
    return json.dumps(groups, sort_keys=True, ensure_ascii=False) if groups else ""


def derived_id(*parts) -> str:
    """A stable external id for a row that has none, so re-importing it matches."""
    return "h:" + hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def split_name(name: str) -> tuple[str, str]:
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last


class Writer:
    def __init__(self, practice, report, source: str = "csv"):
        self.p, self.tz, self.report, self.source = practice, practice.tz, report, source
        self.clinicians = Clinicians(practice, report)
        self.client_pk: dict[str, int] = {}
        self.clients_seen: set[str] = set()
        self.episodes: dict[int, list[dict]] = {}   # client pk -> that client's episodes
        self.episode_ext: dict[str, dict] = {}
        self.episode_by_id: dict[int, dict] = {}
        self.touched: set[int] = set()
        # Episodes whose appointments this write created, changed or moved (or
        # a long silence split): what an import's rescan covers. `touched`
        # holds every episode the file names, changed or not.
        self.changed: set[int] = set()
        # Clients whose own row, episodes or measures this write created or
        # changed: with `touched`, what the rescan after it covers.
        self.clients_changed: set[int] = set()
        self.measure_keys: dict[str, int] = {}
        self._pending: list[dict] = []
        self._check_measure = None
        # Rows this import created have ids above the floor: meeting one again
        # means the file holds the same appointment twice.
        self.appt_floor = Appointment.objects.aggregate(m=Max("id"))["m"] or 0
        self.appts_updated: set[int] = set()
        self.inserted, self.analyze_at = 0, 20_000
        self._tables: dict[type, bulk.Table] = {}
        self._dated: set[int] = set()   # episodes given whole whose dates this write set (write_episodes)
        self.checks = ImportChecks(report, self.tz)
        self.appt_label = "appointments"

    # --- clients ---------------------------------------------------------
    def write_clients(self, batch, label="clients.csv") -> None:
        rows = []
        for line, r in batch:
            ext = r["external_id"]
            if ext in self.clients_seen:
                self.report.problem(label, line, "client_id", ext, "this client appears more than once")
                continue
            self.clients_seen.add(ext)
            rows.append(r)
        if self.report.failed:
            return
        # Record numbers are encrypted: matched on their blind index (an exact digest).
        existing = {c.external_id: c for c in
                    Client.objects.filter(practice=self.p).with_record_numbers([r["external_id"] for r in rows])}
        new, changed = [], []
        for r in rows:
            c = existing.get(r["external_id"])
            if "groups" in r:
                r["report_groups"] = report_groups(c.report_groups if c else "", r.pop("groups"))
            if c is None:
                new.append(r)
                continue
            diff = {k: r[k] for k in CLIENT_FIELDS if k in r and getattr(c, k) != r[k]}
            if diff:
                changed.append((c, diff))
        self._insert_clients(new)
        self._update_clients(changed)
        for c in existing.values():
            self.client_pk[c.external_id] = c.pk
        self.clients_changed.update([c.pk for c, _ in changed] + [self.client_pk[r["external_id"]] for r in new])
        self.report.count("clients", "created", len(new))
        self.report.count("clients", "updated", len(changed))
        self.report.count("clients", "unchanged", len(rows) - len(new) - len(changed))

    def _table(self, model) -> bulk.Table:
        """The model's bulk table, read once per import (its fields and how each is prepared)."""
        if model not in self._tables:
            self._tables[model] = bulk.Table(model)
        return self._tables[model]

    # Every client row this writer creates or changes goes through these two
    # functions (names, contact details, consents): field preparation,
    # encryption and blind indexes are the model's own (lib/bulk.py Table).
    def _insert_clients(self, recs: list[dict]) -> None:
        """New clients from their field values (external_id, first_name, last_name, ...)."""
        if not recs:
            return
        table = self._table(Client)
        ids = bulk.insert_returning_ids(table, [{"practice_id": self.p.pk, **r} for r in recs])
        for r, pk in zip(recs, ids):
            self.client_pk[r["external_id"]] = pk
        # Names are encrypted: the bulk insert skips the model's own writes, so
        # the name index (what search reads) is written here, in the same transaction.
        # (Plain records, not Client objects: building a model instance cost more than its digests.)
        index_clients([SimpleNamespace(pk=pk, practice_id=self.p.pk, external_id=r["external_id"],
                                       first_name=r.get("first_name", ""), last_name=r.get("last_name", ""),
                                       preferred_name=r.get("preferred_name", ""))
                       for r, pk in zip(recs, ids)], fresh=True)

    def _update_clients(self, changed: list[tuple]) -> None:
        """(client, {field: new value}) pairs: each client's row is rewritten
        in the columns any of them changed, with its other values as they were."""
        if not changed:
            return
        fields = sorted({k for _, diff in changed for k in diff})
        table = bulk.Table(Client, columns=fields)
        bulk.update(table, [(c.pk, {**{k: getattr(c, k) for k in fields}, **diff}) for c, diff in changed])
        renamed = []   # the name index follows a changed name (bulk.update skips the model's writes)
        for c, diff in changed:
            names = NAME_SOURCES.intersection(diff)
            for k in names:
                setattr(c, k, diff[k])
            if names:
                renamed.append(c)
        index_clients(renamed)

    def _client_pks(self, exts) -> None:
        need = [e for e in set(exts) if e not in self.client_pk]
        for i in range(0, len(need), CHUNK):
            self.client_pk.update(Client.objects.filter(practice=self.p).with_record_numbers(need[i:i + CHUNK])
                                  .values_list("external_id", "pk"))

    # --- episodes --------------------------------------------------------
    def _load_episodes(self, client_pks) -> None:
        need = [c for c in set(client_pks) if c not in self.episodes]
        for c in need:
            self.episodes[c] = []
        if not need:
            return
        day = bulk.from_db_date
        for row in bulk.select_in(f"SELECT {', '.join(EPISODE_KEYS)} FROM {_t(Episode)} "
                                  f"WHERE practice_id = %s AND client_id IN ({{marks}})", [self.p.pk], need):
            e = dict(zip(EPISODE_KEYS, row))
            e["started"], e["ended"] = day(e["started"]), day(e["ended"])
            self._remember_episode(e)

    def _remember_episode(self, e: dict) -> None:
        self.episodes.setdefault(e["client_id"], []).append(e)
        if e["id"]:
            self.episode_by_id[e["id"]] = e
        if e["external_id"]:
            self.episode_ext[e["external_id"]] = e

    def _episode_for(self, client, clinician, day: date) -> dict:
        """The client's episode with this clinician that holds `day`: the one
        covering it, else the open one, else a new one (linked to the last
        ended episode, since a return starts a new episode)."""
        eps = self.episodes[client]
        mine = [e for e in eps if e["clinician_id"] == clinician]
        for e in mine:
            if e["started"] <= day and (e["ended"] is None or day <= e["ended"]):
                return e
        open_ = [e for e in mine if e["ended"] is None]
        if open_:
            return max(open_, key=lambda e: e["started"])
        if mine and day < min(e["started"] for e in mine):
            return min(mine, key=lambda e: e["started"])
        taken = {e["previous_id"] for e in eps}
        before = [e for e in eps if e["ended"] and e["ended"] <= day and e["id"] and e["id"] not in taken]
        prev = max(before, key=lambda e: e["ended"])["id"] if before else None
        return self._new_episode(client, clinician, day, "", prev)

    def _new_episode(self, client, clinician, day, ext, previous_id=None) -> dict:
        e = {"id": None, "external_id": ext, "client_id": client, "clinician_id": clinician, "started": day,
             "ended": None, "previous_id": previous_id}
        self._remember_episode(e)
        self._pending.append(e)
        return e

    def _insert_episodes(self, eps: list[dict]) -> None:
        """New episodes (dicts as _remember_episode keeps them, with a "state"); sets their ids."""
        if not eps:
            return
        table = self._table(Episode)
        ids = bulk.insert_returning_ids(table, [{"practice_id": self.p.pk, **e} for e in eps])
        for e, pk in zip(eps, ids):
            e["id"] = pk
            self.episode_by_id[pk] = e

    def _create_pending(self) -> None:
        if not self._pending:
            return
        for e in self._pending:
            e["state"] = Episode.State.RETURNED if e["previous_id"] else Episode.State.ACTIVE
        self._insert_episodes(self._pending)
        self.report.count("episodes", "created", len(self._pending))
        self._pending = []

    def write_episodes(self, batch, label="episodes") -> None:
        """Episodes given whole (simulator, demo): dates, ending and the link to a previous one."""
        self._client_pks(r["client"] for _, r in batch)
        self._load_episodes(self.client_pk[r["client"]] for _, r in batch if r["client"] in self.client_pk)
        new, changed = [], []
        self.clinicians.prepare({(r["clinician"], r.get("clinician_name", "")) for _, r in batch})
        for line, r in batch:
            client = self.client_pk.get(r["client"])
            if client is None:
                self.report.problem(label, line, "client_id", r["client"], "no client with this id")
                continue
            clinician = self.clinicians.resolve(r["clinician"], r.get("clinician_name", ""))
            e = self.episode_ext.get(r["external_id"])
            reason = r.get("end_reason") or ""
            fields = {"client_id": client, "clinician_id": clinician, "started": r["started"],
                      "ended": r.get("ended"), "end_reason": reason}
            if e is None:
                e = {"id": None, "external_id": r["external_id"], "previous_id": None, **fields}
                self._remember_episode(e)
                e["state"] = STATE_FOR_END.get(reason) or Episode.State.ACTIVE
                new.append(e)
            elif any(e.get(k) != v for k, v in fields.items()):
                e.update(fields)
                changed.append(e)
        if self.report.failed:
            return
        self._insert_episodes(new)
        cols = ["client_id", "clinician_id", "started", "ended", "end_reason"]
        table = bulk.Table(Episode, columns=cols)
        bulk.update(table, [(e["id"], e) for e in changed])
        links = []
        for line, r in batch:
            prev = r.get("previous")
            e = self.episode_ext.get(r["external_id"])
            if prev and e and self.episode_ext.get(prev) and e["previous_id"] != self.episode_ext[prev]["id"]:
                e["previous_id"] = self.episode_ext[prev]["id"]
                links.append(e)
        table = bulk.Table(Episode, columns=["previous_id"])
        bulk.update(table, [(e["id"], e) for e in links])
        self.clients_changed.update(e["client_id"] for e in new + changed)
        self._dated.update(e["id"] for e in new + changed)
        self.report.count("episodes", "created", len(new))
        self.report.count("episodes", "updated", len(changed))

    # --- appointments ----------------------------------------------------
    def write_appointments(self, batch, label="appointments.csv") -> None:
        self._pending = []
        rows, seen = [], {}
        for line, r in batch:
            ext = r.get("external_id") or derived_id(r["client"], r["clinician"], r["start"].isoformat())
            if ext in seen:
                self.report.problem(label, line, "appointment_id", r.get("external_id", ""),
                                    f"the same appointment is already on line {seen[ext]}")
                continue
            seen[ext] = line
            rows.append((line, ext, r))

        self._client_pks(r["client"] for _, _, r in rows)
        self.clinicians.prepare({(r["clinician"], r.get("clinician_name", "")) for _, _, r in rows})
        self._add_named_clients(rows, label)
        existing = self._existing_appointments([ext for _, ext, _ in rows])
        self._load_episodes(self.client_pk[r["client"]] for _, _, r in rows if r["client"] in self.client_pk)
        self._episode_exts([r["episode"] for _, _, r in rows if r.get("episode")])

        new, changed, fields, markers, signals = [], [], set(), {}, {}
        for line, ext, r in rows:
            client = self.client_pk.get(r["client"])
            if client is None:
                self.report.problem(label, line, "client_id", r["client"],
                                    "no client with this id in the clients file or the practice "
                                    "(add them to clients.csv, or give client_name)")
                continue
            old = existing.get(ext)
            if old and (old["id"] > self.appt_floor or old["id"] in self.appts_updated):
                self.report.problem(label, line, "appointment_id", ext, "this appointment appears more than once")
                continue
            clinician = self.clinicians.resolve(r["clinician"], r.get("clinician_name", ""))
            self.checks.appointment(label, line, r)
            self.appt_label = label
            if r.get("episode"):
                e = self.episode_ext.get(r["episode"])
                if e is None:
                    e = self._new_episode(client, clinician, r["start"].astimezone(self.tz).date(), r["episode"])
                elif e["client_id"] != client:
                    self.report.problem(label, line, "episode_id", r["episode"],
                                        "this episode belongs to another client")
                    continue
            else:
                e = self.episode_by_id.get(old["episode_id"]) if old else None
                if not (e and e["client_id"] == client and e["clinician_id"] == clinician):
                    e = self._episode_for(client, clinician, r["start"].astimezone(self.tz).date())
            values = {k: r[k] for k in APPT_FIELDS if k in r}
            if old is None:
                new.append((e, ext, values))
            else:
                diff = {k: val for k, val in values.items() if old[k] != val}
                if e["id"] != old["episode_id"]:
                    diff["episode_id"] = e
                if diff:
                    changed.append((old["id"], diff))
                    fields.update(diff)
                    self.appts_updated.add(old["id"])
                    self.changed.add(old["episode_id"])
                self.touched.add(old["episode_id"])
            if "marker" in r:
                markers[ext] = r["marker"]
            if "signals" in r:
                signals[ext] = r["signals"]
        if self.report.failed:
            return

        self._create_pending()
        ids = insert_appointments(self.p.pk, [(e["id"], ext, values) for e, ext, values in new])
        self.touched.update(e["id"] for e, _, _ in new)
        self.changed.update(e["id"] for e, _, _ in new)
        self._grown(len(new))
        if changed:
            cols = sorted(fields | {"updated"})
            table, now, upd = bulk.Table(Appointment, columns=cols), datetime.now(timezone.utc), []
            for pk, diff in changed:
                old = self.existing_by_id[pk]
                vals = {**old, **diff, "updated": now}
                if "episode_id" in diff:
                    vals["episode_id"] = diff["episode_id"]["id"]
                    self.touched.add(vals["episode_id"])
                    self.changed.add(vals["episode_id"])
                upd.append((pk, vals))
            bulk.update(table, upd)
        self.existing_by_id = {}
        self.report.count("appointments", "created", len(new))
        self.report.count("appointments", "updated", len(changed))
        self.report.count("appointments", "unchanged", len(rows) - len(new) - len(changed))
        markers = {ext: kind for ext, kind in markers.items() if kind or ext in existing}
        if markers or signals:
            known = {ext: a["id"] for ext, a in existing.items()}
            known.update((ext, pk) for (_, ext, _), pk in zip(new, ids))
            if markers:
                self._sync_markers({known[ext]: kind for ext, kind in markers.items() if ext in known})
            if signals:
                self._sync_signals({known[ext]: vals for ext, vals in signals.items() if ext in known})

    def _existing_appointments(self, exts) -> dict[str, dict]:
        """This batch's appointments already in the practice, by external id,
        in one query per 2,000 ids. The query repeats the partial unique
        index's condition word for word, NOT (external_id = ''): SQLite uses a
        partial index only when the query's words imply its condition."""
        keys = ("id", "external_id", "episode_id", *APPT_FIELDS)
        when = bulk.from_db_datetime
        out, self.existing_by_id = {}, {}
        for row in bulk.select_in(f"SELECT {', '.join(keys)} FROM {_t(Appointment)} WHERE practice_id = %s "
                                  f"AND NOT (external_id = '') AND external_id IN ({{marks}})", [self.p.pk], exts):
            a = dict(zip(keys, row))
            a["start"], a["booked_at"], a["cancelled_at"] = (when(a["start"]), when(a["booked_at"]),
                                                             when(a["cancelled_at"]))
            out[a["external_id"]] = a
            self.existing_by_id[a["id"]] = a
        return out

    def _sync_signals(self, want: dict[int, dict]) -> None:
        """Each appointment's signals follow the file: a new value replaces
        the old, an empty cell removes it."""
        from .models import AppointmentSignal

        ids, names = list(want), sorted({n for vals in want.values() for n in vals})
        have = {}
        for i in range(0, len(ids), CHUNK):
            for pk, appt, name, value in (AppointmentSignal.objects
                                          .filter(appointment_id__in=ids[i:i + CHUNK], name__in=names)
                                          .values_list("id", "appointment_id", "name", "value")):
                have[(appt, name)] = (pk, value)
        add, drop, upd = [], [], []
        for appt, vals in want.items():
            for name, value in vals.items():
                old = have.get((appt, name))
                if value is None:
                    if old:
                        drop.append(old[0])
                elif old is None:
                    add.append(AppointmentSignal(practice=self.p, appointment_id=appt, name=name, value=value))
                elif old[1] != value:
                    upd.append(AppointmentSignal(pk=old[0], value=value))
        AppointmentSignal.objects.bulk_create(add, batch_size=CHUNK)
        AppointmentSignal.objects.bulk_update(upd, ["value"], batch_size=CHUNK)
        for i in range(0, len(drop), CHUNK):
            AppointmentSignal.objects.filter(id__in=drop[i:i + CHUNK]).delete()
        self.report.count("signals", "created", len(add))
        self.report.count("signals", "updated", len(upd) + len(drop))

    def _add_named_clients(self, rows, label) -> None:
        """Clients named only in the schedule (client_name, a calendar attendee) are added."""
        new = {}
        for _, _, r in rows:
            ext = r["client"]
            if ext not in self.client_pk and ext not in new and (r.get("client_name") or r.get("new_client")):
                fields = dict(r.get("new_client") or {})
                if "first_name" not in fields:
                    fields["first_name"], fields["last_name"] = split_name(r["client_name"])
                new[ext] = {"external_id": ext, **fields}
        if new and not self.report.failed:
            self._insert_clients(list(new.values()))
            self.report.count("clients", "created", len(new))

    def _episode_exts(self, exts) -> None:
        need = [x for x in set(exts) if x not in self.episode_ext]
        if need:
            self._load_episodes(c for c, in bulk.select_in(
                f"SELECT client_id FROM {_t(Episode)} WHERE practice_id = %s AND NOT (external_id = '') "
                f"AND external_id IN ({{marks}})", [self.p.pk], need))

    def _sync_markers(self, want: dict[int, str]) -> None:
        """Imported markers follow the file; markers a clinician added by hand stay."""
        have: dict[int, set] = {}
        drop, moved = [], set()
        ids = [a for a in want if a <= self.appt_floor]   # an appointment this import made has none yet
        for pk, appt, kind in bulk.select_in(f"SELECT id, appointment_id, kind FROM {_t(SessionMarker)} WHERE "
                                             f"created_by_id IS NULL AND appointment_id IN ({{marks}})", [], ids):
            if kind == want[appt]:
                have.setdefault(appt, set()).add(kind)
            else:
                drop.append(pk)
                moved.add(appt)
        add = [SessionMarker(appointment_id=a, kind=k) for a, k in want.items() if k and k not in have.get(a, ())]
        moved.update(m.appointment_id for m in add)
        # A marker is a fact of its episode: rescan it.
        self.changed.update(e for e, in bulk.select_in(f"SELECT episode_id FROM {_t(Appointment)} WHERE id IN "
                                                       f"({{marks}})", [], sorted(moved)))
        table = bulk.Table(SessionMarker)
        bulk.insert(table, [{"appointment_id": m.appointment_id, "kind": m.kind} for m in add])
        for i in range(0, len(drop), CHUNK):
            SessionMarker.objects.filter(id__in=drop[i:i + CHUNK]).delete()
        self.report.count("markers", "created", len(add))
        self.report.count("markers", "updated", len(drop))

    def _grown(self, n: int) -> None:
        """PostgreSQL plans with the statistics it had before the import; on a
        table this import is filling they say "small", and the lookups by
        external id turn into scans. ANALYZE sees the transaction's own rows,
        so refresh the statistics each time the import has doubled its rows."""
        self.inserted += n
        if connection.vendor == "postgresql" and self.inserted >= self.analyze_at:
            with connection.cursor() as cur:
                for model in (Appointment, Episode, Client):
                    cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            self.analyze_at = 2 * self.inserted

    # --- measures --------------------------------------------------------
    def write_measures(self, batch, label="measures.csv") -> None:
        self._client_pks(r["client"] for _, r in batch)
        rows = []
        for line, r in batch:
            client = self.client_pk.get(r["client"])
            if client is None:
                self.report.problem(label, line, "client_id", r["client"], "no client with this id")
                continue
            self._check_measure = self._check_measure or MeasureCheck(self.p)
            reason = self._check_measure(r)
            if reason:
                self.report.problem(label, line, reason[0], reason[1], reason[2])
                continue
            ext = r.get("external_id")
            if not ext:
                key = derived_id(r["client"], r["instrument"], r["taken_on"].isoformat())
                n = self.measure_keys[key] = self.measure_keys.get(key, 0) + 1
                ext = key if n == 1 else f"{key}:{n}"
            rows.append((line, client, ext, r))
        if self.report.failed:
            return
        self._load_episodes(c for _, c, _, _ in rows)
        existing = {m.external_id: m for m in by_external_id(MeasureResult, self.p, [x for _, _, x, _ in rows])}
        new, changed = [], []
        for line, client, ext, r in rows:
            eps = [e for e in self.episodes.get(client, []) if e["id"] and e["started"] <= r["taken_on"]]
            episode = max(eps, key=lambda e: e["started"])["id"] if eps else None
            values = {"client_id": client, "instrument": r["instrument"], "taken_on": r["taken_on"],
                      "taken_at": r.get("taken_at"), "items": r.get("items"), "total": r["total"],
                      "episode_id": episode, "source": self.source}
            m = existing.get(ext)
            if m is None:
                new.append({"practice_id": self.p.pk, "external_id": ext, **values})
            elif any(getattr(m, k) != val for k, val in values.items()):
                changed.append((m.pk, values))
        table = bulk.Table(MeasureResult)
        bulk.insert(table, new)
        self.clients_changed.update([v["client_id"] for v in new] + [v["client_id"] for _, v in changed])
        cols = ["client_id", "instrument", "taken_on", "taken_at", "items", "total", "episode_id", "source"]
        table = bulk.Table(MeasureResult, columns=cols)
        bulk.update(table, changed)
        self.report.count("measures", "created", len(new))
        self.report.count("measures", "updated", len(changed))
        self.report.count("measures", "unchanged", len(rows) - len(new) - len(changed))

    # --- after the last batch ----------------------------------------------
    def finish(self) -> None:
        """Episodes without an id of their own split at a long silence (a
        return: silence.py); then episode start dates and session numbers
        follow from the appointments."""
        infer_returns(self, self.touched)
        # Only episodes whose appointments (or dates) this import changed can
        # have a new first session or new numbers: a re-import of the same
        # file rewrites nothing, and skips a window over every appointment.
        touched = sorted(t for t in self.changed | self._dated if t)
        starts = self.episode_by_id
        moved = []
        for i in range(0, len(touched), CHUNK):
            chunk = touched[i:i + CHUNK]
            for ep, first in (Appointment.objects.filter(episode_id__in=chunk).values("episode_id")
                              .annotate(first=Min("start")).values_list("episode_id", "first")):
                day = first.astimezone(self.tz).date()
                e = starts.get(ep)
                if e is not None and day < e["started"]:
                    e["started"] = day
                    moved.append(Episode(pk=ep, started=day))
            renumber_sessions(chunk)
        table = bulk.Table(Episode, columns=["started"])
        bulk.update(table, [(e.pk, {"started": e.started}) for e in moved])
        self.checks.same_minute(this_import(Appointment.objects.filter(practice=self.p), self.appt_floor,
                                        self.appts_updated), self.appt_label)
        self.checks.finish()


INSERT_COLUMNS = ("practice_id", "episode_id", "external_id", *APPT_FIELDS)


def insert_appointments(practice_id, rows) -> list[int]:
    """(episode id, external id, {field: value}) rows in, their new ids out,
    through lib/bulk.py (COPY on PostgreSQL): the hot path of a million-row
    import."""
    table = _APPT_TABLES.get(connection.vendor)
    if table is None:
        table = _APPT_TABLES[connection.vendor] = bulk.Table(Appointment, columns=INSERT_COLUMNS)
    return bulk.insert_returning_ids(table, [{"practice_id": practice_id, "episode_id": episode, "external_id": ext,
                                              **v} for episode, ext, v in rows])


_APPT_TABLES: dict[str, bulk.Table] = {}


def renumber_sessions(episode_ids) -> None:
    """session_number = the count of attended sessions so far in the episode.
    One set-based UPDATE per chunk (PostgreSQL and SQLite ≥ 3.33 both speak
    UPDATE … FROM)."""
    if not episode_ids:
        return
    t = connection.ops.quote_name(Appointment._meta.db_table)
    marks = ", ".join(["%s"] * len(episode_ids))
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {t} SET session_number = NULL WHERE episode_id IN ({marks}) "
                    f"AND status <> 'attended' AND session_number IS NOT NULL", list(episode_ids))
        cur.execute(
            f"UPDATE {t} SET session_number = r.n FROM (SELECT id, ROW_NUMBER() OVER "
            f"(PARTITION BY episode_id ORDER BY start, id) AS n FROM {t} WHERE episode_id IN ({marks}) "
            f"AND status = 'attended') AS r WHERE {t}.id = r.id "
            f"AND ({t}.session_number IS NULL OR {t}.session_number <> r.n)", list(episode_ids))
