"""Shared set-up for outreach tests: Ana Abbott (Alice's client) consents to
every channel and misses a session; `tick(now)` runs the tick's units."""

import threading
from datetime import datetime, timedelta as td, timezone as tz
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from stillhere.engagement.transitions import change_state
from stillhere.outreach.models import OutreachStep
from stillhere.outreach.sending import run_once
from stillhere.test import BaseTestCase

MISSED_AT = datetime(2026, 1, 12, 10, tzinfo=tz.utc)      # Ana's no-show (a Monday)
DAY1 = datetime(2026, 1, 15, 11, tzinfo=tz.utc)           # after the 3-day wait, 11:00 London


def tick(now, log=None):
    lines = []
    run_once(lambda: now, log=lines.append)
    if log is not None:
        log.extend(lines)
    return lines


def consent_everything(client):
    client.consent_email = client.consent_sms = client.consent_voicemail = client.consent_letter = True
    client.address_line1, client.city, client.postal_code = "4 Mill Lane", "Fairhaven", "FH1 2AB"
    client.save()


def miss(client, at=MISSED_AT, **kw):
    episode = client.episodes.get()
    return change_state(episode, "missed", "no_show", at=at, **kw)


class OutreachTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        consent_everything(self.ana)
        self.episode = self.ana.episodes.get()

    def step(self, key, **kw) -> OutreachStep:
        return OutreachStep.objects.filter(key=key, **kw).latest("id")

    def approve_all(self):
        OutreachStep.objects.filter(status="awaiting_approval").update(status="approved")


def post_a_letter(tc) -> OutreachStep:
    """Ana misses; the email step is skipped, so the letter on day 11 is
    approved and rendered into the print batch. Returns the letter step."""
    from stillhere.outreach import actions

    miss(tc.ana)
    tick(DAY1)
    tick(DAY1 + td(days=4))
    actions.skip(tc.alice, tc.step("message"), "letter only")
    tick(DAY1 + td(days=11))
    tc.approve_all()
    tick(DAY1 + td(days=11))
    return tc.step("letter")


class Provider(BaseHTTPRequestHandler):
    """A stand-in for the SMS provider on loopback; behaviour set per server."""

    def do_POST(self):
        srv = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with srv.lock:
            srv.requests.append({"path": self.path, "form": {k: v[0] for k, v in parse_qs(body).items()},
                                 "auth": self.headers.get("Authorization", "")})
            n = len(srv.requests)
        if srv.stall.is_set():
            srv.stall_reached.set()
            srv.release.wait(30)
        status, payload = srv.answer(n)
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start_provider(answer=None):
    """A real HTTP server on 127.0.0.1; answers 201 with a new sid by default."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    srv.requests, srv.lock = [], threading.Lock()
    srv.stall, srv.stall_reached, srv.release = threading.Event(), threading.Event(), threading.Event()
    srv.answer = answer or (lambda n: (201, f'{{"sid": "SM{n:032d}", "status": "queued"}}'))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    return srv


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self, refuse=()):
        from aiosmtpd.controller import Controller

        self.messages, self.refuse = [], set(refuse)
        box = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in box.refuse:
                    return "550 5.1.1 No such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                box.messages.append(envelope)
                return "250 Message accepted"

        import socket

        with socket.socket() as sock:  # a free port on loopback
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


SMTP_SETTINGS = dict(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                     EMAIL_USE_TLS=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="",
                     DEFAULT_FROM_EMAIL="alice@riverside.example", REPLY_EMAIL_ADDRESS="replies@in.riverside.example")


def sms_settings(url):
    return dict(SMS_PROVIDER="twilio", TWILIO_ACCOUNT="AC123", TWILIO_AUTH="secret-token",
                TWILIO_FROM="+15555550199", TWILIO_API_URL=url, TWILIO_MESSAGING_SERVICE_SID="")


__all__ = ["MISSED_AT", "DAY1", "td", "tz", "datetime", "tick", "miss", "OutreachTestCase"]
