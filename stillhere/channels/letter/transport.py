"""Letters: "sending" renders the PDF into the practice's open print batch.
Staff print the batch and mark it posted; that marks each letter posted."""

from django.db import IntegrityError, transaction

from stillhere.outreach.models import Letter as LetterRow, PrintBatch
from stillhere.outreach.transports import Transport, TransportError

from .pdf import render_letter


def open_batch(practice) -> PrintBatch:
    batch = PrintBatch.objects.filter(practice=practice, status=PrintBatch.Status.OPEN).first()
    if batch:
        return batch
    try:
        with transaction.atomic():
            return PrintBatch.objects.create(practice=practice)
    except IntegrityError:  # another worker opened it a moment ago
        return PrintBatch.objects.get(practice=practice, status=PrintBatch.Status.OPEN)


class Letter(Transport):
    handed_off_status = "to_print"

    def notify(self, step, attempt) -> str:
        client = step.client
        if not (client.address_line1 and client.postal_code):
            raise TransportError("The client's postal address is incomplete", permanent=True)
        pdf = render_letter(step, attempt.created)
        LetterRow.objects.create(step=step, attempt=attempt, batch=open_batch(step.practice), pdf=pdf)
        return ""
