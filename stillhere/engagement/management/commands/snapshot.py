from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from stillhere.accounts.models import Practice
from stillhere.audit.events import SnapshotWritten, record
from stillhere.features.platform import write_platform_snapshot
from stillhere.features.snapshot import write_snapshot
from stillhere.features.sources import CANONICAL, from_django
from stillhere.lib.progress import Progress


class Command(BaseCommand):
    help = ("Write a Parquet snapshot of one practice's facts (appointments, episodes, clients, "
            "ratings, planned breaks) for fast scans in DuckDB: `stillhere scan --snapshot DIR`.")
    # Django's checks import every URL and so every view (the API, the PDF
    # report, the de-identifier and its language models): about 5 s of a
    # cron job's morning scan spent on imports it never uses. `stillhere
    # check` and every web start still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--practice", help="practice slug (needed when there is more than one)")
        parser.add_argument("--out", type=Path, required=True, help="folder to write the snapshot into")
        parser.add_argument("--all-practices", action="store_true",
                            help="every practice of the install in one snapshot, partitioned by practice "
                                 "(for `stillhere scan --all-practices --snapshot DIR`)")

    def handle(self, *args, **opts):
        if opts["all_practices"]:
            return self.all_practices(opts["out"])
        practice = _practice(opts["practice"])
        progress = Progress(len(CANONICAL), label="Snapshot", stream=self.stderr._out)
        # One consistent view of the facts: every table read in one transaction,
        # under repeatable read where the database offers it (and where this
        # is the transaction's start; inside another, that one decides).
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            counts = write_snapshot(
                from_django(practice.id), opts["out"],
                meta={"practice": practice.slug, "practice_id": practice.id},
                on_table=lambda name: progress.advance(1, f"Snapshot: {name} written"))
        progress.close()
        record(SnapshotWritten(practice=practice, folder=str(Path(opts["out"]).resolve()), rows=counts))
        self.stdout.write(f"{practice.slug}: snapshot written to {opts['out']} ("
                          + ", ".join(f"{n:,} {name}" for name, n in counts.items()) + ")")


    def all_practices(self, out: Path):
        practices = list(Practice.objects.order_by("id"))
        if not practices:
            raise CommandError("There is no practice yet.")
        progress = Progress(len(practices), label="Snapshot", stream=self.stderr._out)
        outermost = not connection.in_atomic_block
        with transaction.atomic():   # one consistent view of every practice, as above
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            meta = write_platform_snapshot(from_django, [(p.id, p.slug) for p in practices], out,
                                           on_practice=lambda slug: progress.advance(1, f"Snapshot: {slug}"))
        progress.close()
        for p in practices:
            record(SnapshotWritten(practice=p, folder=str(Path(out).resolve()), rows=meta["practices"][str(p.id)]["rows"]))
        total = sum(part["rows"]["appointments"] for part in meta["practices"].values())
        self.stdout.write(f"all practices: snapshot of {len(practices)} practices written to {out} "
                          f"({total:,} appointments), partitioned by practice")


def _practice(slug: str | None) -> Practice:
    if slug:
        practice = Practice.objects.filter(slug=slug).first()
        if not practice:
            raise CommandError(f"No practice with slug {slug!r}.")
        return practice
    practices = list(Practice.objects.order_by("id")[:2])
    if len(practices) != 1:
        raise CommandError("Say which practice: --practice SLUG." if practices else "There is no practice yet.")
    return practices[0]
