"""The PHI filter on the cases issue 13 names: word-names, sentence starts and
lower case, hyphens and accents, titles, possessives, other clients, clinical
words, and dates in every common form with weekdays kept true."""

import re
from datetime import date, timedelta

import pytest

from stillhere.reflection.phi import KnownNames, deidentify
from stillhere.reflection.phi.dates import DAYS, MONTHS
from stillhere.reflection.phi.review import flags

OFFSET = timedelta(days=37)


def known(client=(), others=(), clinician=()):
    k = KnownNames()
    for v in client:
        k.add(v, "client")
    for v in others:
        k.add(v, "another client")
    for v in clinician:
        k.add(v, "clinician")
    return k


def clean(text, k=None, offset=OFFSET):
    return deidentify(text, k, offset, 2026).text


@pytest.mark.parametrize("name", ["Hope", "Grace", "Will", "Rose", "Faith", "Mark"])
def test_a_client_named_with_a_word_loses_the_name_and_keeps_the_word(name):
    word = name.lower()
    out = clean(f"{name} said the week had been hard. I {word} it helps.", known([name, "Okafor"]))
    assert out.startswith("[client] said the week"), out
    assert f"I {word} it helps." in out


@pytest.mark.parametrize("name", ["Hope", "Grace", "Will", "Rose", "Faith", "Mark"])
def test_a_word_name_nobody_entered_is_caught_in_the_middle_of_a_sentence(name):
    out = clean(f"She met {name} at the gym and it went badly.")
    assert name not in out and "[name]" in out, out


def test_names_at_the_start_of_a_sentence_and_in_lower_case():
    out = clean("Tomasz called twice. Later tomasz texted her. Oluwaseun was there too.")
    for n in ("Tomasz", "tomasz", "Oluwaseun"):
        assert n not in out, out
    out = clean("nowak was late again.", known(["Ewa", "Nowak"]))
    assert out == "[client] was late again."


def test_hyphenated_and_accented_names_go_whole():
    k = known(["Zoë", "Smith-Jones"])
    out = clean("Zoë Smith-Jones and ZOE said Anne-Marie and Siân had gone; zoe agreed.", k)
    assert "ë" not in out and "Smith" not in out and "Jones" not in out and "ZOE" not in out, out
    assert "Anne" not in out and "Marie" not in out and "Siân" not in out and "zoe" not in out, out
    assert out.startswith("[client] and [client] said [name] and [name] had gone"), out


def test_titles_stay_and_the_name_after_them_goes():
    out = clean("Dr Patel, Mrs O'Connor and Coach Reilly all phoned.")
    assert out == "Dr [name], Mrs [name] and Coach [name] all phoned.", out


def test_possessives():
    k = known(["Ewa", "Nowak"])
    out = clean("Nowak's flat is cold. Tomasz’s car was outside; Ewa's mum came.", k)
    assert out == "[client]'s flat is cold. [name]’s car was outside; [client]'s mum came.", out


def test_another_client_is_named_as_such():
    k = known(["Ewa", "Nowak"], others=["Bea", "Kowalczyk"])
    out = clean("She sat next to Bea Kowalczyk in the waiting room; bea waved.", k)
    assert out == "She sat next to [another client] in the waiting room; [another client] waved.", out


def test_clinical_words_and_relative_weekdays_survive():
    text = ("We used CBT, then DBT skills and EMDR. PHQ-9 was 17, GAD-7 12, ORS 22 and SRS 36. "
            "Mum rang next Tuesday; she finds Mondays hard. Her mood was 4/10.")
    assert clean(text) == text


def test_dates_in_every_common_form_move_by_one_offset():
    out = clean("Seen the 2nd of February, on 3/14, on 14.03.2026, on Feb 2, 2026 and on 2026-03-20.")
    feb2, mar14, mar20 = (d + OFFSET for d in (date(2026, 2, 2), date(2026, 3, 14), date(2026, 3, 20)))
    short = lambda d: f"{d.day} {MONTHS[d.month - 1][:3]}"  # noqa: E731
    assert out == (f"Seen {short(feb2)}, on {short(mar14)}, on {short(mar14)} 2026, on {short(feb2)} 2026 "
                   f"and on {short(mar20)} 2026."), out


def test_a_weekday_written_with_a_date_stays_true():
    for offset in range(30, 91, 7):
        out = clean("It happened on Thursday 24 Oct 2026.", offset=timedelta(days=offset))
        m = re.search(r"(\w+day) (\d+) (\w+) (\d{4})", out)
        moved = date(int(m[4]), [x[:3] for x in MONTHS].index(m[3]) + 1, int(m[2]))
        assert DAYS[moved.weekday()] == m[1], out
        assert moved == date(2026, 10, 24) + timedelta(days=offset)


def test_contact_details_identifiers_and_great_ages():
    text = ("Call 07700 900123 or +1 (212) 555-0147, email ewa.n@example.org, see www.ewa-bakes.example.com "
            "or @ewa_bakes. NHS number 943 476 5919, MRN: RX4471902, SSN 123-45-6789, policy AXA-7731-0922, "
            "NI QQ 12 34 56 C. Her gran is 94; her dad is 61.")
    out = clean(text)
    for secret in ("900123", "555-0147", "ewa", "bakes", "943", "4471902", "6789", "7731", "QQ 12", "94"):
        assert secret not in out, (secret, out)
    assert "her dad is 61" in out


def test_the_review_marks_what_a_person_should_still_check():
    text = "Intro Words\n\nThe clinician's reflection:\nShe spoke of yuki at the Ostrich, room 1234. CBT helped."
    marked = {f.word: f.why for f in flags(text)}
    assert marked == {"yuki": "an unusual word", "Ostrich": "a capitalised word", "1234": "a number"}
