from datetime import datetime, timezone

import pandas as pd
import pytest

from stillhere.features import compiled
from stillhere.features.episode import episode_features
from stillhere.features.sources import from_django
from stillhere.test import BaseTestCase


class CompiledTestCase(BaseTestCase):
    def test_a_compiled_query_gives_what_a_fresh_compile_gives_at_any_time(self):
        src = from_django(self.riverside.id)
        compiled.clear()
        for when in (datetime(2026, 1, 6, tzinfo=timezone.utc), datetime(2026, 1, 20, tzinfo=timezone.utc)):
            T = int(when.timestamp())
            fresh = episode_features(src, T).execute().sort_values("episode_id", ignore_index=True)
            cached = compiled.run(src.backend, "t", lambda t: episode_features(src, t), T)
            pd.testing.assert_frame_equal(fresh, cached.sort_values("episode_id", ignore_index=True),
                                          check_dtype=False)
        # The no-show on 12 January is known on the 20th and not on the 6th.
        self.assertEqual(list(cached.n_no_show), [1, 1])

    def test_it_refuses_a_query_that_did_arithmetic_on_the_time_in_python(self):
        src = from_django(self.riverside.id)
        compiled.clear()
        with pytest.raises(ValueError, match="outside the expression"):
            compiled.run(src.backend, "bad", lambda t: episode_features(src, t).filter(
                lambda f: f.as_of_s > t - 86400), 1767225600)

    def test_a_weight_whose_digits_look_like_a_time_is_not_mistaken_for_one(self):
        """A fitted weight such as 0.8131921363 holds ten digits near the
        stand-in time; it is a weight, not arithmetic on the time."""
        import ibis

        src = from_django(self.riverside.id)
        compiled.clear()
        weight = (compiled.SENTINEL + 354_143_586) / 1e10   # 0.8131921363
        T = int(datetime(2026, 1, 20, tzinfo=timezone.utc).timestamp())
        got = compiled.run(src.backend, "weighted", lambda t: episode_features(src, t).mutate(
            w=ibis.literal(weight) * 1.0), T)
        self.assertFalse(got.empty)
