"""Print-ready letters: A4, with the address where a window envelope shows it.

The address block follows DIN 5008 form B, which fits the common DL and C5
window envelopes: a field 85 mm wide starting 20 mm from the left and 45 mm
from the top, a small return-address line first, then the recipient. The
only words visible through the window are the return line and the address,
so neither may reveal therapy (the tone check looks at both).
"""

import unicodedata
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WINDOW_X, WINDOW_Y, WINDOW_W = 20, 45, 85
BODY_Y = 100


def envelope_lines(step) -> list[str]:
    """What shows through the envelope window: return line, then recipient."""
    from stillhere.outreach.models import OutreachSettings

    client = step.client
    prefs = OutreachSettings.for_practice(step.practice)
    ret = " · ".join(line.strip() for line in prefs.return_address.splitlines() if line.strip())
    name = f"{client.first_name} {client.last_name}".strip()
    lines = [ret or step.practice.name, name, client.address_line1, client.address_line2,
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


def add_letter(doc: _Doc, step, when: datetime) -> None:
    doc.add_page()
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
        doc.multi_cell(170, 5.5, doc.safe(para) or " ", new_x="LMARGIN", new_y="NEXT")


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
