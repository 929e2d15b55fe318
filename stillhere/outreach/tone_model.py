"""A small learned reading of tone, beside the patterns in tone.py.

The patterns say exactly which words hurt, but a clinician can threaten,
guilt or press in more ways than any list holds ("I'll read your silence as
a no", "I sat in an empty room"). This model learns each kind of problem
from the hand-labelled sentences (tests/data/tone_sentences.csv), so it can
catch wording the patterns never saw, and it learns the kind sentences that
look like problems ("there's no charge", "no pressure", "you don't need to
reply") as negatives, so it does not flag them. It learns the open door the
same way ("the invitation doesn't expire"), so a warm line in words no
pattern lists still counts as one.

One logistic regression per kind over word n-grams (1 to 3 words, which
carry negation: "no charge" is not "charge"), the words a negation governs
("nothing is urgent" marks "urgent" as negated), and character n-grams
(which carry spelling variants and word endings). tone.hurts() reports a
kind when a pattern matched or the model is at least THRESHOLD sure.

Training takes about a second, plus importing scikit-learn (several seconds
on a busy machine), so a one-shot `stillhere tick` should not pay it. The
fitted weights are kept in STILLHERE_DATA_DIR/tone-model.npz (owner-only,
plain arrays: nothing in it is executed when read), keyed by a hash of the
labelled sentences, this module's code and the library versions: when any
of them changes the file is stale and the model is trained afresh. Reading
with the stored weights needs only NumPy, never scikit-learn.

Its findings still explain themselves in words: where the patterns found
nothing, the words shown are the 1-3 word phrase in the sentence that
pushed the model most towards the problem.
"""

import csv
import hashlib
import os
import re
import sys
import tempfile
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path

KINDS = ("threat", "guilt", "blame", "fee", "pressure")
# What the model also learns to recognise, that is no problem: a door-open line.
LINES = ("door_open",)
CORPUS = Path(__file__).resolve().parent / "tests" / "data" / "tone_sentences.csv"
CACHE_NAME = "tone-model.npz"
# The model alone must be this sure to add a finding the patterns did not
# make: chosen on the cross-validated labelled set (0.5 let too many kind
# sentences through; from 0.85 every kind's precision stays above 0.96).
THRESHOLD = 0.85
_lock = threading.Lock()

TOKEN_RE = re.compile(r"[a-z0-9£$€%']+")
# A negation governs the next few words of its own clause: "nothing here is urgent".
CLAUSE_RE = re.compile(r"[,;:.!?()\u2013\u2014\"]|\s-\s|\b(?:but|and|so|because|though|although)\b")
NEGATORS = frozenset({"no", "not", "never", "nothing", "nobody", "none", "without", "nor", "needn't", "isn't",
                      "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "won't", "wouldn't", "can't",
                      "cannot", "haven't", "hasn't", "hadn't", "shouldn't", "mustn't", "couldn't"})
NEGATED_SPAN = 4


def normalise(sentence: str) -> str:
    return " ".join(sentence.lower().replace("’", "'").split())


def word_grams(low: str) -> list[str]:
    """Word 1-3-grams, then each word a negation governs, marked '~word'."""
    tokens = TOKEN_RE.findall(low)
    grams = list(tokens)
    for n in (2, 3):
        grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    for clause in CLAUSE_RE.split(low):
        left = 0
        for t in TOKEN_RE.findall(clause or ""):
            if t in NEGATORS:
                left = NEGATED_SPAN
            elif left:
                grams.append("~" + t)
                left -= 1
    return grams


def char_grams(low: str) -> list[str]:
    """Character 2-5-grams inside each word, padded with a space at its edges
    (what scikit-learn's "char_wb" analyser does)."""
    grams = []
    for w in low.split():
        w = f" {w} "
        for n in range(2, 6):
            if len(w) < n:
                grams.append(w)
                break
            grams += [w[i:i + n] for i in range(len(w) - n + 1)]
    return grams


ANALYSERS = (word_grams, char_grams)


def labelled(path: Path = CORPUS) -> list[tuple[str, frozenset]]:
    with open(path, newline="") as f:
        return [(r["text"], frozenset(r["labels"].split("|"))) for r in csv.DictReader(f)]


