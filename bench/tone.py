"""Precision and recall of the tone check, per kind of problem, on the
hand-labelled sentences in stillhere/outreach/tests/data/: the labelled set
(tone_sentences.csv, which the patterns were written against and the model
learns from), the same set 5-fold cross-validated (the model scored on the
fifth it did not learn from), and two held-out sets nothing was tuned on.

    .venv/bin/python bench/tone.py [--wrong] [--no-cv]

--wrong lists the sentences the check got wrong (do not tune on the
held-out ones: that spends them); --no-cv skips the cross-validation. Targets (issue 12):
recall >= 0.95 and precision >= 0.9 on each kind.
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
django.setup()

from stillhere.outreach import tone_model  # noqa: E402
from stillhere.outreach.tone_corpus import CORPUS, HELD_OUT, HELD_OUT_2, HELD_OUT_3, HELD_OUT_4, NAMES, cross_validated, load, score  # noqa: E402


def report(title, path, scorer=score, list_wrong=True) -> bool:
    rows = load(path)
    started = time.perf_counter()
    scores, wrong = scorer(rows)
    secs = time.perf_counter() - started
    print(f"\n{title}: {len(rows)} labelled sentences ({secs * 1000 / len(rows):.2f} ms a sentence)")
    print(f"{'kind':<40} {'n':>4} {'precision':>10} {'recall':>7}")
    ok = True
    for kind, s in scores.items():
        meets = s.precision >= 0.9 and s.recall >= 0.95
        ok &= meets
        print(f"{NAMES[kind]:<40} {s.support:>4} {s.precision:>10.3f} {s.recall:>7.3f}{'' if meets else '  below target'}")
    if "--wrong" in sys.argv and list_wrong:
        for row, got in wrong:
            print(f"  [{'|'.join(sorted(row.labels))} -> {'|'.join(sorted(got)) or '-'}] ({row.channel}) {row.text}")
    return ok


def main() -> int:
    started = time.perf_counter()
    import sklearn.linear_model  # noqa: F401  (its import alone is most of the first check's wait)
    imported = time.perf_counter()
    tone_model.model()  # trained once per process, before the per-sentence timings below
    print(f"model trained on the labelled set in {time.perf_counter() - imported:.2f} s "
          f"(importing scikit-learn first took {imported - started:.2f} s)")
    ok = report("labelled set (the patterns were written against it, the model learnt from it)", CORPUS)
    if "--no-cv" not in sys.argv:
        report("labelled set, 5-fold cross-validated (the model scored on sentences it did not learn from)",
               CORPUS, cross_validated)
    report("held-out set (written after the patterns were frozen)", HELD_OUT)
    report("second held-out set (written before the check was broadened, never tuned on)", HELD_OUT_2)
    report("third held-out set (written before the latest round of changes, never trained or tuned on)", HELD_OUT_3)
    report("fourth held-out set (its mistakes are never listed, so nothing can be tuned on it)", HELD_OUT_4,
           list_wrong=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
