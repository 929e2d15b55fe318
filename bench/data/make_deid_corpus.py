"""Write bench/data/deid_corpus.jsonl: synthetic clinician notes with every planted identifier annotated.

Written by the stillhere team for the de-identification bench; nothing is
copied from real notes. Every name, place and number below was made up
here (numbers use reserved ranges: 07700 900xxx, 555-01xx, example.*), and
none of these lists is read by the filter: the names a note plants are
either in that note's "known" practice records (layer 1) or must be found
by the library and the heuristics (layer 2).

Run: python bench/data/make_deid_corpus.py  (deterministic; seed below)
"""

import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

SEED, N = 20261113, 360
FIRST = """Tomasz Bea Zoë Hope Grace Will Rose Faith Mark Anne-Marie Jean-Luc Siobhan Priya Oluwaseun Ifeoma Eilidh Tadhg
Wiremu Kaveh Dervla Łukasz Siân Chloé José Søren Agnieszka Bartek Niamh Callum Ayesha Imran Farah Kemi Chidi Tunde
Marta Dorota Kasia Raj Sunita Deepa Arjun Yusuf Leila Omar Hamza Ines Lucía Mateo Ruairí Orla Fionnuala Ciarán Aisling
Kofi Ama Abena Yaw Efua Thandiwe Sipho Nomvula Lwazi Mei Wen Hiroshi Yuki Minh Linh Tuan Huong Anya Dmitri Olena Bohdan
Saoirse Cormac Rhiannon Gethin Bryony Tamsin Jago Keziah Ezra Micah Zeki Elif Emre Selin Noor Zainab Rafael Beatriz
Joaquim Ingrid Astrid Mikkel Freya Hallie Dexter Jodie Kayleigh Shannon Tyrone Lorcan Effie Wilf Ottilie Hamish Isla
Morven Eilif Paloma Giulia Matteo Francesca Lorenzo Amara Tobias Nell Kit Ronan Clodagh Sorcha Darragh Cerys Iolo""".split()
LAST = """Nowak Kowalczyk Wiśniewska Patel Okafor Adeyemi Nguyen Tran O'Connor MacLeod Ó Súilleabháin Smith-Jones
Fairbairn Ashworth Pemberton Haldane Crossley Brannigan Duffy Mulvaney Kaur Sandhu Chaudhry Qureshi Rahman Begum
Mensah Owusu Boateng Asante Ndlovu Dlamini Khumalo Zhang Huang Tanaka Sato Ivanova Kovalenko Shevchenko Müller
Björklund Lindqvist Rossi Esposito Bianchi Fernández Gutiérrez Silva Pereira Yilmaz Demir Kaya Hussain Iqbal Malik
Brennan Gallagher Cassidy Lennox Strachan Thornbury Whitlock Bellamy Cartwright Hollis Penhaligon Trevithick Jenner
Ravensworth Okonkwo Eze Nwosu Achebe Haddad Nasser Farouk Karimi Moradi Tehrani Lund Vesterberg Hartigan Kinsella""".split()
TOWNS = """Leeds, Hebden Bridge, Stockport, Dundee, Ballymena, Ashby-de-la-Zouch, Todmorden, Kirkcaldy, Aberystwyth, Whitby,
Saltaire, Keighley, Ormskirk, Llandudno, Portrush, Penzance, Bridlington, Hexham, Otley, Ilkley, Mold, Wrexham, Cork,
Galway, Gdańsk, Kraków, Lagos, Accra, Karachi, Lahore, Harrogate, Skipton, Morecambe, Castleford, Pontefract""".replace(
    "\n", " ").split(", ")
STREETS = """Wharf Road|Tanner's Lane|Beechwood Avenue|Marsh Street|Kingfisher Close|Albion Terrace|Rosemount Crescent|
Quarry Hill|Chapel Row|Hollins Lane|Sandpiper Way|Thornfield Drive|Abbey Mews|Cobden Street|Larkspur Grove""".replace(
    "\n", "").split("|")
WORK = """Riverside Bakery|Kestrel Logistics|Hallam Street Pharmacy|Northgate Primary School|St Brigid's Hospital|
Calder Valley Building Society|Harbourside Dental|Moorview Care Home|the Dog and Partridge|Fenwick Engineering|
Brightwater Academy|Pennine Print Works|Elland Road Garage|Bluebell Nursery|Ashgrove Leisure Centre""".replace(
    "\n", "").split("|")
PRACTICES = ["Harbour Lane Therapy", "Calder Counselling", "Moss Side Psychology", "Northern Light Therapy"]
CLINICIANS = [("Alice", "Moreau"), ("Ben", "Okoro"), ("Carys", "Llewellyn"), ("Dev", "Rao")]

