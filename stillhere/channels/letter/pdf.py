"""Print-ready letters: A4, with the address where a window envelope shows it.

The address block follows DIN 5008 form B, which fits the common DL and C5
window envelopes: a field 85 mm wide starting 20 mm from the left and 45 mm
from the top, a small return-address line first, then the recipient. The
only words visible through the window are the return line and the address,
so neither may reveal therapy (the tone check looks at both).

Above it, on the right, the letterhead: the neutral sender name, the
practice's postal address and phone. Text is left-aligned (justified text
leaves rivers that are hard to read). Below the letter, a way to answer
without a computer: the phone number, the postal address, and the short
link with a QR code a phone camera opens.
"""

import unicodedata
from datetime import datetime
from pathlib import Path

import segno
from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WINDOW_X, WINDOW_Y, WINDOW_W = 20, 45, 85
BODY_Y = 100


QR_MM = 26


def envelope_lines(step) -> list[str]:
    """What shows through the envelope window: return line, then recipient."""
    from stillhere.outreach import exposed
    from stillhere.outreach.models import OutreachSettings

    client = step.client
    prefs = OutreachSettings.for_practice(step.practice)
    ret = " · ".join(line.strip() for line in prefs.return_address.splitlines() if line.strip())
    name = exposed.plain_name(f"{client.first_name} {client.last_name}")
    lines = [ret or exposed.neutral_practice_name(step.practice, prefs), name, client.address_line1,
             client.address_line2,
             " ".join(p for p in (client.city, client.region) if p), client.postal_code,
             client.country if client.country and client.country != "GB" else ""]
    return [lines[0]] + [line for line in lines[1:] if line]


class _Doc(FPDF):
    def __init__(self):
        super().__init__(format="A4", unit="mm")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        if (FONT_DIR / "DejaVuSans.ttf").exists():
            self.add_font("Body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.family = "Body"
            self.unicode = True
        else:  # core font: Latin-1 only, so fold other letters to their base
            self.family = "Helvetica"
            self.unicode = False

    def safe(self, text: str) -> str:
        if self.unicode:
            return text
        text = text.replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-").replace("·", "-")
        return "".join(c if ord(c) < 256 else unicodedata.normalize("NFKD", c)[0] for c in text)


def letterhead(step) -> dict:
    """The sender's block at the top and the ways to answer at the foot."""
    from stillhere.outreach import exposed
    from stillhere.outreach.models import OutreachSettings
    from stillhere.outreach.shortlinks import display_url, short_url

    prefs = OutreachSettings.for_practice(step.practice)
    url = short_url(step) if step.pk else ""
    return {
        "name": exposed.sender_name(step.practice, step.episode.clinician.name, prefs),
        "address": [line.strip() for line in prefs.return_address.splitlines() if line.strip()],
        "phone": prefs.practice_phone.strip(),
        "url": url,
        "shown_url": display_url(url) if url else "",
    }


def add_letter(doc: _Doc, step, when: datetime) -> None:
    doc.add_page()
    head = letterhead(step)
    doc.set_xy(110, 18)
    doc.set_font(doc.family, size=12)
    doc.cell(80, 6, doc.safe(head["name"]), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(doc.family, size=9)
    for line in head["address"] + ([f"Phone {head['phone']}"] if head["phone"] else []):
        doc.set_x(110)
        doc.cell(80, 4.5, doc.safe(line), align="R", new_x="LMARGIN", new_y="NEXT")
    lines = envelope_lines(step)
    doc.set_font(doc.family, size=7)
    doc.set_xy(WINDOW_X, WINDOW_Y)
    doc.cell(WINDOW_W, 4, doc.safe(lines[0]), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(doc.family, size=11)
    doc.set_xy(WINDOW_X, WINDOW_Y + 7)
    for line in lines[1:]:
        doc.set_x(WINDOW_X)
        doc.cell(WINDOW_W, 5, doc.safe(line), new_x="LMARGIN", new_y="NEXT")
    doc.set_xy(125, WINDOW_Y + 7)
    local = when.astimezone(step.practice.tz)
    doc.cell(65, 5, f"{local.day} {local:%B %Y}", align="R")
    doc.set_xy(20, BODY_Y)
    doc.set_font(doc.family, size=11)
    for para in step.body.split("\n"):
        doc.multi_cell(170, 5.5, doc.safe(para) or " ", align="L", new_x="LMARGIN", new_y="NEXT")
    add_reply_box(doc, head)


def add_reply_box(doc: _Doc, head: dict) -> None:
    """How to answer without a computer: phone, post, or the phone's camera."""
    if not (head["phone"] or head["address"] or head["url"]):
        return
    height = QR_MM + 8
    if doc.get_y() + height + 8 > doc.h - doc.b_margin:
        doc.add_page()
    top = max(doc.get_y() + 8, doc.h - doc.b_margin - height)
    doc.set_draw_color(150, 150, 150)
    doc.rect(20, top, 170, height)
    doc.set_xy(24, top + 4)
    doc.set_font(doc.family, size=10)
    doc.cell(130, 5, "To answer, whichever is easiest for you:", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(doc.family, size=9.5)
    ways = []
    if head["phone"]:
        ways.append(f"Phone {head['phone']}")
    if head["address"]:
        ways.append("Write to " + ", ".join(head["address"]))
    if head["url"]:
        ways.append(f"Type {head['shown_url']} into a browser, or point your phone's camera at the square")
    for way in ways:
        doc.set_x(24)
        doc.multi_cell(125, 4.8, doc.safe(way), align="L", new_x="LMARGIN", new_y="NEXT")
    if head["url"]:
        draw_qr(doc, head["url"], 190 - 4 - QR_MM, top + 4, QR_MM)


def draw_qr(doc: _Doc, url: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares: sharp at any printer resolution."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(r) for r in qr.matrix]
    module = size / len(rows)
    doc.set_fill_color(0, 0, 0)
    for j, row in enumerate(rows):
        i = 0
        while i < len(row):
            if row[i]:
                start = i
                while i < len(row) and row[i]:
                    i += 1
                doc.rect(x + start * module, y + j * module, (i - start) * module, module, style="F")
            else:
                i += 1


def render_letter(step, when: datetime) -> bytes:
    doc = _Doc()
    add_letter(doc, step, when)
    return bytes(doc.output())


def render_batch(letters, when: datetime) -> bytes:
    """One PDF with every letter of a batch, one after another, to print at once."""
    doc = _Doc()
    for letter in letters:
        add_letter(doc, letter.step, letter.created or when)
    if not letters:
        doc.add_page()
    return bytes(doc.output())
