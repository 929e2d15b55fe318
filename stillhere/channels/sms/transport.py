"""Text messages through the configured SMS provider (see providers.py)."""

from stillhere.outreach.templating import site_url
from stillhere.outreach.transports import Transport, TransportError

from .providers import get_provider


class Sms(Transport):
    def notify(self, step, attempt) -> str:
        to = step.client.phone
        if not to:
            raise TransportError("The client has no phone number", permanent=True)
        # \xa0 forces the expensive UCS-2 encoding: twice the texts for nothing.
        body = step.body.replace("\xa0", " ")
        callback = f"{site_url()}/outreach/status/{attempt.code}/"
        return get_provider().send(to, body, callback)
