"""A dropout model fitted to a practice's own history (issue 19).

rows.py: training rows, the scan's own features as of many past moments,
each labelled by what happened in the following 30 days.
fit.py: a regularised logistic and a gradient-boosted model, chosen by
temporal validation and calibrated on a later period; the gate; measures
with intervals and the fairness report by age band.
store.py: the stored model (a row and a 0600 file).
use.py: what the scan scores with, and the reasons in words.
card.py: the model card, for the director's page and `stillhere model show`.
"""
