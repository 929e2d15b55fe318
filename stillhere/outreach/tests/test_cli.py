import json
from io import StringIO

from django.core.management import CommandError, call_command

from .helpers import DAY1, OutreachTestCase, miss, td


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class OutreachCliTestCase(OutreachTestCase):
    def test_tick_list_approve_and_log_from_the_terminal(self):
        miss(self.ana)
        as_of = (DAY1).isoformat()
        self.assertIn("sequence started", run("tick", "--as-of", as_of))
        run("tick", "--as-of", (DAY1 + td(days=4)).isoformat())
        rows = [json.loads(line) for line in run("outreach", "list", "--json", "--as-of", as_of).splitlines()]
        self.assertEqual([r["step"] for r in rows], ["call", "message", "letter", "closing"])
        self.assertEqual(set(rows[0]), {"id", "client_id", "episode_id", "step", "channel", "due", "status",
                                        "status_text", "reason", "outcome", "provider_id"})
        call, message = rows[0], rows[1]
        self.assertEqual((call["client_id"], call["status"]), ("r-001", "to_call"))
        self.assertEqual(message["status"], "awaiting_approval")
        run("outreach", "log", str(call["id"]), "--as", "alice", "--outcome", "no_answer")
        run("outreach", "approve", str(message["id"]), "--as", "alice")
        out = run("tick", "--as-of", (DAY1 + td(days=4)).isoformat())
        self.assertIn("(email) OK", out)
        text = run("outreach", "list", "--as", "alice")
        self.assertIn("call logged — no_answer", text)
        self.assertIn("sent", text)

    def test_another_clinician_cannot_approve_and_is_told_why(self):
        miss(self.ana)
        run("tick", "--as-of", DAY1.isoformat())
        run("tick", "--as-of", (DAY1 + td(days=4)).isoformat())
        step = self.step("message")
        with self.assertRaisesMessage(CommandError, f"No outreach step {step.id} that you can see"):
            run("outreach", "approve", str(step.id), "--as", "bob")
        with self.assertRaisesMessage(CommandError, "Say who is acting"):
            run("outreach", "approve", str(step.id))

    def test_skip_and_reply_stop_things(self):
        miss(self.ana)
        run("tick", "--as-of", DAY1.isoformat())
        run("tick", "--as-of", (DAY1 + td(days=4)).isoformat())
        run("outreach", "skip", str(self.step("message").id), "--as", "alice", "--reason", "spoke at the door")
        self.assertIn("spoke at the door", self.step("message").skip_reason)
        run("outreach", "reply", "r-001", "--as", "alice", "--source", "call", "--as-of", DAY1.isoformat())
        self.assertEqual(self.step("letter").status, "skipped")

    def test_a_bad_as_of_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "is not a date or time"):
            run("tick", "--as-of", "next tuesday")
