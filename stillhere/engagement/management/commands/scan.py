import json
import os
from datetime import date, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stillhere.accounts.models import Practice
from stillhere.engagement.morning import morning_run
from stillhere.engagement.scan import snapshot_written_at
from stillhere.features.snapshot import SnapshotError
from stillhere.lib.progress import Progress


def parse_as_of(value: str, tz) -> datetime:
    """A date means the start of that day in the practice's zone; a datetime
    without an offset is practice-local too."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tz)
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of {value!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time.")
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


class Command(BaseCommand):
    help = ("Compute engagement states and dropout/no-show risks for every episode, record state "
            "changes with their reasons and store the scores. With --as-of, an honest backtest.")
    # Django's checks import every URL and so every view (the API, the PDF
    # report, the de-identifier and its language models): about 5 s of a
    # cron job's morning scan spent on imports it never uses. `stillhere
    # check` and every web start still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="date (YYYY-MM-DD, start of that day) or ISO date-time; default now "
                            "(with --snapshot, the moment the snapshot was written)")
        parser.add_argument("--practice", help="practice slug (default: every practice)")
        parser.add_argument("--json", action="store_true", help="print one JSON object per episode")
        parser.add_argument("--dry-run", action="store_true", help="compute and print, change nothing")
        parser.add_argument("--snapshot", type=Path, help="compute in DuckDB over this snapshot of the practice "
                            "(stillhere snapshot) instead of in the database; results are stored as usual")
        parser.add_argument("--all-practices", action="store_true", help="with --snapshot: scan every practice "
                            "of a snapshot of all practices (stillhere snapshot --all-practices) in one job")
        parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                            help="with --snapshot: compute in DuckDB in this process (default) or on Spark")
        parser.add_argument("--spark-master", metavar="URL", help="with --engine spark: the cluster, e.g. "
                            "spark://host:7077 (default STILLHERE_SPARK_MASTER, else a local Spark on 2 cores)")

    def handle(self, *args, **opts):
        practices = Practice.objects.order_by("id")
        if opts["all_practices"]:
            return self.all_practices(opts)
        if opts["snapshot"] and not opts["practice"]:
            raise CommandError("A snapshot holds one practice: say which with --practice SLUG.")
        if opts["engine"] == "spark" and not opts["snapshot"]:
            raise CommandError("Spark reads a snapshot: give --snapshot DIR (write one with stillhere snapshot).")
        if opts["spark_master"]:
            os.environ["STILLHERE_SPARK_MASTER"] = opts["spark_master"]
        if opts["practice"]:
            practices = practices.filter(slug=opts["practice"])
            if not practices:
                raise CommandError(f"No practice with slug {opts['practice']!r}.")
        for practice in practices:
            progress = Progress(1, label=f"Scanning {practice.slug}", stream=self.stderr._out)
            try:
                if opts["as_of"]:
                    as_of = parse_as_of(opts["as_of"], practice.tz)
                else:
                    as_of = snapshot_written_at(opts["snapshot"]) if opts["snapshot"] else timezone.now()
                run = morning_run(practice, as_of, store=not opts["dry_run"], progress=progress,
                                  snapshot=opts["snapshot"], engine=opts["engine"])
                outcome, reminders = run.scan, run.reminders
            except SnapshotError as e:
                raise CommandError(str(e)) from None
            if opts["json"]:
                self.write_json(outcome)
            else:
                states = outcome.state_counts()
                summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items(), key=lambda kv: -kv[1]))
                self.stdout.write(f"{practice.slug}: {len(outcome)} episodes as of "
                                  f"{as_of:%Y-%m-%d %H:%M %Z} ({summary}); {outcome.changes} state changes"
                                  + (f"; {reminders} reminder{'s' if reminders != 1 else ''} offered for tomorrow"
                                     if reminders else ""))

    def write_json(self, outcome):
        """One JSON object a line, written in one go rather than a write per episode."""
        if len(outcome):
            self.stdout.write("\n".join(json.dumps(obj) for obj in outcome.episodes))

    def all_practices(self, opts):
        from stillhere.engagement.platform_scan import platform_written_at, scan_all_practices

        if not opts["snapshot"] or opts["practice"]:
            raise CommandError("--all-practices scans a snapshot of all practices: give --snapshot DIR "
                               "(stillhere snapshot --all-practices) and no --practice.")
        try:
            written = platform_written_at(opts["snapshot"])
            as_of = parse_as_of(opts["as_of"], timezone.get_current_timezone()) if opts["as_of"] else written
            outcomes = scan_all_practices(opts["snapshot"], as_of, engine=opts["engine"], store=not opts["dry_run"])
        except SnapshotError as e:
            raise CommandError(str(e)) from None
        for practice, outcome in outcomes:
            if opts["json"]:
                self.write_json(outcome)
            else:
                self.stdout.write(f"{practice.slug}: {len(outcome)} episodes as of "
                                  f"{as_of:%Y-%m-%d %H:%M %Z}; {outcome.changes} state changes")
