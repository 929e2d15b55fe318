"""Channel transports, registered in one place as healthchecks does.

A transport hands one step to its channel: `notify(step, attempt)` returns
the provider's message id (or "") once the channel has accepted the message,
and raises TransportError otherwise. Each channel lives in its own folder
under stillhere/channels/ with its transport, templates and tests.
"""

from importlib import import_module

TRANSPORTS = {
    "call": ("Phone call", "stillhere.channels.call.transport.Call"),
    "email": ("Email", "stillhere.channels.email.transport.Email"),
    "sms": ("Text message", "stillhere.channels.sms.transport.Sms"),
    "letter": ("Letter", "stillhere.channels.letter.transport.Letter"),
}
KIND_CHOICES = tuple((kind, label) for kind, (label, _) in TRANSPORTS.items())


class TransportError(Exception):
    """`permanent` means retrying cannot help (an invalid number, a hard
    bounce): the channel is blocked for this client."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport:
    # What the step becomes once this transport has accepted it.
    handed_off_status = "sent"

    def __init__(self, step):
        self.step = step

    def known_id(self, attempt) -> str:
        """A provider id known before sending (an email's Message-ID), stored
        with the attempt so even an interrupted send can be looked up."""
        return ""

    def notify(self, step, attempt) -> str:
        raise NotImplementedError


def get_transport(step) -> Transport:
    _, path = TRANSPORTS[step.channel]
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)(step)
