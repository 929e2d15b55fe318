"""Email over SMTP through Django's email backend.

The Message-ID is made from the attempt's code and stored before sending, so
an interrupted send can still be looked up in the mail server's log. Replies
go to a per-attempt address (REPLY_EMAIL_ADDRESS with a +tag) so an inbound
reply attaches to the right client.
"""

import smtplib
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection

from stillhere.outreach import exposed
from stillhere.outreach.transports import Transport, TransportError


def from_line(step) -> str:
    """The From header: the neutral sender name (never the practice's name
    if that says "therapy") on the configured sending address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((exposed.sender_name(step.practice, step.episode.clinician.name),
                       address or settings.DEFAULT_FROM_EMAIL))


def reply_address(attempt) -> str | None:
    base = getattr(settings, "REPLY_EMAIL_ADDRESS", "")
    if not base or "@" not in base:
        return None
    local, domain = base.split("@", 1)
    return f"{local}+{attempt.code.hex}@{domain}"


class Email(Transport):
    def known_id(self, attempt) -> str:
        domain = getattr(settings, "EMAIL_MESSAGE_ID_DOMAIN", "stillhere.invalid")
        return f"<{attempt.code.hex}@{domain}>"

    def notify(self, step, attempt) -> str:
        to = step.client.email
        if not to:
            raise TransportError("The client has no email address", permanent=True)
        headers = {"Message-ID": attempt.provider_id or self.known_id(attempt)}
        sender = exposed.sender_name(step.practice, step.episode.clinician.name)
        reply_to = [a] if (a := reply_address(attempt)) else None
        msg = EmailMessage(step.subject or "A note from " + sender, step.body,
                           from_line(step), [to], reply_to=reply_to, headers=headers,
                           connection=get_connection(fail_silently=False, timeout=20))
        try:
            # Built first: a line break in the subject or address is refused
            # here, before the mail server is reached, so the step ends
            # "failed" (nothing went) and not "uncertain".
            msg.message()
        except (BadHeaderError, ValueError):
            raise TransportError("The subject or the address has a line break in it; nothing was sent",
                                 permanent=True) from None
        try:
            msg.send()
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            raise TransportError(f"The mail server refused the address (code {codes[0]})",
                                 permanent=all(500 <= c < 600 for c in codes)) from None
        except smtplib.SMTPResponseException as e:
            raise TransportError(f"The mail server said {e.smtp_code}", permanent=False) from None
        except (smtplib.SMTPException, OSError) as e:
            raise TransportError(f"Could not reach the mail server ({type(e).__name__})") from None
        return headers["Message-ID"]