class Model:
    """Trained on (sentence, labels) pairs, or rebuilt from stored weights;
    `read` gives probabilities and the telling words for one sentence."""

    def __init__(self, rows=None, *, weights: dict | None = None):
        import numpy as np

        self._np = np
        self.weights = weights if weights is not None else self._fit(rows)
        w = self.weights
        self.kinds = tuple(str(k) for k in w["kinds"])
        self.vocab = w["words_vocab"]
        self._telling = w["words_telling"]
        self.intercept = w["intercept"]
        n_words = len(w["words_vocab"])
        self._parts = [(word_grams, {t: i for i, t in enumerate(w["words_vocab"].tolist())}, w["words_idf"],
                        w["coef"][:, :n_words]),
                       (char_grams, {t: i for i, t in enumerate(w["chars_vocab"].tolist())}, w["chars_idf"],
                        w["coef"][:, n_words:])]

    @staticmethod
    def _fit(rows) -> dict:
        import numpy as np
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = [normalise(t) for t, _ in rows]
        words = TfidfVectorizer(analyzer=word_grams, sublinear_tf=True, min_df=1)
        chars = TfidfVectorizer(analyzer=char_grams, sublinear_tf=True, min_df=2)
        xw = words.fit_transform(texts)
        xc = chars.fit_transform(texts)
        x = hstack([xw, xc]).tocsr()
        kinds = KINDS + LINES
        coef, intercept = [], []
        for kind in kinds:
            y = np.array([kind in labels for _, labels in rows])
            m = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000)
            m.fit(x, y)
            coef.append(m.coef_[0])
            intercept.append(m.intercept_[0])
        vocab = words.get_feature_names_out()
        # A phrase of only little words ("i", "an") explains nothing to a reader.
        telling = np.array([not g.startswith("~") and any(t not in ENGLISH_STOP_WORDS for t in g.split())
                            for g in vocab])
        return {"kinds": np.array(kinds), "words_vocab": np.array(vocab.tolist()), "words_idf": words.idf_,
                "words_telling": telling, "chars_vocab": np.array(chars.get_feature_names_out().tolist()),
                "chars_idf": chars.idf_, "coef": np.vstack(coef), "intercept": np.array(intercept)}

    def read(self, sentence: str) -> dict[str, tuple[float, str]]:
        """{kind: (probability, the words that pushed most towards it)} for every kind.

        The same sublinear tf-idf the training used, by hand: no scikit-learn
        at reading time."""
        np = self._np
        low = normalise(sentence)
        z = self.intercept.copy()
        word_idx = word_val = None
        for n, (analyse, vocab, idf, coef) in enumerate(self._parts):
            counts = {}
            for gram in analyse(low):
                if (i := vocab.get(gram)) is not None:
                    counts[i] = counts.get(i, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64)
            val = (1 + np.log(np.fromiter(counts.values(), dtype=float))) * idf[idx]
            val /= np.linalg.norm(val)
            z += coef[:, idx] @ val
            if n == 0:
                word_idx, word_val = idx, val
        probs = 1 / (1 + np.exp(-z))
        out = {}
        for i, kind in enumerate(self.kinds):
            words = []
            if word_idx is not None:
                contrib = word_val * self._parts[0][3][i, word_idx]
                for j in np.argsort(-contrib):
                    if contrib[j] <= 0 or len(words) == 2:
                        break
                    gram = str(self.vocab[word_idx[j]])
                    if self._telling[word_idx[j]] and not any(gram in w or w in gram for w in words):
                        words.append(gram)
            # In the order they come in the sentence, so they read as quoted.
            words.sort(key=lambda w: low.find(w))
            out[kind] = (float(probs[i]), " … ".join(words))
        return out


def training_key(corpus: Path = CORPUS) -> str:
    """What the stored weights must have been trained from: the labelled
    sentences, this module (its features and training), and the versions of
    Python and of the libraries that trained it."""
    h = hashlib.sha256()
    h.update(corpus.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(sys.version.encode())
    for dist in ("scikit-learn", "scipy", "numpy"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=none".encode())
    return h.hexdigest()


def cache_path() -> Path:
    from stillhere.lib.paths import data_dir

    return data_dir() / CACHE_NAME


def _load_cached(path: Path, key: str) -> Model | None:
    """The stored model if it is ours, owner-only and trained from `key`; else None."""
    import numpy as np

    try:
        st = path.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            return None
        with np.load(path, allow_pickle=False) as f:
            if str(f["key"]) != key:
                return None
            return Model(weights={name: f[name] for name in f.files if name != "key"})
    except (OSError, ValueError, KeyError):
        return None


def _store(path: Path, key: str, m: Model) -> None:
    """Write the weights owner-only, all at once (a reader never sees half a file)."""
    import numpy as np

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tone-model-", suffix=".npz", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, key=np.array(key), **m.weights)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only data folder: train again next time, nothing lost


_trained: Model | None = None


def model() -> Model | None:
    """The model of the committed labelled sentences (once per process, from
    the stored weights when they are current, else trained and stored); None
    where the sentences were not installed (a build without the test data),
    in which case the patterns alone decide."""
    global _trained
    if _trained is None and CORPUS.exists():
        with _lock:
            if _trained is None:
                key = training_key(CORPUS)
                try:
                    path = cache_path()
                except OSError:  # no usable data folder: train, and keep it in memory only
                    path = None
                m = _load_cached(path, key) if path else None
                if m is None:
                    m = Model(labelled(CORPUS))
                    if path:
                        _store(path, key, m)
                _trained = m
    return _trained


@lru_cache(maxsize=4096)
def _read(sentence: str) -> dict[str, tuple[float, str]]:
    m = _current()
    return m.read(sentence) if m else {}


def read(sentence: str) -> dict[str, tuple[float, str]]:
    """{problem kind: (probability, telling words)} for one sentence."""
    found = _read(sentence)
    return {kind: found.get(kind, (0.0, "")) for kind in KINDS}


def opens_door(sentence: str) -> bool:
    """Whether the model is sure this sentence is a door-open line."""
    return _read(sentence).get("door_open", (0.0, ""))[0] >= THRESHOLD


_override: list[Model] = []


def _current() -> Model | None:
    return _override[-1] if _override else model()


def _clear():
    _read.cache_clear()


read.cache_clear = _clear


class using:
    """`with using(m):` reads with model m (cross-validation trains one per fold)."""

    def __init__(self, m: Model):
        self.m = m

    def __enter__(self):
        _override.append(self.m)
        _clear()
        return self.m

    def __exit__(self, *exc):
        _override.pop()
        _clear()
