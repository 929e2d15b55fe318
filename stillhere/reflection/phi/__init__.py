"""The PHI filter: one job, taking whatever could identify a person out of free text.

Layers, each in its own module: `known` (names the practice holds),
`engine` + `filter` (Presidio with a spaCy model, identifier patterns and
the shape of the sentence), `allow` (clinical words that must survive),
`dates` (one offset, weekdays kept true). `review` marks what a person
should still check before anything is shared.
"""

from .filter import Result, deidentify  # noqa: F401
from .known import KnownNames, for_client  # noqa: F401
