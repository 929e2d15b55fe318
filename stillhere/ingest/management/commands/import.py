import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from stillhere.ingest.mapping import MappingError, load_mapping, load_preset, preset_names
from stillhere.ingest.practice import PracticeChoiceError, practice_for_import
from stillhere.ingest.service import run_import
from stillhere.ingest.sources import CsvSource
from stillhere.lib.progress import Progress

REJECTED = 2  # exit code when the input had problems and nothing was written


class Command(BaseCommand):
    help = ("Import appointments, clients and measures from CSV, FHIR R4 or a calendar (.ics). "
            "One transaction: any invalid row and nothing is written (exit code 2).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True, metavar="{appointments,fhir,ics}")

        def common(p):
            p.add_argument("--practice", metavar="SLUG", help="the practice (default: the only one)")
            p.add_argument("--practice-name", metavar="NAME",
                           help="the practice to import into, by name: made new if there is none by that name "
                                "(default: the only practice, or a new one called \"My practice\")")
            p.add_argument("--timezone", default="UTC",
                           help="time zone for a new practice, e.g. Europe/London (default UTC)")
            p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
            p.add_argument("--report", type=Path, metavar="OUT.json", help="write the report as JSON")
            p.add_argument("--no-rescan", action="store_true",
                           help="do not bring the imported clients' states up to date now (for loading a "
                                "history to replay with `stillhere scan --as-of`)")

        a = sub.add_parser("appointments", help="generic CSV (or an EHR export via --preset / --mapping)")
        a.add_argument("file", type=Path, help="appointments.csv")
        a.add_argument("--clients", type=Path, metavar="FILE", help="clients.csv")
        a.add_argument("--measures", type=Path, metavar="FILE", help="measures.csv")
        how = a.add_mutually_exclusive_group()
        how.add_argument("--preset", metavar="NAME", help=f"an EHR's vocabulary: {', '.join(preset_names())}")
        how.add_argument("--mapping", type=Path, metavar="FILE", help="a TOML mapping file")
        common(a)

        f = sub.add_parser("fhir", help="FHIR R4: a Bundle (.json), bulk NDJSON (.ndjson) or a folder of them")
        f.add_argument("path", type=Path)
        common(f)

        i = sub.add_parser("ics", help="a calendar file (.ics)")
        i.add_argument("file", type=Path)
        i.add_argument("--clinician", required=True, metavar="EMAIL", help="whose calendar this is")
        i.add_argument("--client-from", choices=("attendee", "summary", "description"), default="attendee",
                       help="where the client is named (default: attendee, else the summary)")
        i.add_argument("--client-pattern", metavar="REGEX",
                       help="regular expression with a (?P<name>…) or (?P<id>…) group, matched in that field")
        i.add_argument("--until", metavar="YYYY-MM-DD", help="expand repeating events up to this day "
                       "(default: 8 weeks from today)")
        common(i)

    def handle(self, *args, **opts):
        with transaction.atomic():
            report, practice, created = self.run(opts)
            if created and (report.failed or opts["dry_run"]):
                transaction.set_rollback(True)  # nothing written means no new practice either
        if created and not report.failed and not opts["dry_run"]:
            self.stdout.write(f"Created the practice {practice.name!r} ({practice.slug}, {practice.timezone}).")
        if opts["report"]:
            from stillhere.lib.private import write_private

            write_private(opts["report"], json.dumps(report.to_dict(), indent=2, default=str))
        out = self.stderr if report.failed else self.stdout
        for line in report.lines():
            out.write(line)
        if report.failed:
            raise CommandError(f"{report.problem_count:,} problems; nothing was written.", returncode=REJECTED)

    def run(self, opts):
        try:
            practice, created = practice_for_import(opts["practice"], opts["practice_name"], opts["timezone"])
            source = self.source(opts)
        except (PracticeChoiceError, MappingError, ValueError) as e:
            raise CommandError(str(e))
        for path in source.paths():
            if not path.exists():
                raise CommandError(f"No such file: {path}")
        bar = Progress(100, "Checking" if opts["dry_run"] else "Importing", stream=self.stderr._out)
        report = run_import(practice, source, dry_run=opts["dry_run"], rescan=not opts["no_rescan"],
                            on_progress=lambda t: bar.advance(int(t.fraction * 100) - bar.done))
        bar.close()
        return report, practice, created

    def source(self, opts):
        if opts["what"] == "appointments":
            mapping = None
            if opts["preset"]:
                mapping = load_preset(opts["preset"])
            elif opts["mapping"]:
                mapping = load_mapping(opts["mapping"])
            return CsvSource(opts["file"], opts["clients"], opts["measures"], mapping)
        if opts["what"] == "fhir":
            from stillhere.ingest.fhir import FhirSource

            return FhirSource(opts["path"])
        from stillhere.ingest.ics import IcsSource

        return IcsSource(opts["file"], clinician=opts["clinician"], client_from=opts["client_from"],
                         pattern=opts["client_pattern"], until=opts["until"])
