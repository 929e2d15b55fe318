"""Phone calls are tasks: the "send" puts a call with its script on the
clinician's list, and the outcome (no answer, voicemail left, spoke) is
logged by a person afterwards."""

from stillhere.outreach.transports import Transport


class Call(Transport):
    handed_off_status = "to_call"

    def notify(self, step, attempt) -> str:
        return ""