# Clinical words a consultant needs; [[x]] in a template marks one that must survive.
TEMPLATES = [
    "{C} arrived twenty minutes late and said {P} had kept her up arguing until 3am.",
    "{c_lower} was quiet today; we returned to the [[CBT]] formulation and the [[safety plan]].",
    "{C}'s [[PHQ-9]] was 17 and [[GAD-7]] 15, both up since {D}.",
    "Her ex-partner {P_full} turned up at {W} on {D}, where she works; she left by the back door.",
    "{C} told me her sister {P} now lives on {S} in {T} and wants her to move there.",
    "We talked about {O}, another client she met in the waiting room, and how she worries {O} judges her.",
    "She rang from {PH} on {D} to cancel, then texted again from a different number, {PH}.",
    "{C} asked me to email {EM} rather than the address on file.",
    "Her brother posts about her on Instagram as {H}; she showed me the account at {URL}.",
    "The GP, Dr {P_last}, has started her on [[sertraline]] 50mg; the [[NHS]] number on the letter was {NHS}.",
    "Hospital notes list her MRN as {MRN} after the [[A&E]] visit on {D}.",
    "Her grandmother, who is {AGE}, still lives alone in {T}.",
    "{P} has been coming to the sessions on {D} with her, which she says helps with the [[panic attacks]].",
    "Mrs {P_last} from {W} phoned about a reference; I did not confirm that {C} is seen here.",
    "Coach {P_last} dropped her from the team after {D} and she has not been back to {W} since.",
    "We practised [[grounding]] and revisited the [[Window of Tolerance]]; {C_pref} said it felt silly but helped.",
    "{C} described [[dissociation]] during the [[EMDR]] set and we paused; her [[SUDs]] rating was [[6/10]] at the end.",
    "{P_full} (her manager) told her on {D} that she might lose her shift pattern.",
    "Her insurer's policy number is {INS}; the claim was refused on {D}.",
    "She gave her National Insurance number, {NI}, to the benefits office on {D} and worries it was shared.",
    "{P} and {P2} came to the flat on {S} on {D}; [[Mum]] did not answer the door.",
    "[[ORS]] was 22 and [[SRS]] 36 today; {C} said the session felt rushed.",
    "She compared me with her last therapist, {P_full}, who 'actually listened'.",
    "{P}'s wedding is on {D}, and {C} says she cannot face going home to {T} for it.",
    "Her dad's {AGE_PHR} neighbour {P} looks in on him every morning.",
    "{C_full} missed the appointment on {D}; no reply to my call to {PH}.",
    "{C} said: '{P} keeps saying I'm the problem.' We looked at this through the [[DBT]] lens of [[validation]].",
    "I noticed I rushed past it when {C} mentioned {P}; the [[rupture]] was not named.",
    "{P} from the {W} team texted her at {PH} about the rota, which triggered the [[panic]].",
    "She wants a referral for an [[ADHD]] assessment; {P_full} at {W} suggested it.",
    "We agreed to meet [[next Tuesday]] instead; she still finds [[Mondays]] hardest since {D}.",
    "Social worker {P_full} ({EM}) asked for an update before {D}.",
    "The letter from {W} was addressed to {C_full}, {S_num}, {T}.",
    "{C} said her daughter {P} turned {KIDAGE} on {D}, and the party was at {W}.",
    "{P_lower} apparently told her family everything; she was tearful and we used [[paced breathing]].",
    "{C} keeps a blog at {URL} and a TikTok, {H}, about her recovery from [[OCD]].",
    "Her partner {P} thinks the [[behavioural activation]] homework is pointless.",
    "Dr {P_full}, the psychiatrist at {W}, reviewed her [[bipolar disorder]] medication on {D}.",
    "Spoke with {CL} in supervision about {C_pref}; the [[transference]] felt strong.",
    "On {D} she said {P2} had moved out and taken the car.",
]


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        if check != 10:
            s = "".join(map(str, digits + [check]))
            return f"{s[:3]} {s[3:6]} {s[6:]}"


def fmt_date(d: date, rng: random.Random) -> str:
    day = d.day
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    forms = [f"{day} {d:%b} {d.year}", f"{d:%A} {day} {d:%b} {d.year}", f"the {day}{suffix} of {d:%B}",
             f"{d.month}/{day}" if day > 12 else f"{day}/{d.month}", f"{day:02d}.{d.month:02d}.{d.year}",
             f"{d:%b} {day}, {d.year}", d.isoformat(), f"{day:02d}/{d.month:02d}/{d.year}", f"{d:%B} {day}{suffix}",
             f"{d:%a} {day} {d:%B}", f"{day}{suffix} {d:%B}", f"{d:%B} {d.year}"]
    return rng.choice(forms)


