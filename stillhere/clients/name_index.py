"""The name index: how *Find anyone* finds a client by name or record number
while both are encrypted at rest.

Each client has a set of keyed digests (NameDigest rows): one for every word
of their first, last and preferred names, folded (no case, no accents:
"Zoë" -> "zoe"), and for every prefix of each word from two letters
("zo", "zoe"), and one for their whole record number, folded. A typed word
is digested the same way and matched on equality, so the database finds
"Zoë Whitfield" from "zoe", "whit" or "Whitfield Zoe" without anyone's name
leaving its ciphertext. The digests use the blind index key (lib/crypto.py),
so they are rebuilt by `rotatekeys`.

A word matches a client when it begins one of their name words, or is
their whole record number. Words are split at spaces and at punctuation
inside a word ("Smith-Jones" is "smith", "jones" and "smithjones"; "O'Brien"
is "o", "brien" and "obrien"), and a name of several words is also one word
run together ("Ó Briain" also gives "obriain").

What it gives away to someone with the database but not the key: which
clients share a digest (so share a name's first letters, or a whole name),
and how many digests each client has (about how long their names are).
Rows are written in digest order, not in the order of the name's letters.

Kept current on every write: Client.save() (post_save, also for loaddata),
and the bulk writes the importer, the simulator and the demo use
(ClientQuerySet.bulk_create / bulk_update / update); deleting or erasing a
client deletes its rows (the foreign key cascades).
"""

import re
import unicodedata

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Q, When

from stillhere.lib.crypto import blind_index, blind_indexes

from .models import NAME_SOURCES, Client, NameDigest

MIN_PREFIX = 2
# Longer words are indexed by their first MAX_PREFIX letters; a longer typed
# word is looked up by those and then checked whole against the names.
MAX_PREFIX = 24
_SPLIT = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Ó Briain" -> "zoe o briain"."""
    text = text or ""
    if text.isascii():  # most names: no decomposition needed
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().replace("ø", "o").replace("ł", "l").replace("đ", "d").split())


def bare(word: str) -> str:
    """A folded word without its punctuation: "o'brien" -> "obrien"."""
    return "".join(_SPLIT.split(word))


def name_words(*names: str) -> set[str]:
    """Every folded word a client can be found by, from their names."""
    out = set()
    for name in names:
        spaced = fold(name).split()
        for w in spaced:
            parts = [p for p in _SPLIT.split(w) if p]
            out.update(parts)
            if len(parts) > 1:
                out.add("".join(parts))
        if len(spaced) > 1:
            out.add("".join(bare(w) for w in spaced))
    out.discard("")
    return out


def record_key(external_id: str) -> str:
    return fold(external_id)


def word_digest(word: str) -> str:
    return blind_index("name", word[:MAX_PREFIX])


def record_search_digest(external_id: str) -> str:
    return blind_index("record-folded", record_key(external_id))


def digests(first: str, last: str, preferred: str, external_id: str) -> list[str]:
    """The client's digests, sorted (so row order says nothing of the letters)."""
    prefixes = {w[:k] for w in name_words(first, last, preferred)
                for k in range(MIN_PREFIX, min(len(w), MAX_PREFIX) + 1)}
    out = set(blind_indexes("name", prefixes))
    if record_key(external_id):
        out.add(record_search_digest(external_id))
    return sorted(out)


def matches(words: list[str], first: str, last: str, preferred: str, external_id: str, whole: str = "") -> bool:
    """The rule the index answers, checked on decrypted names: every typed
    word begins one of the client's name words or is their record number.
    Used on what the index found (for one-letter words and words longer
    than the index holds) and by the search that reads every name."""
    record = record_key(external_id)
    if whole and record == record_key(whole):
        return True
    have = name_words(first, last, preferred)
    for w in words:
        key = bare(w)
        if w != record and not (key and any(h.startswith(key) for h in have)):
            return False
    return True


# --- keeping it current ------------------------------------------------------

CHUNK = 500


def index_clients(clients, *, fresh: bool = False) -> int:
    """Rewrite the name digests of `clients` (Client objects or a queryset)
    from their names as they are now; `fresh`: they were just created, so
    there are no old rows to delete. The number of rows written."""
    clients = list(clients)
    missing = [c for c in clients if c.pk is None]
    if missing:  # bulk_create that could not return ids (ignore_conflicts)
        ids = dict(Client.objects.filter(practice_id__in={c.practice_id for c in missing})
                   .with_record_numbers([c.external_id for c in missing])
                   .values_list("external_id_index", "pk"))
        for c in missing:
            c.pk = ids.get(c.external_id_index or blind_index("record", c.external_id))
        clients = [c for c in clients if c.pk is not None]
        fresh = False
    written = 0
    with transaction.atomic():  # the old rows and the new together (and one commit, not one a row)
        for i in range(0, len(clients), CHUNK):
            chunk = clients[i:i + CHUNK]
            if not fresh:
                _delete([c.pk for c in chunk])
            rows = [(c.practice_id, c.pk, d) for c in chunk
                    for d in digests(c.first_name, c.last_name, c.preferred_name, c.external_id)]
            _insert(rows)
            written += len(rows)
    return written


