"""`stillhere deidentify`: the consultation summary's PHI filter for notes from elsewhere.

For batch use (supervision packs, research exports) and for integrators:
the same four layers as the web path, the same audit (one
`note-deidentified` row per client, naming the operating-system account),
and nothing of the notes written anywhere but the output. Input is checked
whole before anything is written, so a bad line stops the run with its line
number rather than leaving a half-written export.
"""

import getpass
import json
import random
import sys
import uuid
from collections import Counter
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from stillhere.accounts.models import Practice
from stillhere.audit.events import NoteDeidentified, record
from stillhere.clients.models import Client
from stillhere.reflection.phi import deidentify, for_client


class Command(BaseCommand):
    help = ("Print a note with everything that could identify a person taken out (names, places, contact "
            "details, identifiers; dates moved). --client ID FILE|- for one note, --jsonl FILE|- for many.")

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--client", metavar="ID",
                          help="the client the note is about: their external id (as in your import) or stillhere code")
        what.add_argument("--jsonl", action="store_true",
                          help='read lines {"client_id": ..., "text": ...}; write one such line per input, in order')
        parser.add_argument("file", metavar="FILE|-", help="the note (or JSONL) to read; - for standard input")
        parser.add_argument("--practice", metavar="SLUG", help="needed when there is more than one practice")
        parser.add_argument("--offset-days", type=int,
                            help="move dates by this many days (default: a random 30-90 days either way, one per client)")

    def handle(self, *args, **opts):
        practice = self._practice(opts["practice"])
        raw = self._read(opts["file"])
        if opts["jsonl"]:
            items = self._parse_jsonl(raw, practice)
        else:
            items = [(self._client(practice, opts["client"], where="--client"), raw, None)]
        rng = random.SystemRandom()
        offsets, known, counts = {}, {}, Counter()
        day_first = not practice.timezone.startswith("America/")
        for client, text, _ in items:
            if client.pk not in known:
                known[client.pk] = for_client(client, practice)
                days = opts["offset_days"]
                offsets[client.pk] = timedelta(days=days if days is not None
                                               else rng.choice([-1, 1]) * rng.randint(30, 90))
        outputs = []
        for client, text, given_id in items:
            out = deidentify(text, known[client.pk], offsets[client.pk], default_year=_year(), day_first=day_first).text
            counts[client.pk] += 1
            outputs.append(json.dumps({"client_id": given_id, "text": out}, ensure_ascii=False)
                           if opts["jsonl"] else out)
        operator = _operator()
        clients = {c.pk: c for c, _, _ in items}
        for pk, n in counts.items():
            record(NoteDeidentified(practice=practice, client=clients[pk], notes=n,
                                    mode="jsonl" if opts["jsonl"] else "client", operator=operator))
        for line in outputs:
            self.stdout.write(line if opts["jsonl"] else line.rstrip("\n"))

    def _practice(self, slug):
        if slug:
            try:
                return Practice.objects.get(slug=slug)
            except Practice.DoesNotExist:
                raise CommandError(f"No practice with the slug {slug!r}.")
        practices = list(Practice.objects.all()[:2])
        if len(practices) != 1:
            raise CommandError("There is more than one practice here: say which with --practice SLUG."
                               if practices else "There is no practice here yet.")
        return practices[0]

    @staticmethod
    def _read(path) -> str:
        try:
            if path == "-":
                return sys.stdin.read()
            with open(path, encoding="utf-8") as f:
                return f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise CommandError(f"Cannot read {path}: {e.__class__.__name__}: {getattr(e, 'strerror', None) or e}.")

    def _client(self, practice, given, where) -> Client:
        given = str(given).strip()
        qs = Client.objects.filter(practice=practice).select_related("practice")
        found = None
        try:
            found = qs.filter(code=uuid.UUID(given)).first()
        except ValueError:
            pass
        found = found or qs.with_record_number(given).first()
        if found is None:
            raise CommandError(f"{where}: no client {given!r} in practice {practice.slug!r} "
                               "(give the client's external id or stillhere code).")
        return found

    def _parse_jsonl(self, raw, practice):
        items, errors = [], []
        cache = {}
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: not JSON ({e.msg} at column {e.colno})")
                continue
            if not isinstance(obj, dict) or "client_id" not in obj or not isinstance(obj.get("text"), str):
                errors.append(f'line {n}: expected an object with "client_id" and "text" (a string)')
                continue
            key = str(obj["client_id"])
            try:
                if key not in cache:
                    cache[key] = self._client(practice, key, where=f"line {n}")
            except CommandError as e:
                errors.append(str(e))
                continue
            items.append((cache[key], obj["text"], obj["client_id"]))
        if errors:
            shown = errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else [])
            raise CommandError("Nothing was written; fix these lines and run again:\n" + "\n".join(shown))
        return items


def _year() -> int:
    from django.utils import timezone

    return timezone.now().year


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""
