"""Statistics shared by leaderboards, compare and the arena: pure functions of plain numbers (no Flask, no database).

- ``intervals``: Wilson and seeded-bootstrap 95% intervals of a mean score, and the rank-with-ties rule.
- ``paired``: two runs on the same samples: McNemar's exact test, paired bootstrap, sign-flip permutation, verdict.
- ``ratings``: a Bradley–Terry fit of pairwise outcomes (ties as half wins) with bootstrap intervals.
- ``agreement``: Cohen's and Fleiss' kappa, for judges that score the same samples.
- ``pareto``: the Pareto front of models on two figures (the leaderboard's quality × speed chart).
"""
from app.services.stats.agreement import cohen_kappa, fleiss_kappa
from app.services.stats.intervals import bootstrap_mean, is_binary, mean_interval, rank_with_ties, wilson
from app.services.stats.paired import compare_paired, mcnemar_exact, paired_bootstrap, sign_flip
from app.services.stats.pareto import pareto_front
from app.services.stats.ratings import bradley_terry, bradley_terry_intervals

__all__ = ["bootstrap_mean", "bradley_terry", "bradley_terry_intervals", "cohen_kappa", "compare_paired",
           "fleiss_kappa", "is_binary", "mcnemar_exact", "mean_interval", "paired_bootstrap", "pareto_front",
           "rank_with_ties", "sign_flip", "wilson"]
