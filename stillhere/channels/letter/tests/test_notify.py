"""Letters: a real PDF, read back with pypdf; batches marked posted."""

import io

from pypdf import PdfReader

from stillhere.outreach import actions
from stillhere.outreach.models import Letter, OutreachSettings, PrintBatch
from stillhere.outreach.tests.helpers import DAY1, OutreachTestCase, post_a_letter, td


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


class LetterNotifyTestCase(OutreachTestCase):
    def letter_day(self):
        OutreachSettings.objects.create(practice=self.riverside, return_address="Riverside Practice\n1 Quay St")
        return post_a_letter(self)

    def test_it_renders_a_print_ready_letter_with_the_address_in_the_window(self):
        step = self.letter_day()
        self.assertEqual(step.status, "to_print")
        letter = Letter.objects.get(step=step)
        reader = PdfReader(io.BytesIO(bytes(letter.pdf)))
        self.assertEqual(len(reader.pages), 1)
        page = reader.pages[0]
        self.assertAlmostEqual(float(page.mediabox.width), 595.28, places=0)  # A4
        found = []

        def visitor(text, cm, tm, font, size):
            if text.strip():
                found.append((text.strip(), tm[4], tm[5]))
        page.extract_text(visitor_text=visitor)
        mm = 72 / 25.4
        window = [t for t, x, y in found if 19 * mm <= x <= 106 * mm and 297 * mm - 91 * mm <= y <= 297 * mm - 44 * mm]
        self.assertIn("Ana Abbott", window)
        self.assertIn("4 Mill Lane", window)
        self.assertIn("FH1 2AB", window)
        self.assertTrue(any("Riverside Practice" in t for t in window))
        text = pdf_text(bytes(letter.pdf))
        self.assertIn("Dear Ana", text)
        self.assertIn("the door is open", text.lower())

    def test_marking_the_batch_posted_marks_its_letters_posted(self):
        step = self.letter_day()
        batch = PrintBatch.objects.get()
        self.assertEqual(actions.mark_posted(self.alice, batch.id, DAY1 + td(days=12)), 1)
        step.refresh_from_db()
        self.assertEqual(step.status, "posted")
        with self.assertRaises(Exception):
            actions.mark_posted(self.alice, batch.id, DAY1 + td(days=12))

    def test_another_practice_cannot_post_the_batch(self):
        self.letter_day()
        from django.http import Http404

        with self.assertRaises(Http404):
            actions.mark_posted(self.charlie, PrintBatch.objects.get().id, DAY1)

    def test_the_batch_pdf_holds_every_letter(self):
        self.letter_day()
        self.login(self.adam)
        r = self.client.get(f"/outreach/letters/{PrintBatch.objects.get().id}.pdf")
        self.assertEqual(r["Content-Type"], "application/pdf")
        self.assertIn("Dear Ana", pdf_text(r.content))

    def test_a_clinician_prints_only_letters_to_their_own_clients(self):
        self.letter_day()
        url = f"/outreach/letters/{PrintBatch.objects.get().id}.pdf"
        self.login(self.alice)
        self.assertIn("Dear Ana", pdf_text(self.client.get(url).content))
        # Bob has no client in this batch: the practice's letters are not his to read.
        self.login(self.bob)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.charlie)
        self.assertEqual(self.client.get(url).status_code, 404)
