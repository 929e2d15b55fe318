"""`stillhere client export ID` and `stillhere client erase ID`: thin over
stillhere/clients/export.py and erase.py."""

import sys
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stillhere.clients.models import Client


def find_client(ident: str, practice: str | None) -> Client:
    """A client by the code in their page's address, or by the id the
    practice's own system gave them (with --practice when two practices
    use the same id)."""
    qs = Client.objects.select_related("practice")
    if practice:
        qs = qs.filter(practice__slug=practice)
    try:
        found = list(qs.filter(code=uuid.UUID(ident)))
    except ValueError:
        found = list(qs.with_record_number(ident))
    if not found:
        raise CommandError("No client has that id" + (" in that practice." if practice else "."))
    if len(found) > 1:
        raise CommandError("Two practices have a client with that id: say which with --practice SLUG.")
    return found[0]


class Command(BaseCommand):
    help = ("One client's record: `stillhere client export ID` writes everything about them (JSON, a PDF and "
            "their letters, in a zip readable by you only); `stillhere client erase ID` deletes it all, "
            "keeping only the audit trail's pseudonymous rows.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ex = sub.add_parser("export", help="write the client's whole record to a zip (0600)")
        ex.add_argument("id", help="the client's code (from their page's address) or their id in your own system")
        ex.add_argument("--practice", help="the practice's short name, when two practices use the same id")
        ex.add_argument("--out", help="a folder or a .zip file (default STILLHERE_DATA_DIR/exports/)")
        ex.add_argument("--with-reflections", action="store_true",
                        help="include the text of the clinician's private reviews of the ending")
        er = sub.add_parser("erase", help="delete everything about the client (the audit trail stays, pseudonymous)")
        er.add_argument("id", help="the client's code or their id in your own system")
        er.add_argument("--practice", help="the practice's short name, when two practices use the same id")
        er.add_argument("--yes", action="store_true", help="do not ask to confirm")

    def handle(self, *args, **opts):
        client = find_client(opts["id"], opts.get("practice"))
        if opts["action"] == "export":
            from stillhere.clients.export import export_client, exports_dir

            out = Path(opts["out"]) if opts.get("out") else exports_dir()
            archive, _, path = export_client(client, where="command", out=out,
                                             include_reflections=opts["with_reflections"])
            c = archive.counts
            self.stdout.write(f"Wrote the client's record to {path} (readable by you only): "
                              f"{c['episodes']} episode(s), {c['appointments']} session(s), {c['measures']} "
                              f"questionnaire(s), {c['outreach_steps']} outreach step(s), {c['replies']} "
                              f"reply(ies), {c['letters']} letter(s), {c['audit_events']} audit event(s).")
            return
        from stillhere.clients.erase import erase_client

        if not opts["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Erasing cannot be undone: add --yes to confirm.")
            answer = input(f"Erase client {client.external_id} of {client.practice.name} and everything about "
                           f"them? This cannot be undone. Type the client's id to confirm: ")
            if answer.strip() != client.external_id:
                raise CommandError("Not erased: the id typed did not match.")
        erasure = erase_client(client, where="command")
        self.stdout.write(f"Erased the client: {erasure.summary()}. The audit trail keeps its rows about them "
                          f"under a pseudonym.")
