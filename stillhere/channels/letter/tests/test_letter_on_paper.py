"""A letter a practice would post: rendered to an image as a printer would,
then read as a person (or their phone camera) would read it.

The PDF is rasterised with PDFium (pypdfium2) and the QR code decoded from
the pixels with zxing-cpp; text is located with pypdf so the test can say
*where* the letterhead, the address block and the short link are.
"""

import io

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from stillhere.lib.browser import ARTIFACTS
from stillhere.outreach.models import Letter, OutreachSettings, ShortLink
from stillhere.outreach.tests.helpers import OutreachTestCase, post_a_letter

MM = 72 / 25.4
PUBLIC = "https://care.riverside.example"


def words_at(data: bytes) -> list[tuple[str, float, float]]:
    """(text, x mm from the left, y mm from the top) for every run of text."""
    found = []

    def visitor(text, cm, tm, font, size):
        if text.strip():
            found.append((text.strip(), tm[4] / MM, 297 - tm[5] / MM))
    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visitor)
    return found


def page_image(data: bytes, dpi: int = 150):
    pdf = pypdfium2.PdfDocument(data)
    return pdf[0].render(scale=dpi / 72).to_pil()


class LetterOnPaperTest(OutreachTestCase):
    def setUp(self):
        super().setUp()
        # The practice's own name says "therapy"; the letter must not.
        self.riverside.name = "Riverside Therapy Centre"
        self.riverside.save()
        OutreachSettings.objects.create(practice=self.riverside, sender_name="Riverside Associates",
                                        return_address="1 Quay Street\nFairhaven FH1 1AA",
                                        practice_phone="01632 960 000", public_url=PUBLIC)
        self.letter = Letter.objects.get(step=post_a_letter(self))
        self.pdf = bytes(self.letter.pdf)

    def test_letterhead_address_block_short_link_and_a_qr_that_opens_the_page(self):
        found = words_at(self.pdf)
        top = [t for t, x, y in found if y < 42]
        self.assertIn("Alice, Riverside Associates", top)
        self.assertIn("1 Quay Street", top)
        self.assertIn("Phone 01632 960 000", top)
        window = [t for t, x, y in found if 19 <= x <= 106 and 44 <= y <= 91]
        for line in ("Ana Abbott", "4 Mill Lane", "Fairhaven", "FH1 2AB"):
            self.assertIn(line, window)
        text = " ".join(t for t, _, _ in found)
        self.assertNotIn("Therapy", text)

        link = ShortLink.objects.get(step=self.letter.step)
        self.assertRegex(link.code, r"^[2-9a-hjkmnp-z]{9}$")
        url = f"{PUBLIC}/l/{link.code}/"
        self.assertIn(f"care.riverside.example/l/{link.code}", text)
        self.assertIn(url, text)  # in the letter's words, too
        self.assertNotIn("127.0.0.1", text)
        self.assertIn("Phone 01632 960 000", [t for t, _, y in found if y > 42])  # the reply box

        image = page_image(self.pdf)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        image.save(ARTIFACTS / "letter-page.png")
        codes = zxingcpp.read_barcodes(image)
        self.assertEqual([c.text for c in codes], [url])
        self.assertEqual(codes[0].format, zxingcpp.BarcodeFormat.QRCode)
        # The QR sits in the reply box at the foot of the page, not over the text.
        box = codes[0].position
        self.assertGreater(min(box.top_left.y, box.top_right.y) / (150 / 25.4), 200)

    def test_the_text_is_left_aligned(self):
        # Every body line starts at the left margin (20 mm, plus the cell's
        # 1 mm padding), and no line is stretched: fpdf2 justifies a line by
        # widening its word gaps in a TJ array, so there must be none.
        body = [(t, x) for t, x, y in words_at(self.pdf) if 100 <= y < 230]
        self.assertGreater(len(body), 8)
        self.assertTrue(all(20 <= x <= 21.5 for _, x in body), body)
        content = PdfReader(io.BytesIO(self.pdf)).pages[0].get_contents().get_data()
        self.assertNotIn(b"TJ", content)
