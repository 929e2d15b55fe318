"""`stillhere deidentify`: the same filter from the command line, audited,
checked whole before anything is written."""

import io
import json
import re

from django.core.management import CommandError, call_command

from stillhere.audit.models import AuditEvent
from stillhere.test import BaseTestCase


class DeidentifyCommandTestCase(BaseTestCase):
    def run_cmd(self, *args, stdin=""):
        out, err = io.StringIO(), io.StringIO()
        import sys
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command("deidentify", *args, stdout=out, stderr=err)
        finally:
            sys.stdin = old
        return out.getvalue(), err.getvalue()

    def test_one_note_by_external_id_or_code(self):
        note = "Ana Abbott rang from 07700 900123 on 5 Jan 2026; Ben Baker and Alice saw her. Tomasz was there.\n"
        for given in ("r-001", str(self.ana.code)):
            out, err = self.run_cmd("--practice", "riverside", "--client", given, "--offset-days", "40", "-",
                                    stdin=note)
            self.assertEqual(out.strip(), "[client] rang from [phone] on 14 Feb 2026; [another client] and "
                                          "[clinician] saw her. [name] was there.")
            self.assertEqual(err, "")
        events = AuditEvent.objects.filter(verb="note-deidentified")
        self.assertEqual(events.count(), 2)
        self.assertEqual(events.first().client, self.ana)
        self.assertEqual(events.first().data["notes"], 1)
        self.assertNotIn("Tomasz", json.dumps(list(events.values_list("data", flat=True))))

    def test_jsonl_in_order_one_line_per_input(self):
        lines = [{"client_id": "r-002", "text": "Ben Baker missed 3 Feb 2026."},
                 {"client_id": "r-001", "text": "Ana said Ben upset her."},
                 {"client_id": "r-002", "text": "ben said nothing."}]
        out, _ = self.run_cmd("--practice", "riverside", "--jsonl", "--offset-days", "-35", "-",
                              stdin="\n".join(json.dumps(x) for x in lines) + "\n")
        got = [json.loads(x) for x in out.splitlines()]
        self.assertEqual([g["client_id"] for g in got], ["r-002", "r-001", "r-002"])
        self.assertEqual([g["text"] for g in got], ["[client] missed 30 Dec 2025.",
                                                    "[client] said [another client] upset her.",
                                                    "[client] said nothing."])
        self.assertEqual(dict(AuditEvent.objects.filter(verb="note-deidentified")
                              .values_list("client__external_id", "data__notes")), {"r-001": 1, "r-002": 2})

    def test_bad_lines_are_named_by_number_and_nothing_is_written(self):
        stdin = '{"client_id": "r-001", "text": "Ana."}\nnot json\n{"client_id": "nobody", "text": "x"}\n{"text": 3}\n'
        with self.assertRaises(CommandError) as e:
            self.run_cmd("--practice", "riverside", "--jsonl", "-", stdin=stdin)
        msg = str(e.exception)
        self.assertIn("Nothing was written", msg)
        self.assertIn("line 2: not JSON", msg)
        self.assertIn("line 3: no client 'nobody' in practice 'riverside'", msg)
        self.assertIn('line 4: expected an object with "client_id" and "text"', msg)
        self.assertNotIn("Ana", msg)
        self.assertFalse(AuditEvent.objects.filter(verb="note-deidentified").exists())

    def test_with_more_than_one_practice_the_practice_must_be_named(self):
        with self.assertRaisesRegex(CommandError, "more than one practice"):
            self.run_cmd("--client", "r-001", "-", stdin="Ana.")
        with self.assertRaisesRegex(CommandError, re.escape("no client 'h-001' in practice 'riverside'")):
            self.run_cmd("--practice", "riverside", "--client", "h-001", "-", stdin="Cleo.")
