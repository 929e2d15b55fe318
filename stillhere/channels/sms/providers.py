"""SMS providers behind one small interface.

To add a provider, subclass SmsProvider, implement its four methods and add
it to PROVIDERS; choose it with SMS_PROVIDER. Every HTTP call goes through
stillhere.lib.http.

Twilio is implemented with its real request formats:
- send: POST {TWILIO_API_URL}/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json,
  form-encoded To, From (or MessagingServiceSid), Body, StatusCallback, with
  HTTP basic auth (account sid, auth token); the answer is JSON with "sid";
- webhooks (inbound messages, status callbacks) are form posts signed with
  X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + the POST parameters
  sorted by name, each name followed by its value)).
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from stillhere.lib import http
from stillhere.outreach.transports import TransportError


@dataclass
class InboundSms:
    sender: str
    to: str
    body: str
    message_id: str


@dataclass
class DeliveryStatus:
    message_id: str
    status: str
    failed: bool


class SmsProvider:
    name = ""

    def send(self, to: str, body: str, status_callback: str) -> str:
        """Hand one text to the provider; return its message id."""
        raise NotImplementedError

    def verify(self, url: str, params: dict, headers) -> bool:
        """Is this webhook really from the provider?"""
        raise NotImplementedError

    def parse_inbound(self, params: dict) -> InboundSms:
        raise NotImplementedError

    def parse_status(self, params: dict) -> DeliveryStatus:
        raise NotImplementedError


class Twilio(SmsProvider):
    name = "twilio"
    INVALID_NUMBER_CODES = {21211, 21214, 21610, 21614}  # invalid, unreachable, opted out, not mobile

    def __init__(self):
        self.account = getattr(settings, "TWILIO_ACCOUNT", "")
        self.token = getattr(settings, "TWILIO_AUTH", "")
        self.sender = getattr(settings, "TWILIO_FROM", "")
        self.service = getattr(settings, "TWILIO_MESSAGING_SERVICE_SID", "")
        self.api = getattr(settings, "TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
        if not (self.account and self.token and (self.sender or self.service)):
            raise TransportError("Text messages are not set up (TWILIO_ACCOUNT, TWILIO_AUTH, TWILIO_FROM)")

    def send(self, to, body, status_callback):
        data = {"To": to, "Body": body, "StatusCallback": status_callback}
        if self.service:
            data["MessagingServiceSid"] = self.service
        else:
            data["From"] = self.sender
        url = f"{self.api}/2010-04-01/Accounts/{self.account}/Messages.json"
        last = None
        for _ in range(3):  # only for failures where nothing was accepted
            try:
                r = http.request("POST", url, data=data, auth=(self.account, self.token))
            except http.HttpError as e:
                last = TransportError(e.message)
                continue
            if r.status_code in (200, 201):
                try:
                    return str(r.json()["sid"])
                except (ValueError, KeyError, TypeError):
                    raise TransportError("The provider accepted the text but gave no message id") from None
            last = self.error_for(r)
            if last.permanent or r.status_code < 500:
                break
        raise last

    def error_for(self, r) -> TransportError:
        try:
            code = int(json.loads(r.content).get("code"))
        except (ValueError, TypeError, AttributeError):
            code = None
        if code in self.INVALID_NUMBER_CODES:
            return TransportError(f"The provider cannot text this number (error {code})", permanent=True)
        if r.status_code == 401:
            return TransportError("The provider refused our credentials (HTTP 401)")
        return TransportError(f"The provider answered HTTP {r.status_code}" + (f" (error {code})" if code else ""))

    def signature(self, url: str, params: dict) -> str:
        payload = url + "".join(k + params[k] for k in sorted(params))
        digest = hmac.new(self.token.encode(), payload.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def verify(self, url, params, headers):
        given = headers.get("X-Twilio-Signature", "")
        return bool(given) and hmac.compare_digest(given, self.signature(url, params))

    def parse_inbound(self, params):
        return InboundSms(params.get("From", ""), params.get("To", ""), params.get("Body", ""),
                          params.get("MessageSid", ""))

    def parse_status(self, params):
        status = params.get("MessageStatus", "")
        return DeliveryStatus(params.get("MessageSid", ""), status, status in ("failed", "undelivered"))


PROVIDERS = {"twilio": Twilio}


def get_provider() -> SmsProvider:
    name = getattr(settings, "SMS_PROVIDER", "twilio")
    if name == "outbox":  # the local outbox (make demo): kept, not sent
        from stillhere.channels.outbox import OutboxSms

        return OutboxSms()
    if name not in PROVIDERS:
        raise TransportError(f"Unknown SMS_PROVIDER {name!r}; choose one of {', '.join(PROVIDERS)}")
    return PROVIDERS[name]()
