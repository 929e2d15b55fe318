from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stillhere.lib import backup


class Command(BaseCommand):
    help = ("Restore an encrypted backup: --verify restores it into a scratch database and checks it, "
            "touching nothing; --yes replaces this database with it.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument("--key-file", type=Path,
                            help="the file holding the key the backup was made with (default: the practice's key)")
        parser.add_argument("--verify", action="store_true",
                            help="restore into a scratch database, check row counts and the audit trail, then "
                                 "throw the scratch copy away")
        parser.add_argument("--yes", action="store_true",
                            help="really replace everything in this database with the backup")

    def handle(self, *args, path, key_file=None, verify=False, yes=False, **opts):
        if not verify and not yes:
            raise CommandError("This replaces everything in the database with the backup. Stop the web app "
                               "and the worker, then run again with --yes; or use --verify to check the backup "
                               "without touching anything.")
        try:
            if verify:
                manifest, result = backup.verify_backup(path, key_file=key_file)
                where = "a scratch database (now removed)"
            else:
                manifest, result = backup.restore(path, key_file=key_file)
                where = "this database"
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        made = datetime.fromisoformat(manifest.created)
        self.stdout.write(f"Restored the backup made {made:%-d %B %Y at %H:%M} UTC into {where}.")
        for line in result.lines:
            self.stdout.write(f"  {line}")
        for line in result.problems:
            self.stdout.write(f"  - {line}")
        if not result.ok:
            raise CommandError(f"The restored copy does not match the backup: {len(result.problems)} problem(s).")
        self.stdout.write("Everything checked matches the backup.")
