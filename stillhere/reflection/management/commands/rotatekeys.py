from django.core.management.base import BaseCommand
from django.db import connection, transaction

from stillhere.accounts.models import Practice
from stillhere.audit.events import EncryptionKeysRotated, record
from stillhere.clients.name_index import rebuild_all as rebuild_name_index
from stillhere.lib.crypto import blind_index, decrypt, encrypted_columns, rotate

BATCH = 2000


def rotate_all() -> dict[int | None, int]:
    """Re-encrypt every encrypted column of every model under the newest key
    and rebuild every blind index and the name index (clients/name_index.py);
    rows per practice (None: tables without one).

    Works on the stored ciphertext directly (raw SQL), so no value goes
    through a model; a blind index's source is decrypted only to re-digest it.
    One transaction: a failure leaves every row as it was.
    """
    q = connection.ops.quote_name
    counts: dict[int | None, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        for model, enc, idx in encrypted_columns():
            table = q(model._meta.db_table)
            cols = [f.column for f in enc]
            sources = {f.column: (f.kind, model._meta.get_field(f.source).column) for f in idx}
            has_practice = any(f.column == "practice_id" for f in model._meta.concrete_fields)
            pcol = "practice_id" if has_practice else "NULL"
            cur.execute(f"SELECT id, {pcol}, {', '.join(map(q, cols))} FROM {table} ORDER BY id")
            rows = cur.fetchall()
            sets = ", ".join([f"{q(c)} = %s" for c in cols] + [f"{q(c)} = %s" for c in sources])
            params = []
            for pk, practice_id, *values in rows:
                new = [rotate(v) for v in values]
                by_col = dict(zip(cols, new))
                digests = [blind_index(kind, decrypt(by_col.get(src) or "")) for kind, src in sources.values()]
                params.append(new + digests + [pk])
                counts[practice_id] = counts.get(practice_id, 0) + 1
            for i in range(0, len(params), BATCH):
                cur.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", params[i:i + BATCH])
        # The name digests are made with the blind index key: made afresh from
        # the names (read back through the model, under the newest key now).
        rebuild_name_index()
    return counts


class Command(BaseCommand):
    help = ("Re-encrypt all client data stored encrypted (names, record numbers, contact details, notes, drafts, "
            "replies, letters, import reports, reflections) under the newest key in FIELD_ENCRYPTION_KEYS, and "
            "rebuild the blind indexes and the name index. Put the new key first, keep the old ones, run this, "
            "then drop them.")

    def handle(self, *args, **opts):
        counts = rotate_all()
        for practice in Practice.objects.filter(pk__in=[p for p in counts if p is not None]):
            record(EncryptionKeysRotated(practice=practice, count=counts[practice.pk]))
        self.stdout.write(f"Re-encrypted {sum(counts.values())} row(s) under the newest key.")
