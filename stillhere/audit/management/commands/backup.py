from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stillhere.lib import backup


class Command(BaseCommand):
    help = ("Write an encrypted, owner-only backup of the whole database (SQLite online copy or "
            "PostgreSQL dump), by default into the data directory's backups folder.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?",
                            help="file or folder to write to (default: STILLHERE_DATA_DIR/backups/)")
        parser.add_argument("--key-file", type=Path,
                            help="a file holding the backup key (default: the practice's encryption key)")
        parser.add_argument("--new-key-file", type=Path, metavar="PATH",
                            help="write a fresh backup key to PATH (owner-only) and stop")
        parser.add_argument("--keep", type=int, default=0, metavar="N",
                            help="after writing, delete all but the newest N backups in that folder")

    def handle(self, *args, path=None, key_file=None, new_key_file=None, keep=0, **opts):
        try:
            if new_key_file:
                backup.new_key_file(new_key_file)
                self.stdout.write(f"Wrote a new backup key to {new_key_file}. Keep a copy somewhere other than "
                                  "the backups: without it they cannot be opened.")
                return
            written, manifest = backup.backup(path, key_file=key_file)
            if keep:
                gone = backup.prune(written.parent, keep)
                if gone:
                    self.stdout.write(f"Deleted {len(gone)} older backup(s), keeping the newest {keep}.")
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"Backed up {manifest.rows} rows in {len(manifest.counts)} tables and "
                          f"{manifest.audit_seq} audit events to {written} (encrypted, readable only by you).")
