"""Outgoing webhooks: events found after the fact, signed, retried with backoff.

Two units of work for the tick, in the manner of the outreach units:
1. `handle_one_endpoint`: for one active endpoint with new StateChange or
   Reply rows past its marks, claim them by moving the marks with a
   conditional UPDATE and write one delivery per event it subscribes to.
2. `handle_one_delivery`: claim one due delivery by pushing its
   `next_attempt` forward (so a second worker leaves it alone), POST it,
   and record the try: delivered on a 2xx, else retried after the next
   backoff, and given up after the last.
Delivery is at least once: a worker that dies after the receiver answered
but before the row was updated sends the event again, with the same
`id`, which receivers use to ignore repeats.

A payload carries ids, state codes and a link to the client's page (where
a member signs in and the access is audited), never a name or any text.
Signature: `Stillhere-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the endpoint's secret>`; receivers should refuse a t more
than five minutes old.
"""

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from stillhere.audit.events import WebhookDelivered, record
from stillhere.engagement.models import StateChange
from stillhere.engagement.transitions import ENDED
from stillhere.lib import http
from stillhere.outreach.models import Reply

from .models import WebhookDelivery, WebhookEndpoint

# After the first try fails: 1 min, 5 min, 30 min, 2 h, 12 h; then give up.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
BATCH = 200
TIMEOUT = 10
# Longer than a try can take, so a live worker's claim is not taken over.
CLAIM_FOR = timedelta(minutes=2)


class BadUrl(ValueError):
    pass


def check_url(url: str) -> str:
    """An https:// address; plain http only to this machine, and only where
    the settings allow it (tests, a receiver on the same host)."""
    p = urlparse(url.strip())
    if not p.hostname or p.scheme not in ("https", "http"):
        raise BadUrl("The address must start with https:// and name a host.")
    if p.scheme == "http" and not (settings.WEBHOOK_ALLOW_HTTP_LOOPBACK and p.hostname in ("127.0.0.1", "localhost")):
        raise BadUrl("The address must use https://, so events travel encrypted.")
    if p.username or p.password:
        raise BadUrl("Put no user name or password in the address; the signature proves who is sending.")
    return url.strip()


def current_marks() -> tuple[int, int]:
    """Where a new endpoint starts: it is told about what happens from now on."""
    return (StateChange.objects.aggregate(m=Max("id"))["m"] or 0, Reply.objects.aggregate(m=Max("id"))["m"] or 0)


def sign(secret: str, body: bytes, t: int) -> str:
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _link(client_code) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/clients/{client_code}/"


def _events_for_change(c: StateChange) -> list[tuple[str, dict]]:
    data = {"episode": c.episode_id, "client": str(c.episode.client.code), "old_state": c.old_state,
            "new_state": c.new_state, "reason": c.reason, "at": _iso(c.at)}
    out = [("state.changed", data)]
    if c.safety_check:
        out.append(("safety_check.opened", data))
    if c.new_state in ENDED:
        out.append(("episode.ended", {**data, "end_reason": c.episode.end_reason}))
    return out


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def handle_one_endpoint(now: datetime, endpoints=None) -> str | bool:
    """`endpoints`, as some worker read them (all active ones, fresh, unless given)."""
    for ep in endpoints if endpoints is not None else WebhookEndpoint.objects.filter(active=True).order_by("id"):
        changes = list(StateChange.objects.filter(practice_id=ep.practice_id, id__gt=ep.after_change)
                       .select_related("episode__client").order_by("id")[:BATCH])
        replies = list(Reply.objects.filter(practice_id=ep.practice_id, id__gt=ep.after_reply)
                       .select_related("client").order_by("id")[:BATCH])
        if not changes and not replies:
            continue
        events = [e for c in changes for e in _events_for_change(c)]
        events += [("reply.received", {"client": str(r.client.code), "episode": r.episode_id,
                                       "source": r.source, "at": _iso(r.received)}) for r in replies]
        with transaction.atomic():
            moved = WebhookEndpoint.objects.filter(pk=ep.pk, after_change=ep.after_change,
                                                   after_reply=ep.after_reply).update(
                after_change=changes[-1].id if changes else ep.after_change,
                after_reply=replies[-1].id if replies else ep.after_reply)
            if moved != 1:
                return True  # another tick took these events
            rows = []
            for kind, data in events:
                if kind not in ep.events:
                    continue
                d = WebhookDelivery(endpoint=ep, event=kind, next_attempt=now, payload={})
                d.payload = {"id": str(d.event_id), "type": kind, "created": _iso(now),
                             "data": data, "link": _link(data["client"])}
                rows.append(d)
            WebhookDelivery.objects.bulk_create(rows)
        return f"webhook {str(ep.code)[:8]}: {len(rows)} event(s) queued"
    return False


def handle_one_delivery(now: datetime) -> str | bool:
    d = (WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt__lte=now,
                                        endpoint__active=True)
         .select_related("endpoint__practice").order_by("next_attempt", "id").first())
    if d is None:
        return False
    if WebhookDelivery.objects.filter(pk=d.pk, status=d.Status.PENDING, next_attempt=d.next_attempt).update(
            next_attempt=now + CLAIM_FOR) != 1:
        return True  # another worker claimed it
    body = json.dumps(d.payload, separators=(",", ":")).encode()
    t = int(now.timestamp())
    started = time.perf_counter()
    code, error = None, ""
    try:
        r = http.request("POST", d.endpoint.url, timeout=TIMEOUT, content=body, headers={
            "Content-Type": "application/json", "Stillhere-Signature": sign(d.endpoint.secret, body, t),
            "Stillhere-Event": d.event, "Stillhere-Delivery": str(d.event_id)})
        code = r.status_code
        if not 200 <= code < 300:
            error = f"the receiver answered {code}"
    except http.HttpError as e:
        error = e.message
    ms = round((time.perf_counter() - started) * 1000)
    attempts = d.attempts + [{"at": _iso(now), "status_code": code, "error": error, "ms": ms}]
    if not error:
        WebhookDelivery.objects.filter(pk=d.pk).update(status=d.Status.DELIVERED, delivered=now, attempts=attempts)
        d.attempts = attempts
        from stillhere.clients.models import Client

        client = Client.objects.filter(code=d.payload["data"]["client"]).first()
        record(WebhookDelivered(practice=d.endpoint.practice, client=client, delivery=d))
        return f"webhook {d.event} {str(d.event_id)[:8]} delivered in {ms} ms"
    tries = len(attempts)
    if tries > len(BACKOFF):
        WebhookDelivery.objects.filter(pk=d.pk).update(status=d.Status.FAILED, attempts=attempts)
        return f"webhook {d.event} {str(d.event_id)[:8]} failed {tries} times ({error}); gave up"
    WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt=now + BACKOFF[tries - 1], attempts=attempts)
    return f"webhook {d.event} {str(d.event_id)[:8]} failed ({error}); next try in {BACKOFF[tries - 1]}"


UNITS = (handle_one_endpoint, handle_one_delivery)


def run_once(now_fn, log=lambda line: None, should_stop=lambda: False) -> int:
    """Queue new events and deliver what is due, until nothing is left."""
    n = 0
    for unit in UNITS:
        while not should_stop():
            result = unit(now_fn())
            if result is False:
                break
            n += 1
            if isinstance(result, str):
                log(result)
    return n
