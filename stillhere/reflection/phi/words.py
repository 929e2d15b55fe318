"""Is this an everyday English word? Decides how far a name-shaped token is trusted.

The list is the English word index that ships inside the spaCy pipeline
(its lemmatizer's WordNet-derived index, ~90k lemmas) plus spaCy's stop
words: no extra download, and nothing in it was chosen for our corpus.
"""

from functools import lru_cache

from .fold import fold


@lru_cache(maxsize=1)
def _words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    from .engine import nlp

    index = nlp().get_pipe("lemmatizer").lookups.get_table("lemma_index")
    words = {w for pos in index.values() for w in pos if "_" not in w}
    return frozenset(words | set(STOP_WORDS) | {"i'm", "i'd", "i've", "i'll", "didn't", "wasn't", "hadn't"})


def is_word(token: str, lemma: str = "") -> bool:
    t = fold(token).strip("'")
    t = t[:-2] if t.endswith("'s") else t
    w = _words()
    return t in w or (lemma and fold(lemma) in w) or (t.endswith("s") and t[:-1] in w)
