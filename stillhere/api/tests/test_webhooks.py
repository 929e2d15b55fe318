"""Outgoing webhooks against a real HTTP server on loopback: what arrives,
how it is signed, and what happens when the receiver is down."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import override_settings
from django.utils import timezone

from stillhere.api import webhooks
from stillhere.api.models import WebhookDelivery, WebhookEndpoint
from stillhere.audit.models import AuditEvent
from stillhere.clients.models import Episode
from stillhere.engagement.transitions import change_state
from stillhere.outreach.actions import log_reply

from .helpers import ApiTestCase


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with `status` and keeps what it got."""

    def __init__(self):
        self.status, self.got = 200, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@override_settings(WEBHOOK_ALLOW_HTTP_LOOPBACK=True, SITE_URL="https://app.example.org")
class WebhooksTest(ApiTestCase):
    def setUp(self):
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)
        r = self.call("POST", "/webhooks", "adam", {"url": self.receiver.url, "events": [
            "state.changed", "safety_check.opened", "reply.received", "episode.ended"]})
        self.assertEqual(r.status_code, 201, r.content)
        self.secret = r.json()["secret"]
        self.endpoint = WebhookEndpoint.objects.get()
        self.episode = self.ana.episodes.get()

    def tick(self, now=None):
        return webhooks.run_once(lambda: now or timezone.now())

    def test_a_safety_check_arrives_signed_with_ids_and_a_link_only(self):
        change_state(self.episode, Episode.State.MISSED, "safety_no_show", detail="Ana Abbott missed her session",
                     safety_check=True)
        self.tick()
        self.assertEqual(len(self.receiver.got), 2)
        kinds = [json.loads(body)["type"] for _, body in self.receiver.got]
        self.assertEqual(kinds, ["state.changed", "safety_check.opened"])
        headers, body = self.receiver.got[1]
        t, mac = (part.split("=", 1)[1] for part in headers["Stillhere-Signature"].split(","))
        expected = hmac.new(self.secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        self.assertEqual(mac, expected)
        payload = json.loads(body)
        self.assertEqual(payload["data"]["client"], str(self.ana.code))
        self.assertEqual(payload["link"], f"https://app.example.org/clients/{self.ana.code}/")
        for word in ("Ana", "Abbott", self.ana.email, self.ana.external_id, "missed her"):
            self.assertNotIn(word, body.decode())
        self.assertEqual(AuditEvent.objects.filter(verb="webhook-delivered", client=self.ana).count(), 2)

    def test_a_reply_and_an_ending_are_announced(self):
        log_reply(self.ana, "email", timezone.now(), text="Thanks, I'm doing well")
        self.call("POST", f"/episodes/{self.episode.pk}/end", "alice", {"reason": "planned"})
        self.tick()
        kinds = sorted(json.loads(body)["type"] for _, body in self.receiver.got)
        self.assertEqual(kinds, ["episode.ended", "reply.received", "state.changed"])
        self.assertNotIn("doing well", b"".join(body for _, body in self.receiver.got).decode())

    def test_another_practices_events_never_reach_this_endpoint(self):
        change_state(self.cleo.episodes.get(), Episode.State.MISSED, "no_show")
        self.assertEqual(self.tick(), 0)
        self.assertEqual(self.receiver.got, [])

    def test_only_subscribed_events_are_sent(self):
        WebhookEndpoint.objects.update(events=["episode.ended"])
        change_state(self.episode, Episode.State.MISSED, "no_show")
        self.tick()
        self.assertEqual(self.receiver.got, [])

    def test_a_receiver_that_is_down_gets_the_event_again_later_then_it_gives_up(self):
        self.receiver.status = 503
        change_state(self.episode, Episode.State.MISSED, "no_show")
        now = timezone.now()
        self.tick(now)
        d = WebhookDelivery.objects.get()
        self.assertEqual((d.status, len(d.attempts)), ("pending", 1))
        self.assertEqual(d.attempts[0]["status_code"], 503)
        self.assertEqual(d.next_attempt, now + timedelta(minutes=1))
        self.tick(now + timedelta(seconds=30))  # not yet due
        self.assertEqual(len(self.receiver.got), 1)
        for step in webhooks.BACKOFF:
            now += step
            self.tick(now)
        d.refresh_from_db()
        self.assertEqual((d.status, len(d.attempts)), ("failed", 6))
        self.assertEqual(len({json.loads(b)["id"] for _, b in self.receiver.got}), 1)  # the same event each time

    def test_a_receiver_back_up_gets_the_event_once(self):
        self.receiver.status = 500
        change_state(self.episode, Episode.State.MISSED, "no_show")
        now = timezone.now()
        self.tick(now)
        self.receiver.status = 204
        self.tick(now + timedelta(minutes=1))
        self.tick(now + timedelta(minutes=10))
        d = WebhookDelivery.objects.get()
        self.assertEqual((d.status, len(d.attempts), len(self.receiver.got)), ("delivered", 2, 2))

    def test_an_unreachable_receiver_is_recorded_in_words(self):
        self.receiver.close()
        change_state(self.episode, Episode.State.MISSED, "no_show")
        self.tick()
        self.assertIn("Could not reach", WebhookDelivery.objects.get().attempts[0]["error"])

    def test_two_ticks_racing_queue_each_event_once(self):
        change_state(self.episode, Episode.State.MISSED, "no_show")
        as_the_other_read_them = list(WebhookEndpoint.objects.filter(active=True))
        self.assertTrue(webhooks.handle_one_endpoint(timezone.now()))
        # The other tick read the endpoint before the first moved its marks: its claim finds nothing.
        self.assertIs(webhooks.handle_one_endpoint(timezone.now(), as_the_other_read_them), True)
        self.assertEqual(WebhookDelivery.objects.count(), 1)
        self.assertIs(webhooks.handle_one_endpoint(timezone.now()), False)


@override_settings(WEBHOOK_ALLOW_HTTP_LOOPBACK=False)
class WebhookAddressTest(ApiTestCase):
    def test_it_refuses_plain_http(self):
        r = self.call("POST", "/webhooks", "adam", {"url": "http://hooks.example.org/in", "events": ["state.changed"]})
        self.assertEqual((r.status_code, r.json()["field"]), (422, "url"))
        self.assertIn("https://", r.json()["message"])

    def test_a_new_endpoint_hears_only_what_happens_from_now_on(self):
        change_state(self.ana.episodes.get(), Episode.State.MISSED, "no_show")
        self.call("POST", "/webhooks", "adam", {"url": "https://hooks.example.org/in", "events": ["state.changed"]})
        self.assertEqual(webhooks.handle_one_endpoint(timezone.now()), False)
