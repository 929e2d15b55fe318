"""A dropout model fitted to a practice's own history (issue 19).

rows.py: training rows, the scan's own features as of many past moments,
each labelled by what happened in the following 30 days.
fit.py: a regularised logistic and a gradient-boosted model, chosen by
temporal validation and calibrated on a later period.
"""