def _delete(client_ids) -> None:
    """One DELETE (the ORM's would first read the rows to send signals)."""
    t = connection.ops.quote_name(NameDigest._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {t} WHERE client_id IN ({', '.join(['%s'] * len(client_ids))})", client_ids)


def _insert(rows) -> None:
    """Plain inserts (COPY on PostgreSQL): an import of a hundred thousand
    clients writes over a million of these rows, and the ORM's bulk_create
    spends most of its time preparing each one."""
    if not rows:
        return
    ops = connection.ops
    t = ops.quote_name(NameDigest._meta.db_table)
    cols = "practice_id, client_id, digest"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {t} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for i in range(0, len(rows), 5000):
            cur.executemany(f"INSERT INTO {t} ({cols}) VALUES (%s, %s, %s)", rows[i:i + 5000])


def rebuild_all() -> int:
    """Every client's digests afresh (after `rotatekeys`, or a new BLIND_INDEX_KEY)."""
    NameDigest.objects.all().delete()
    written = 0
    qs = Client.objects.only("id", "practice_id", *NAME_SOURCES).order_by("id")
    batch = []
    for c in qs.iterator(chunk_size=2000):
        batch.append(c)
        if len(batch) == 2000:
            written += index_clients(batch, fresh=True)
            batch = []
    return written + index_clients(batch, fresh=True)


def on_client_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    """post_save of a Client (also a fixture's raw save)."""
    if update_fields is not None and not NAME_SOURCES & set(update_fields):
        return
    index_clients([instance], fresh=False)


# --- finding ---------------------------------------------------------------

def query_words(text: str) -> list[str]:
    """The typed words, folded, each once, in the order typed."""
    return list(dict.fromkeys(fold(text).split()))


def indexable(word: str) -> bool:
    return len(bare(word)) >= MIN_PREFIX


def matching_clients(practice_id, words: list[str], whole: str = ""):
    """A condition on Client ids: in `practice_id` (None: any practice), a
    digest for every one of `words` the index can answer (`indexable`: two
    letters or more), or a record number that is the whole of `whole`
    (one with a space in it). None when no word is indexable. The caller
    checks what is left with `matches`."""
    qs = NameDigest.objects.all()
    if practice_id is not None:
        qs = qs.filter(practice_id=practice_id)
    wanted, seen = [], set()
    for w in words:
        if indexable(w) and word_digest(bare(w)) not in seen:
            seen.add(word_digest(bare(w)))
            wanted.append({word_digest(bare(w)), record_search_digest(w)})
    if not wanted:
        return None
    when = [When(digest__in=sorted(s), then=i) for i, s in enumerate(wanted)]
    everything = sorted(set().union(*wanted))
    found = Q(id__in=qs.filter(digest__in=everything).values("client_id")
              .annotate(n=Count(Case(*when, output_field=IntegerField()), distinct=True))
              .filter(n=len(wanted)).values("client_id"))
    if whole and len(whole.split()) > 1:
        found |= Q(id__in=qs.filter(digest=record_search_digest(whole)).values("client_id"))
    return found


# --- migrations -----------------------------------------------------------

def fill_for_migration(apps, schema_editor) -> None:
    """RunPython body: every client's name digests, from the names as stored
    (already encrypted by the migration's step before). Raw SQL, so it does
    not depend on the models as they are later."""
    from stillhere.lib.crypto import PREFIX, decrypt

    conn = schema_editor.connection
    q = conn.ops.quote_name

    def plain(v):
        return decrypt(v) if v and v.startswith(PREFIX) else (v or "")

    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {q('clients_namedigest')}")
        cur.execute(f"SELECT id, practice_id, first_name, last_name, preferred_name, external_id "
                    f"FROM {q('clients_client')} ORDER BY id")
        rows = [(practice_id, pk, d) for pk, practice_id, *names in cur.fetchall()
                for d in digests(*(plain(v) for v in names))]
        for i in range(0, len(rows), 5000):
            cur.executemany(f"INSERT INTO {q('clients_namedigest')} (practice_id, client_id, digest) "
                            f"VALUES (%s, %s, %s)", rows[i:i + 5000])


def empty_for_migration(apps, schema_editor) -> None:
    schema_editor.execute(f"DELETE FROM {schema_editor.connection.ops.quote_name('clients_namedigest')}")
