"""The local outbox: emails and texts kept in the database instead of sent.

`make demo` uses it, so a newcomer sees the whole loop (a draft approved,
the message "going out", the client's link, their answer) without a mail
server or an SMS provider; the staff page /outreach/outbox/ shows what went
out. It is chosen by settings alone (EMAIL_BACKEND, SMS_PROVIDER=outbox);
production settings keep SMTP and the real provider, and send for real.
"""

from django.core.mail.backends.base import BaseEmailBackend

from stillhere.channels.sms.providers import DeliveryStatus, InboundSms, SmsProvider

EMAIL_BACKEND = "stillhere.channels.outbox.EmailBackend"


def keep(channel: str, *, sender: str, to: str, subject: str = "", body: str):
    from stillhere.outreach.models import OutboxMessage

    return OutboxMessage.objects.create(channel=channel, sender=sender[:300], to=to[:300], subject=subject[:300],
                                        body=body)


class EmailBackend(BaseEmailBackend):
    """Django email backend: each message becomes one outbox row."""

    def send_messages(self, email_messages):
        n = 0
        for msg in email_messages:
            keep("email", sender=msg.from_email or "", to=", ".join(msg.to), subject=msg.subject, body=msg.body)
            n += 1
        return n


class OutboxSms(SmsProvider):
    """SMS_PROVIDER=outbox: texts are kept, never sent; no webhooks arrive."""

    name = "outbox"

    def send(self, to, body, status_callback):
        return f"outbox-{keep('sms', sender='', to=to, body=body).pk}"

    def verify(self, url, params, headers):
        return False  # nothing outside may post as the outbox

    def parse_inbound(self, params):
        return InboundSms("", "", "", "")

    def parse_status(self, params):
        return DeliveryStatus("", "", False)
