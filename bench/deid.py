"""De-identification bench: recall per kind of identifier, clinical terms kept, speed.

Runs the PHI filter (stillhere.reflection.phi) and the old regular-expression
scrubber (stillhere.reflection.deidentify_regex) on the same labelled corpus
(bench/data/deid_corpus.jsonl, made by bench/data/make_deid_corpus.py) in the
same process, and prints both side by side.

How "removed" is judged, the same way for both: the output is aligned with
the input word by word (difflib); an identifier is fully removed when none
of its words survives in place (function words such as "the", "of", "and"
identify nobody and are not counted). For a date the year and the weekday may
survive (a year alone is not an identifier; a weekday recomputed for the
moved date is no clue) but the day and month may not. A clinical term is
kept when all its words survive.

Also split out: planted person names that are in the filter's own name list
(Faker's) and those in none of its lists, which only the model or the shape
of the sentence can catch: the honest held-out figure.

Run: STILLHERE_DATA_DIR=... python bench/deid.py [--corpus PATH] [--show-misses N]
"""

import argparse
import difflib
import json
import os
import re
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")

import django  # noqa: E402

django.setup()

from stillhere.reflection import deidentify_regex  # noqa: E402
from stillhere.reflection.phi import KnownNames, deidentify  # noqa: E402
from stillhere.reflection.phi.names import is_listed_name  # noqa: E402

OFFSET = timedelta(days=41)
WORD = re.compile(r"\w+")
# Words that identify nobody, wherever they stand ("the Dog and Partridge").
FUNCTION = {"the", "of", "and", "at", "on", "in", "de", "la", "s"}
YEARS_AND_DAYS = re.compile(r"(19|20)\d\d|mon|tue|tues|wed|thu|thurs|fri|sat|sun|(mon|tues|wednes|thurs|fri|satur|sun)day",
                            re.I)


def known_for(note) -> KnownNames:
    k, kn = KnownNames(), note["known"]
    for v in kn["client"]:
        k.add(v, "client")
    for v in kn["clinician"]:
        k.add(v, "clinician")
    k.add(kn["practice"], "practice")
    for o in kn["other_clients"]:
        for v in o:
            k.add(v, "another client")
    return k


def regex_known(note) -> list[tuple[str, str]]:
    kn = note["known"]
    pairs = [(v, "[client]") for v in kn["client"]] + [(v, "[clinician]") for v in kn["clinician"]]
    pairs += [(kn["practice"], "[practice]")] + [(v, "[colleague]") for o in kn["other_clients"] for v in o]
    pairs = [(s, r) for s, r in pairs if s and len(s) >= 2]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def surviving(src: str, out: str) -> list[bool]:
    """For each character of `src`: does the word it belongs to survive in `out`?"""
    a, b = list(WORD.finditer(src)), [m.group() for m in WORD.finditer(out)]
    sm = difflib.SequenceMatcher(None, [m.group() for m in a], b, autojunk=False)
    alive = [False] * len(src)
    for i, _, n in sm.get_matching_blocks():
        for m in a[i:i + n]:
            alive[m.start():m.end()] = [True] * (m.end() - m.start())
    return alive


def judge(note, out: str, tally, misses, who: str):
    alive = surviving(note["text"], out)
    for p in note["phi"]:
        words = [m for m in WORD.finditer(note["text"], p["start"], p["end"]) if m.group().lower() not in FUNCTION]
        if p["kind"] == "date":
            words = [m for m in words if not YEARS_AND_DAYS.fullmatch(m.group())]
        leaked = any(alive[m.start()] for m in words)
        kinds = [p["kind"]]
        if p["kind"] == "person":
            kinds.append("person, in the filter's name list" if all(is_listed_name(m.group()) for m in words)
                         else "person, in none of its lists")
        for kind in kinds:
            tally[who][kind][0] += not leaked
            tally[who][kind][1] += 1
        if leaked:
            misses[who].append((p["kind"], p["text"], note["id"]))
    planted = bytearray(len(note["text"]))
    for p in note["phi"]:
        planted[p["start"]:p["end"]] = b"\x01" * (p["end"] - p["start"])
    for m in WORD.finditer(note["text"]):
        if not planted[m.start()] and m.group().lower() not in FUNCTION:
            tally[who]["_other"][0] += not alive[m.start()]
            tally[who]["_other"][1] += 1
    for k in note["keep"]:
        kept = all(alive[m.start()] for m in WORD.finditer(note["text"], k["start"], k["end"]))
        tally[who]["_kept"][0] += kept
        tally[who]["_kept"][1] += 1
        if not kept:
            misses[who].append(("clinical term lost", k["term"], note["id"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(Path(__file__).parent / "data" / "deid_corpus.jsonl"))
    ap.add_argument("--show-misses", type=int, default=15)
    args = ap.parse_args()
    notes = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]
    deidentify("Warm-up: Ana met Dr Patel on 3 May.")  # load the model outside the timing
    tally = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    misses = defaultdict(list)
    speed = {}
    for who in ("regex", "phi"):
        t0 = time.perf_counter()
        outs = []
        for note in notes:
            if who == "phi":
                outs.append(deidentify(note["text"], known_for(note), OFFSET, note["year"]).text)
            else:
                outs.append(deidentify_regex.scrub_known(note["text"], regex_known(note), OFFSET, note["year"]))
        speed[who] = len(notes) / (time.perf_counter() - t0)
        for note, out in zip(notes, outs):
            judge(note, out, tally, misses, who)
    kinds = sorted(k for k in tally["phi"] if not k.startswith("_"))
    total = {w: [sum(tally[w][k][0] for k in kinds if "," not in k), sum(tally[w][k][1] for k in kinds if "," not in k)]
             for w in ("regex", "phi")}
    print(f"corpus: {len(notes)} notes, {total['phi'][1]} planted identifiers, "
          f"{tally['phi']['_kept'][1]} clinical terms ({args.corpus})")
    print(f"{'recall (share fully removed)':<40}{'regex baseline':>16}{'PHI filter':>14}{'n':>6}")
    for k in kinds:
        r, p = tally["regex"][k], tally["phi"][k]
        print(f"  {k:<38}{r[0] / r[1]:>16.3f}{p[0] / p[1]:>14.3f}{p[1]:>6}")
    print(f"{'overall recall':<40}{total['regex'][0] / total['regex'][1]:>16.3f}"
          f"{total['phi'][0] / total['phi'][1]:>14.3f}{total['phi'][1]:>6}")
    r, p = tally["regex"]["_kept"], tally["phi"]["_kept"]
    print(f"{'clinical terms kept':<40}{r[0] / r[1]:>16.3f}{p[0] / p[1]:>14.3f}{p[1]:>6}")
    r, p = tally["regex"]["_other"], tally["phi"]["_other"]
    print(f"{'other words taken out (over-removal)':<40}{r[0] / r[1]:>16.3f}{p[0] / p[1]:>14.3f}{p[1]:>6}")
    print(f"{'speed (notes/s)':<40}{speed['regex']:>16.0f}{speed['phi']:>14.1f}")
    for who in ("phi", "regex"):
        if misses[who] and args.show_misses:
            print(f"\nfirst misses, {who}:")
            for kind, text, nid in sorted(misses[who], key=lambda m: m[0])[:args.show_misses]:
                print(f"  note {nid}: {kind}: {text!r}")


if __name__ == "__main__":
    main()
