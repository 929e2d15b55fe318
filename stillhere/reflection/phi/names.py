"""Given and family names from many countries, to recognise a name nobody entered.

The lists are Faker's person providers (faker on PyPI, 86 locales, ~31k
given names and ~29k family names), read once and folded. They were not
chosen for, or extended with, the names in our test corpus: a name the
practice does not know has to be caught by this list, by the NER model or
by the shape of the sentence.
"""

import importlib
import pkgutil
from functools import lru_cache

from .fold import fold


def _values(provider, attr) -> list[str]:
    for cls in provider.__mro__:
        v = cls.__dict__.get(attr)
        if isinstance(v, (list, tuple, set, dict)):
            return list(v)
    return []


@lru_cache(maxsize=1)
def name_list() -> frozenset[str]:
    import faker.providers.person as people

    out: set[str] = set()
    for mod in pkgutil.iter_modules(people.__path__):
        provider = importlib.import_module(f"{people.__name__}.{mod.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary", "last_names"):
            for name in _values(provider, attr):
                for part in str(name).replace("-", " ").split():
                    if len(part) >= 2 and part[0].isupper():
                        out.add(fold(part))
    return frozenset(out)


def is_listed_name(token: str) -> bool:
    return fold(token) in name_list()
