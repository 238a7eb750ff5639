"""The statistics behind leaderboards, compare and the arena, against published values."""
import math

import pytest

from app.services import stats


@pytest.mark.parametrize("x, n, low, high", [  # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_matches_newcombe(x, n, low, high):
    got = stats.wilson(x, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_mcnemar_exact_p_values():
    assert stats.mcnemar_exact(10, 2) == pytest.approx(0.0386, abs=5e-5)  # 2·(1+12+66)/4096
    assert stats.mcnemar_exact(2, 10) == stats.mcnemar_exact(10, 2)
    assert stats.mcnemar_exact(3, 0) == pytest.approx(0.25)
    assert stats.mcnemar_exact(0, 0) == 1.0
    assert stats.mcnemar_exact(5000, 5100) == pytest.approx(0.324582, abs=1e-6)  # scipy.stats.binomtest(5000, 10100)


def test_seeded_bootstrap_is_reproducible_and_covers_the_mean():
    scores = [i / 97 for i in range(97)]
    first, again = stats.bootstrap_mean(scores, seed=7), stats.bootstrap_mean(scores, seed=7)
    assert first == again and first[0] < 0.5 < first[1] and first[1] - first[0] > 0.05
    assert stats.bootstrap_mean(scores, seed=8) != first
    assert stats.paired_bootstrap(scores, scores[::-1], seed=3) == stats.paired_bootstrap(scores, scores[::-1], seed=3)


def test_mean_interval_picks_wilson_for_binary_and_bootstrap_for_fractional():
    assert stats.mean_interval([1, 0, 1, 1])["method"] == "wilson"
    fractional = stats.mean_interval([0.5, 1.0, 0.0, 0.5])
    assert fractional["method"] == "bootstrap" and fractional["score"] == 0.5 and fractional["n"] == 4


def test_sign_flip_is_exact_for_few_differences():
    # 4 differences all +1: of the 16 sign patterns, 2 (all + or all -) reach |sum| = 4
    assert stats.sign_flip([0.0] * 4 + [0.5] * 6, [1.0] * 4 + [0.5] * 6) == pytest.approx(2 / 16)
    assert stats.sign_flip([0.3, 0.6], [0.3, 0.6]) == 1.0


def test_paired_verdicts():
    same = stats.compare_paired([1] * 200, [1] * 197 + [0] * 3)
    assert same["verdict"] == "within noise" and same["only_a"] == 3 and same["p_value"] == pytest.approx(0.25)
    better = stats.compare_paired([0] * 30 + [1] * 170, [1] * 200)
    assert better["verdict"] == "improved" and better["diff"] == pytest.approx(0.15)
    assert better["diff_ci"][0] > 0 and better["p_value"] < 0.001
    assert stats.compare_paired([1] * 200, [0] * 30 + [1] * 170)["verdict"] == "regressed"
    fractional = stats.compare_paired([0.5] * 40, [0.75] * 40)
    assert fractional["test"] == "sign_flip" and fractional["verdict"] == "improved"


def test_bradley_terry_two_players_closed_form():
    ratings = stats.bradley_terry([("a", "b", 1)] * 3 + [("a", "b", 0)], prior=0)
    assert ratings["a"] - ratings["b"] == pytest.approx(400 * math.log10(3))  # 3 wins of 4: odds 3:1


def test_bradley_terry_fixed_tournament_solves_the_likelihood_equations():
    games = {("a", "b"): (7, 3), ("b", "c"): (6, 4), ("a", "c"): (8, 2)}  # (first's wins, second's wins)
    outcomes = [(p, q, 1) for (p, q), (w, _l) in games.items() for _ in range(w)]
    outcomes += [(p, q, 0) for (p, q), (_w, l) in games.items() for _ in range(l)]
    outcomes += [("a", "c", 0.5), ("a", "c", 0.5)]  # two ties: one win for each
    ratings = stats.bradley_terry(outcomes, prior=0)
    strength = {p: 10 ** ((r - 1000) / 400) for p, r in ratings.items()}
    assert ratings["a"] > ratings["b"] > ratings["c"]
    for p in strength:  # at the maximum, each player's expected wins equal its wins (ties half)
        wins = expected = 0.0
        for first, second, result in outcomes:
            if p in (first, second):
                other = second if p == first else first
                wins += result if p == first else 1 - result
                expected += strength[p] / (strength[p] + strength[other])
        assert expected == pytest.approx(wins, abs=1e-6)


def test_bradley_terry_intervals_are_seeded_and_cover_the_rating():
    outcomes = [("a", "b", 1)] * 30 + [("b", "c", 1)] * 20 + [("a", "c", 0.5)] * 5 + [("b", "a", 1)] * 10
    first = stats.bradley_terry_intervals(outcomes, resamples=200, seed=1)
    assert first == stats.bradley_terry_intervals(outcomes, resamples=200, seed=1)
    for row in first.values():
        assert row["ci"][0] <= row["rating"] <= row["ci"][1]
    assert first["b"]["games"] == 60


def test_bradley_terry_a_single_vote_ranks_nobody_apart_and_many_votes_do():
    # one vote resampled is always the same vote: a bootstrap alone gives a one-point interval and two ranks
    one = stats.bradley_terry_intervals([("a", "b", 1)], resamples=200, seed=1)
    assert one["a"]["rating"] > one["b"]["rating"]
    assert stats.rank_with_ties([tuple(one[p]["ci"]) for p in "ab"]) == [1, 1]
    many = stats.bradley_terry_intervals([("a", "b", 1)] * 30 + [("b", "a", 1)] * 10, resamples=200, seed=1)
    assert stats.rank_with_ties([tuple(many[p]["ci"]) for p in "ab"]) == [1, 2]


def test_rank_with_ties():
    # a clearly first; b and c overlap (tie for 2nd); d is below everyone's interval
    assert stats.rank_with_ties([(0.8, 0.9), (0.5, 0.7), (0.55, 0.75), (0.1, 0.2)]) == [1, 2, 2, 4]


def test_cohen_kappa_textbook():
    # Wikipedia's "Cohen's kappa" example: 50 proposals, 20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no → κ = 0.40
    first = ["y"] * 25 + ["n"] * 25
    second = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert stats.cohen_kappa(first, second) == pytest.approx(0.40)
    with pytest.raises(ValueError):
        stats.cohen_kappa(["y"], [])


def test_fleiss_kappa_textbook():
    # Fleiss (1971) as worked in Wikipedia's "Fleiss' kappa": 10 items, 14 raters, 5 categories → κ = 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert stats.fleiss_kappa(table) == pytest.approx(0.210, abs=5e-4)
    with pytest.raises(ValueError):
        stats.fleiss_kappa([[1, 1], [2, 1]])


def test_pareto_front_on_a_fixed_set():
    # (p99 TTFT ms, accuracy): lower TTFT and higher accuracy are better
    points = [(100, 0.60), (200, 0.70), (150, 0.65), (300, 0.70), (250, 0.90), (120, 0.55), (100, 0.60)]
    # (300, .70) is beaten by (200, .70); (120, .55) by (100, .60); the two equal (100, .60) are both on it
    assert stats.pareto_front(points, higher_x=False) == [0, 6, 2, 1, 4]
    # tokens/s (higher is better) against accuracy: only (300, .70) and (250, .90) remain
    assert stats.pareto_front(points) == [3, 4]
    assert stats.pareto_front([]) == [] and stats.pareto_front([(1.0, 0.5)]) == [0]


def test_bradley_terry_bootstrap_resamples_whole_votes():
    from app.services.stats.ratings import unit_indices
    outcomes, votes = [], []
    for vote in range(60):  # three-way battles: a vote's winner beats both others at once
        winner = "a" if vote % 6 < 3 else "b" if vote % 6 < 5 else "c"
        pairs = [(winner, loser, 1.0) for loser in "abc" if loser != winner]
        outcomes += pairs
        votes += [vote] * len(pairs)
    assert [list(u) for u in unit_indices(votes)[:2]] == [[0, 1], [2, 3]]
    apart = stats.bradley_terry_intervals(outcomes, resamples=200, seed=1)
    whole = stats.bradley_terry_intervals(outcomes, resamples=200, seed=1, groups=votes)
    assert {p: r["rating"] for p, r in whole.items()} == {p: r["rating"] for p, r in apart.items()}
    width = {p: (whole[p]["ci"][1] - whole[p]["ci"][0]) - (apart[p]["ci"][1] - apart[p]["ci"][0]) for p in "abc"}
    assert min(width.values()) >= 0 and max(width.values()) > 10  # a vote's two outcomes vary together: wider
