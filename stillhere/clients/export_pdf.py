"""The client's record as a PDF to read: the same dict as client.json, laid out
in sections with words for labels (fpdf2 and the DejaVu font, as the practice
report and the letters use)."""

import re

from fpdf import FPDF

from stillhere.channels.letter.pdf import FONT_DIR

INK, MUTED, ACCENT = (29, 35, 48), (79, 88, 102), (36, 91, 143)
ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")
HIDE = {"id", "code", "seq"}


def label(key: str) -> str:
    return key.removesuffix("_words").removesuffix("_id").replace("_", " ").capitalize()


def words(value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str):
        m = ISO.match(value)
        return f"{m.group(1)} {m.group(2)} UTC" if m else value
    if isinstance(value, list):
        return ", ".join(words(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {words(v)}" for k, v in value.items())
    return str(value)


class RecordDoc(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4", unit="mm")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_font("Body", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("Body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("stillhere")
        self.title_text = title

    def footer(self):
        self.set_y(-12)
        self.set_font("Body", size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.title_text} · page {self.page_no()}", align="C")

    def h1(self, text):
        self.set_font("Body", "B", 18)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)

    def h2(self, text):
        self.ln(3)
        self.set_font("Body", "B", 13)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)

    def h3(self, text):
        self.ln(1.5)
        self.set_font("Body", "B", 10.5)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")

    def para(self, text, muted=False, size=9.5):
        self.set_font("Body", size=size)
        self.set_text_color(*(MUTED if muted else INK))
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)

    def fields(self, d: dict, skip=()):
        """Each filled-in field as "Label: value", words rather than codes."""
        for key, value in d.items():
            if key in skip or key in HIDE or isinstance(value, (list, dict)) and key not in ("items", "style_flags"):
                continue
            if f"{key}_words" in d:
                continue
            text = words(value)
            if text:
                self.para(f"{label(key)}: {text}")


def render(record: dict) -> bytes:
    c = record["client"]
    name = " ".join(p for p in (c.get("preferred_name") or c.get("first_name"), c.get("last_name")) if p)
    doc = RecordDoc(f"Client record: {name}")
    doc.add_page()
    doc.h1(f"Client record: {name}")
    doc.para(f"{record['practice']} · exported {words(record['exported'])}", muted=True)
    doc.para("Everything stillhere holds about this person. The same record, complete, is in client.json.",
             muted=True)

    doc.h2("Details and consent")
    doc.fields(c)

    doc.h2(f"Episodes of care ({len(record['episodes'])})")
    for e in record["episodes"]:
        ended = f" to {words(e['ended'])}" if e.get("ended") else " (open)"
        doc.h3(f"From {words(e['started'])}{ended}, with {e.get('clinician', '')}")
        doc.fields(e, skip={"clinician", "started", "ended"})
        if e["state_changes"]:
            doc.para("How the engagement state changed:", muted=True)
            for s in e["state_changes"]:
                old = s.get("old_state_words") or s.get("old_state") or "start"
                new = s.get("new_state_words") or s.get("new_state")
                # The reason in words (the code only when no words were kept), and any note.
                why = " ".join(p for p in (s.get("detail") or (s.get("reason") or "").replace("_", " "),
                                           s.get("note")) if p)
                doc.para(f"  {words(s['at'])}: {old} → {new}. {why}".rstrip())
        for b in e["planned_breaks"]:
            doc.para(f"Planned break {words(b['starts'])} to {words(b['ends'])}. {b.get('reason', '')}".rstrip())
        if e["appointments"]:
            doc.para("Sessions:", muted=True)
            for a in e["appointments"]:
                n = f", session {a['session_number']}" if a.get("session_number") else ""
                late = f", {a['minutes_late']} minutes late" if a.get("minutes_late") else ""
                doc.para(f"  {words(a['start'])}: {a.get('status_words') or a['status']}{n}{late}")
                for m in a["markers"]:
                    doc.para(f"    {m.get('kind_words') or m['kind']}. {m.get('note', '')}".rstrip())
        if e.get("current_risk"):
            doc.para(f"Dropout risk now: {words(e['current_risk'])}", muted=True)

    doc.h2(f"Questionnaires ({len(record['measures'])})")
    for m in record["measures"]:
        items = f" (items {words(m['items'])})" if m.get("items") else ""
        doc.para(f"{words(m['taken_on'])}: {m['instrument']} {m['total']:g}{items}, from {m.get('source', '')}")
    if record.get("checkin_interval"):
        doc.para(f"Own check-in interval: {words(record['checkin_interval'])}")

    doc.h2(f"Outreach ({len(record['outreach'])})")
    for b in record["channel_blocks"]:
        doc.para(f"Not used: {b.get('channel_words') or b['channel']} ({b.get('reason', '')})")
    for seq in record["outreach"]:
        doc.h3(f"{seq.get('kind_words') or seq['kind']} from {words(seq['started'])}: "
               f"{seq.get('status_words') or seq['status']}. {seq.get('stop_reason', '')}".rstrip())
        for s in seq["steps"]:
            channel = s.get("channel_words") or s.get("channel") or ""
            doc.para(f"{words(s['due'])}: {s['key'].replace('_', ' ')} by {channel}, "
                     f"{s.get('status_words') or s['status']}")
            if s.get("subject"):
                doc.para(f"  Subject: {s['subject']}")
            if s.get("body"):
                doc.para(s["body"], size=9)
            for a in s["attempts"]:
                doc.para(f"  Attempt {words(a['created'])}: {a.get('status_words') or a['status']}"
                         f"{'. ' + a['error'] if a.get('error') else ''}", muted=True)
            if s.get("letter"):
                doc.para(f"  The letter as printed: {s['letter']['file']}", muted=True)
            if s.get("response"):
                r = s["response"]
                doc.para(f"  Answered {words(r['created'])}: {r.get('choice_words') or r['choice']}. "
                         f"{r.get('what_would_help', '')}".rstrip())

    doc.h2(f"Replies ({len(record['replies'])})")
    for r in record["replies"]:
        doc.para(f"{words(r['received'])}, {r.get('source_words') or r['source']}: {r.get('text', '')}")

    if record["reflections"]:
        doc.h2("The clinician's reviews of the ending")
        for r in record["reflections"]:
            doc.para(f"Review by {r.get('author', '')}, {words(r.get('created'))}"
                     f"{' (complete)' if r.get('complete') else ''}.")
            doc.fields(r, skip={"author", "created", "updated", "complete", "episode"})

    doc.h2(f"Who looked at or changed this record ({len(record['audit_events'])})")
    for a in record["audit_events"]:
        doc.para(f"{words(a['when'])}: {a['who']}, {a['what'].replace('-', ' ')}", size=8.5)
    return bytes(doc.output())
