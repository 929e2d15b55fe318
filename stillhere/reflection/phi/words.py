"""Is this an everyday English word? Decides how far a name-shaped token is trusted.

The list is the English word index that ships inside the spaCy pipeline
(its lemmatizer's WordNet-derived index, ~90k lemmas, and its irregular
forms) plus spaCy's stop words and regular endings: no extra download, and nothing in it was chosen for our corpus.
"""

from functools import lru_cache

from .fold import fold


@lru_cache(maxsize=1)
def _words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    from .engine import nlp

    lookups = nlp().get_pipe("lemmatizer").lookups
    words = {w for pos in lookups.get_table("lemma_index").values() for w in pos if "_" not in w}
    words |= {w for pos in lookups.get_table("lemma_exc").values() for w in pos if "_" not in w}  # came, went
    return frozenset(words | set(STOP_WORDS) | {"i'm", "i'd", "i've", "i'll", "didn't", "wasn't", "hadn't"})


def is_word(token: str, lemma: str = "") -> bool:
    t = fold(token).strip("'")
    t = t[:-2] if t.endswith("'s") else t
    w = _words()
    if t in w or (lemma and fold(lemma) in w):
        return True
    if "-" in t.strip("-"):  # ex-partner, self-harm
        return all(is_word(part) for part in t.split("-") if part)
    if "'" in t:  # don't, she'd, we're
        return t.split("'")[0] in w or t.replace("n't", "") in w
    for end, put in (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ied", "y"), ("ing", ""),
                     ("ing", "e"), ("ly", ""), ("er", ""), ("est", ""), ("n't", "")):
        if t.endswith(end) and len(t) > len(end) + 2 and t[:-len(end)] + put in w:
            return True
    return False