def phone(rng):
    return rng.choice([f"07700 900{rng.randint(0, 999):03d}", f"+44 7700 900{rng.randint(0, 999):03d}",
                       f"0113 496 0{rng.randint(0, 999):03d}", f"(212) 555-01{rng.randint(0, 99):02d}",
                       f"020 7946 0{rng.randint(0, 999):03d}", f"212-555-01{rng.randint(0, 99):02d}"])


def make_note(i: int, rng: random.Random) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    pref = rng.choice(["", "", first[:3] if len(first) > 4 else ""])
    clin = rng.choice(CLINICIANS)
    others = [(rng.choice(FIRST), rng.choice(LAST)) for _ in range(3)]
    used = {first, last, pref, *clin, *(n for o in others for n in o)}
    strangers = [n for n in FIRST if n not in used]
    surnames = [n for n in LAST if n not in used]
    year = 2026
    text, phi, keep = "", [], []

    def put(value, kind):
        nonlocal text
        phi.append({"start": len(text), "end": len(text) + len(value), "kind": kind, "text": value})
        text += value

    slots = {
        "C": lambda: put(first, "client"), "C_full": lambda: put(f"{first} {last}", "client"),
        "C_pref": lambda: put(pref or first, "client"), "c_lower": lambda: put(first.lower(), "client"),
        "P": lambda: put(rng.choice(strangers), "person"), "P2": lambda: put(rng.choice(strangers), "person"),
        "P_full": lambda: put(f"{rng.choice(strangers)} {rng.choice(surnames)}", "person"),
        "P_last": lambda: put(rng.choice(surnames), "person"),
        "P_lower": lambda: put(rng.choice(strangers).lower(), "person"),
        "O": lambda: put(others[0][0], "another_client"), "CL": lambda: put(clin[0], "clinician"),
        "T": lambda: put(rng.choice(TOWNS), "place"), "S": lambda: put(rng.choice(STREETS), "place"),
        "S_num": lambda: put(f"{rng.randint(2, 180)} {rng.choice(STREETS)}", "place"),
        "W": lambda: put(rng.choice(WORK).removeprefix("the "), "workplace"),
        "D": lambda: put(fmt_date(date(year, 1, 1) + timedelta(days=rng.randint(0, 330)), rng), "date"),
        "PH": lambda: put(phone(rng), "phone"),
        "EM": lambda: put(f"{rng.choice(strangers).lower()}.{rng.choice(surnames).lower()}"
                          f"{rng.randint(1, 99)}@example.{rng.choice(['com', 'org', 'co.uk'])}".replace("'", "")
                          .replace(" ", ""), "email"),
        "URL": lambda: put(rng.choice([f"www.{rng.choice(strangers).lower()}-writes.example.com",
                                       f"https://example.org/{rng.choice(strangers).lower()}",
                                       f"https://linkedin.example.com/in/{rng.choice(surnames).lower()}"]), "url"),
        "H": lambda: put(f"@{rng.choice(strangers).lower()}_{rng.randint(1, 99)}", "handle"),
        "NHS": lambda: put(nhs_number(rng), "identifier"),
        "MRN": lambda: put(rng.choice([f"{rng.randint(10**7, 10**8 - 1)}", f"RX{rng.randint(10**6, 10**7 - 1)}"]),
                           "identifier"),
        "INS": lambda: put(f"AXA-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}", "identifier"),
        "NI": lambda: put(f"Q{rng.choice('QRSTW')} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                          f"{rng.randint(10, 99)} {rng.choice('ABCD')}", "identifier"),
        "AGE": lambda: put(str(rng.randint(90, 103)), "age_over_89"),
        "AGE_PHR": lambda: put(f"{rng.randint(90, 101)}-year-old", "age_over_89"),
        "KIDAGE": lambda: text_add(str(rng.randint(3, 17))),
    }

    def text_add(s):
        nonlocal text
        text += s

    for tpl in rng.sample(TEMPLATES, rng.randint(3, 6)):
        for piece in re.split(r"(\{\w+\}|\[\[[^\]]+\]\])", tpl):
            if piece.startswith("{"):
                slots[piece[1:-1]]()
            elif piece.startswith("[["):
                keep.append({"start": len(text), "end": len(text) + len(piece) - 4, "term": piece[2:-2]})
                text += piece[2:-2]
            else:
                text += piece
        text += rng.choice([" ", " ", "\n"])
    return {"id": i, "text": text.strip(), "year": year, "phi": phi, "keep": keep,
            "known": {"client": [first, last, pref], "clinician": list(clin),
                      "practice": rng.choice(PRACTICES), "other_clients": [list(o) for o in others]}}


def main() -> None:
    rng = random.Random(SEED)
    out = Path(__file__).with_name("deid_corpus.jsonl")
    with out.open("w") as f:
        for i in range(N):
            f.write(json.dumps(make_note(i, rng), ensure_ascii=False) + "\n")
    print(f"wrote {N} notes to {out}")


if __name__ == "__main__":
    main()
