from datetime import date

import pandas as pd

from stillhere.simulator import generate


def test_a_practice_made_in_blocks_has_unique_ids_and_linked_returns(monkeypatch):
    monkeypatch.setattr(generate, "BLOCK", 700)
    sim = generate.simulate(2000, seed=4, as_of=date(2026, 6, 1))
    again = generate.simulate(2000, seed=4, as_of=date(2026, 6, 1))
    pd.testing.assert_frame_equal(sim.appointments, again.appointments)   # still deterministic
    assert sim.clients.client_id.is_unique and len(sim.clients) == 2000
    assert sim.episodes.episode_id.is_unique and sim.appointments.appointment_id.is_unique
    assert sim.truth.appointment_id.is_unique
    emails = sim.clients.email[sim.clients.email != ""]
    assert emails.is_unique
    # every appointment's episode belongs to the same client
    ep_client = sim.episodes.set_index("episode_id").client_id
    assert (ep_client.loc[sim.appointments.episode_id].values == sim.appointments.client_id.values).all()
    returns = sim.episodes[sim.episodes.previous_episode_id > 0]
    assert (ep_client.loc[returns.previous_episode_id].values == returns.client_id.values).all()
    assert 0.15 < generate.dropout_share(sim) < 0.25
