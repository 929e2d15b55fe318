from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from stillhere.accounts.models import Practice
from stillhere.audit.events import SnapshotWritten, record
from stillhere.features.snapshot import write_snapshot
from stillhere.features.sources import CANONICAL, from_django
from stillhere.lib.progress import Progress


class Command(BaseCommand):
    help = ("Write a Parquet snapshot of one practice's facts (appointments, episodes, clients, "
            "ratings, planned breaks) for fast scans in DuckDB: `stillhere scan --snapshot DIR`.")

    def add_arguments(self, parser):
        parser.add_argument("--practice", help="practice slug (needed when there is more than one)")
        parser.add_argument("--out", type=Path, required=True, help="folder to write the snapshot into")

    def handle(self, *args, **opts):
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
