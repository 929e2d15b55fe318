"""Calibration of the practice simulator, with where each number comes from.

The simulator is only useful if its practices look like real ones, so every
rate that shapes the data is named here once. Targets that tests check:

- About 20% of episodes end without goodbye. Swift & Greenberg (2012), a
  meta-analysis of 669 studies, report a weighted mean dropout of 19.7%.
- Dropout is most likely early: roughly half of premature endings happen in
  the first few sessions (Swift & Greenberg 2012; Barrett et al. 2008).
- No-shows around 5-10% of booked sessions in outpatient mental health, with
  late cancels a few percent more (Dantas et al. 2018 review of no-show rates).
- Longer lead time between booking and session raises no-show risk (Dantas
  et al. 2018: lead time is one of the most consistent predictors).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SimParams:
    years: float = 2.0                     # history length before the as-of date
    caseload: int = 50                     # clients per clinician (whole history)
    # cadence mix: weekly, fortnightly, monthly
    cadence_days: tuple = (7, 14, 28)
    cadence_mix: tuple = (0.55, 0.30, 0.15)
    planned_break_rate: float = 0.03       # chance a gap includes a 2-5 week break
    median_planned_sessions: float = 16.0  # planned course length (attended sessions)

    # client traits noted by clinicians (DESIGN.md stance 1)
    style_rates: dict = field(default_factory=lambda: {
        "avoidant": 0.12, "conflict_avoidant": 0.10, "people_pleasing": 0.12,
    })
    safety_rate: float = 0.04

    # appointment outcomes, per booked slot, before individual adjustments
    noshow_logit: float = -2.9             # ~5.5% at average lead time
    noshow_per_lead_week: float = 0.12     # lead time in weeks raises no-shows
    noshow_after_missed: float = 0.9       # a missed session makes the next likelier missed
    late_cancel_rate: float = 0.04
    cancel_rate: float = 0.05
    clinician_cancel_rate: float = 0.02
    reschedule_rate: float = 0.02
    late_arrival_rate: float = 0.10        # of attended sessions, mean (client-specific)
    hard_session_rate: float = 0.05
    rupture_rate: float = 0.03

    # other endings, per slot
    ended_by_client_rate: float = 0.006
    referred_rate: float = 0.002

    # dropout hazard after each slot (logit scale); tuned so ~20% of episodes
    # end without goodbye. Session effects fall away after the first few.
    dropout_logit: float = -6.25
    early_session_bonus: tuple = (1.7, 1.3, 0.9, 0.6, 0.35, 0.15)
    w_missed_now: float = 1.1
    w_missed_recent: float = 0.35          # per missed slot among the last four
    w_late_per_10min: float = 0.35
    w_hard_session: float = 0.9
    w_rupture: float = 1.0
    w_alliance_gap: float = 0.25           # per SRS point below 36
    w_not_improving: float = 0.5           # ORS not reliably up after 6 sessions
    w_style: dict = field(default_factory=lambda: {
        "avoidant": 0.45, "conflict_avoidant": 0.35, "people_pleasing": 0.3,
    })
    w_no_rebook: float = 0.0

    # how a dropout shows in the schedule after the last session
    ghost_noshow_share: float = 0.55       # booked the next one and never came
    ghost_late_cancel_share: float = 0.20  # cancelled late and never rebooked
    # (the rest simply never booked again)
    close_after_days: int = 42             # clinician records the ending weeks later

    return_rate: float = 0.15              # ended clients who come back
    return_delay_days: tuple = (120, 900)

    srs_share: float = 0.7                 # attended sessions with an SRS and ORS rating
    # Client's usual SRS total; the spread and w_alliance_gap below give an
    # alliance-dropout effect near d = 0.5 (Sharf, Primavera & Diener 2010,
    # meta-analysis of 11 studies: d = 0.55). Checked in measures' tests.
    alliance_mean: float = 37.0
    alliance_sd: float = 3.0
    phq9_share: float = 0.4                # clients who also fill in a PHQ-9 at those sessions
