import json
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from stillhere.accounts.models import Membership
from stillhere.clients.models import Client, record_digest
from stillhere.outreach import actions, inbound
from stillhere.outreach.listing import rows
from stillhere.outreach.models import OutreachStep, Reply
from stillhere.outreach.timeparse import parse_as_of

ACTIONS = ("list", "approve", "skip", "log", "retry", "reply", "posted", "receive-email")


class Command(BaseCommand):
    help = ("Outreach from the terminal: list steps, approve or skip drafts, log calls, retry failures, "
            "log replies, mark letters posted.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("target", nargs="?", help="step id (approve/skip/log/retry), client id (reply), "
                                                      "batch id (posted)")
        parser.add_argument("--as", dest="username", help="the member acting (their access and audit trail)")
        parser.add_argument("--as-of", help="act or list as if it were this date/time")
        parser.add_argument("--json", action="store_true", help="list: one JSON object per line")
        parser.add_argument("--client", help="list: only this client (external id)")
        parser.add_argument("--reason", default="", help="skip: why; approve --despite-findings: why, kept with the message")
        parser.add_argument("--outcome", choices=OutreachStep.Outcome.values, help="log: how the call went")
        parser.add_argument("--note", default="", help="log/reply: a short note")
        parser.add_argument("--body-file", help="approve: the edited message text from this file")
        parser.add_argument("--despite-findings", action="store_true",
                            help="approve even though the tone check found problems (needs --reason)")
        parser.add_argument("--checked", action="store_true",
                            help="retry: I checked that the uncertain message did not arrive")
        parser.add_argument("--source", choices=Reply.Source.values, default="call", help="reply: how it came")

    def member(self, username) -> Membership:
        if not username:
            raise CommandError("Say who is acting with --as USERNAME.")
        user = get_user_model().objects.filter(username=username).first()
        m = user and user.memberships.select_related("practice").order_by("id").first()
        if not m:
            raise CommandError(f"No practice member called {username!r}.")
        return m

    def handle(self, action, target=None, **o):
        now = parse_as_of(o["as_of"]) or timezone.now()
        try:
            getattr(self, "do_" + action.replace("-", "_"))(target, now, o)
        except (ValidationError, PermissionDenied, Http404) as e:
            msg = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
            raise CommandError(msg)

    def need(self, target, what):
        if not target:
            raise CommandError(f"Give the {what}.")
        return target

    def do_list(self, target, now, o):
        if o["username"]:
            steps = actions.visible_steps(self.member(o["username"]))
        else:  # the operator's view of every practice, as for cron mail
            steps = OutreachStep.objects.all()
        if o["client"]:
            steps = steps.filter(client__external_id_index=record_digest(o["client"]))
        out = rows(steps, now)
        if o["json"]:
            for r in out:
                self.stdout.write(json.dumps(r))
            return
        self.stdout.write(f"{'id':>5}  {'client':<14} {'step':<12} {'channel':<7} {'due':<17} status")
        for r in out:
            extra = f" ({r['reason']})" if r["reason"] and r["status"] != "skipped" else ""
            outcome = f" — {r['outcome']}" if r["outcome"] else ""
            self.stdout.write(f"{r['id']:>5}  {r['client_id'][:14]:<14} {r['step'][:12]:<12} {r['channel']:<7} "
                              f"{r['due'][:16].replace('T', ' '):<17} {r['status_text']}{extra}{outcome}"
                              + (f" [{r['reason']}]" if r["status"] == "skipped" else ""))

    def do_approve(self, target, now, o):
        m = self.member(o["username"])
        step = actions.get_step_by_id_or_404(m, self.need(target, "step id"))
        body = open(o["body_file"]).read() if o["body_file"] else None
        actions.approve(m, step, now, body=body, despite_findings=o["despite_findings"], reason=o["reason"])
        self.stdout.write(f"Step {step.id} approved; the next tick sends it (due {step.due:%Y-%m-%d %H:%M}).")

    def do_skip(self, target, now, o):
        m = self.member(o["username"])
        step = actions.get_step_by_id_or_404(m, self.need(target, "step id"))
        actions.skip(m, step, o["reason"])
        self.stdout.write(f"Step {step.id} skipped.")

    def do_log(self, target, now, o):
        m = self.member(o["username"])
        step = actions.get_step_by_id_or_404(m, self.need(target, "step id"))
        if not o["outcome"]:
            raise CommandError("Give --outcome no_answer, voicemail or spoke.")
        actions.log_call(m, step, o["outcome"], now, o["note"])
        self.stdout.write(f"Call {step.id} logged: {o['outcome']}.")

    def do_retry(self, target, now, o):
        m = self.member(o["username"])
        step = actions.get_step_by_id_or_404(m, self.need(target, "step id"))
        new = actions.retry(m, step, now, checked_not_received=o["checked"])
        self.stdout.write(f"Step {step.id} will be sent again as step {new.id} by the next tick.")

    def do_reply(self, target, now, o):
        m = self.member(o["username"])
        from stillhere.accounts.permissions import visible_clients

        client = visible_clients(m).with_record_number(self.need(target, "client id")).first()
        if client is None:
            raise CommandError(f"No client {target!r} that you can see.")
        actions.log_reply(client, o["source"], now, text=o["note"], actor=m.user, by_membership=m)
        self.stdout.write(f"Reply logged for {target}; any running outreach has stopped.")

    def do_posted(self, target, now, o):
        m = self.member(o["username"])
        n = actions.mark_posted(m, self.need(target, "batch id"), now)
        self.stdout.write(f"Batch {target}: {n} letter(s) marked posted.")

    def do_receive_email(self, target, now, o):
        """For a mail server's pipe: `stillhere outreach receive-email < message.eml`."""
        raw = sys.stdin.buffer.read(inbound.MAX_EMAIL_BYTES + 1)
        result = inbound.receive_email(raw, now)
        self.stdout.write(result.message)
        if not result.ok:
            raise CommandError(result.message)
