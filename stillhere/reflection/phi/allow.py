"""Layer 3: words that must survive de-identification.

A consultation summary is useless if it loses what the work was: the
therapy (CBT, EMDR), the measures (PHQ-9, ORS), the diagnoses and the
people a client talks about by role ("Mum"). Capitalised, unusual or
acronym-shaped, these look like names to the other layers, so they are
protected here. The list names kinds of things, never people or places:
nothing on it can identify anyone.
"""

import re

from .fold import fold

# Therapies, measures, services, diagnoses and their usual abbreviations.
CLINICAL = """
CBT DBT EMDR ACT CFT IPT MBCT MBSR CAT DIT IAPT NHS GP A&E ED ICU CMHT CAMHS CRHT EIP NICE DSM DSM-5 ICD ICD-10 ICD-11
PHQ-9 PHQ9 PHQ GAD-7 GAD7 GAD ORS SRS CORE CORE-10 CORE-OM WEMWBS PCL-5 PCL AUDIT DAST BDI BAI HADS K10 OQ-45 SCORE-15
PTSD CPTSD C-PTSD OCD ADHD ADD ASD ASC BPD EUPD PD MDD GAD SAD IBS CFS ME NSSI DSH SH SI TRD BED ARFID PMDD
SSRI SSRIs SNRI SSRI's ECT TMS HRT
Sertraline Fluoxetine Citalopram Escitalopram Mirtazapine Venlafaxine Duloxetine Quetiapine Olanzapine Aripiprazole
Lithium Lamotrigine Diazepam Lorazepam Propranolol Zopiclone Melatonin Methylphenidate Prozac Zoloft Xanax
Socratic Gestalt Rogerian Jungian Freudian
Alcoholics Anonymous AA NA SMART Samaritans Mind Shout
Zoom Teams WhatsApp Instagram Facebook TikTok Snapchat Google Internet
Mum Mom Mummy Mam Dad Daddy Nan Nana Nanna Gran Grandma Grandad Granddad Grandpa Auntie Aunty Uncle
God Jesus Allah Christian Muslim Jewish Hindu Sikh Buddhist Catholic Protestant
Christmas Easter Ramadan Eid Diwali Hanukkah Passover Lent Halloween Thanksgiving New Year Valentine's
English Polish Irish Scottish Welsh British American Spanish French German Italian Portuguese Urdu Punjabi Arabic
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mondays Tuesdays Wednesdays Thursdays Fridays Saturdays Sundays
January February March July September October November December
I I'm I'd I've I'll OK TV PE MRN ID NI SSN DOB NOK DNA DNAs TAU SUDS SUD MH OT SW CPN HCA RMN CPA WRAP MDT CIN LAC SEN SENCO EHCP DWP PIP UC ESA
Ms Mr Mrs Mx Dr Miss Prof Coach
"""

# Clinical phrases kept whole (checked before single words).
PHRASES = [
    "Beck Depression Inventory", "Outcome Rating Scale", "Session Rating Scale", "Acceptance and Commitment Therapy",
    "Compassion Focused Therapy", "Dialectical Behaviour Therapy", "Dialectical Behavior Therapy",
    "Eye Movement Desensitisation and Reprocessing", "Internal Family Systems", "Motivational Interviewing",
    "Cognitive Behavioural Therapy", "Cognitive Behavioral Therapy", "Cognitive Analytic Therapy",
    "Narrative Exposure Therapy", "Schema Therapy", "Emotionally Focused Therapy", "Functional Analysis",
    "Wise Mind", "Safe Place", "Window of Tolerance", "Empty Chair", "Mental Health Act", "Crisis Team",
    "Alcoholics Anonymous", "Narcotics Anonymous", "Borderline Personality Disorder", "Generalised Anxiety Disorder",
    "Generalized Anxiety Disorder", "Post-Traumatic Stress Disorder", "Obsessive-Compulsive Disorder",
    "Major Depressive Disorder", "Bipolar Disorder", "Bipolar II", "Bipolar I", "Asperger's", "Tourette's",
    "Crohn's", "Parkinson's", "Alzheimer's", "Huntington's", "Down syndrome", "Mother's Day", "Father's Day",
    "New Year's Eve", "New Year", "Christmas Eve", "Boxing Day", "Good Friday",
]
# ICD-10 / DSM codes (F32.1, F43.10) are diagnoses, not identifiers.
CODE_RE = re.compile(r"\b[A-Z]\d{2}(?:\.\d{1,2})?\b")
# Scores and ratings ("7/10", "24/40") are clinical facts, not dates.
RATING_RE = re.compile(r"\b\d{1,3}\s*/\s*(?:10|40|100|27|21|5)\b(?=[^/\d]|$)")
RATING_CONTEXT_RE = re.compile(r"(scor|rat|mood|anxi|pain|sleep|out of|distress|SUDs?|level|PHQ|GAD|ORS|SRS|CORE)"
                               r"[^.;\n]{0,25}$", re.I)

WORDS = frozenset(fold(w) for w in CLINICAL.split())
_PHRASE_RE = re.compile("|".join(r"(?<!\w)" + re.escape(fold(p)) + r"(?!\w)"
                                 for p in sorted(PHRASES, key=len, reverse=True)))


def is_allowed(word: str) -> bool:
    """A single word (any case or accents) that is clinical vocabulary."""
    return fold(word) in WORDS or fold(word.rstrip("s")) in WORDS and word[:1].isupper()


def protected_ranges(text: str, folded: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character ranges no layer-2 guess may take out: (words and phrases, scores and codes).

    Dates may use the words (a weekday, a month) but never a score or a code."""
    words = [m.span() for m in _PHRASE_RE.finditer(folded)]
    numbers = [m.span() for m in CODE_RE.finditer(text)]
    for m in RATING_RE.finditer(text):
        if RATING_CONTEXT_RE.search(text[max(0, m.start() - 40):m.start()]) or m.group().endswith(("/40", "/100")):
            numbers.append(m.span())
    for m in re.finditer(r"[\w&'’-]+", text):
        w = m.group().strip("'’-")
        if w and (fold(w) in WORDS or fold(re.sub(r"['’]s$", "", w)) in WORDS):
            words.append(m.span())
    return words, numbers
