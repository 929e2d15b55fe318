from django.core.management.base import BaseCommand
from django.db import connection, transaction

from stillhere.accounts.models import Practice
from stillhere.audit.events import EncryptionKeysRotated, record
from stillhere.reflection.crypto import EncryptedTextField, rotate
from stillhere.reflection.models import ConsultationSummary, Reflection


def rotate_all() -> dict[int, int]:
    """Re-encrypt every encrypted column under the newest key; rows per practice.

    Works on the stored ciphertext directly (raw SQL), so the text is never
    decrypted into a model and written back through the field.
    """
    q = connection.ops.quote_name
    counts: dict[int, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        for model in (Reflection, ConsultationSummary):
            table = q(model._meta.db_table)
            cols = [f.column for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            cur.execute(f"SELECT id, practice_id, {', '.join(map(q, cols))} FROM {table}")
            for pk, practice_id, *values in cur.fetchall():
                sets = ", ".join(f"{q(c)} = %s" for c in cols)
                cur.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [rotate(v) for v in values] + [pk])
                counts[practice_id] = counts.get(practice_id, 0) + 1
    return counts


class Command(BaseCommand):
    help = ("Re-encrypt stored free text (reflections, consultation summaries) under the newest key in "
            "FIELD_ENCRYPTION_KEYS. Put the new key first, keep the old ones, run this, then drop them.")

    def handle(self, *args, **opts):
        counts = rotate_all()
        for practice in Practice.objects.filter(pk__in=counts):
            record(EncryptionKeysRotated(practice=practice, count=counts[practice.pk]))
        self.stdout.write(f"Re-encrypted {sum(counts.values())} row(s) under the newest key.")
