"""Dependency-aware ranking: plain order, pulled-up blockers, cycles, and its invariants."""

from __future__ import annotations


from hypothesis import given, settings
from hypothesis import strategies as st

from ci_plugin.domain.ranking import Rankable, rank


def order(*items: Rankable) -> list[str]:
    ids, warnings = rank(list(items))
    assert warnings == []
    return ids


def test_highest_score_first():
    assert order(Rankable("1", 2.0), Rankable("2", 9.5), Rankable("3", 4.0)) == ["2", "3", "1"]


def test_ties_by_numeric_id_not_string_order():
    items = [Rankable("10", 5), Rankable("9", 5), Rankable("100", 5), Rankable("2", 5)]
    assert order(*items) == ["2", "9", "10", "100"]


def test_non_numeric_ids_fall_back_to_string_order_after_numeric_ones():
    assert order(Rankable("b", 1), Rankable("a", 1), Rankable("3", 1)) == ["3", "a", "b"]


def test_unscored_last_by_id():
    items = [Rankable("5", None), Rankable("1", -3.0), Rankable("3", None), Rankable("2", 0.0)]
    assert order(*items) == ["2", "1", "3", "5"]


def test_empty():
    assert rank([]) == ([], [])


def test_a_low_scored_blocker_is_pulled_above_its_dependent():
    items = [Rankable("1", 10, ("2",)), Rankable("2", 1), Rankable("3", 5)]
    assert order(*items) == ["2", "1", "3"]


def test_blockers_are_pulled_up_transitively():
    items = [Rankable("1", 10, ("2",)), Rankable("2", 1, ("3",)), Rankable("3", 0), Rankable("4", 5)]
    assert order(*items) == ["3", "2", "1", "4"]


def test_an_unscored_blocker_is_pulled_up_too():
    assert order(Rankable("1", 3, ("2",)), Rankable("2", None), Rankable("4", 1)) == ["2", "1", "4"]


def test_blocker_goes_just_before_its_dependent_and_unrelated_order_is_kept():
    items = [Rankable("1", 9), Rankable("2", 8), Rankable("3", 7, ("6",)), Rankable("4", 6), Rankable("5", 5),
             Rankable("6", 1)]
    assert order(*items) == ["1", "2", "6", "3", "4", "5"]


def test_a_blocker_already_above_its_dependent_changes_nothing():
    items = [Rankable("1", 1, ("2",)), Rankable("2", 9), Rankable("3", 5)]
    assert order(*items) == ["2", "3", "1"]


def test_a_shared_blocker_follows_its_best_dependent():
    items = [Rankable("1", 2, ("3",)), Rankable("2", 8, ("3",)), Rankable("3", 0), Rankable("4", 5)]
    assert order(*items) == ["3", "2", "4", "1"]


def test_dependencies_on_ids_not_ranked_are_ignored():
    assert order(Rankable("1", 1, ("99", "100")), Rankable("2", 2)) == ["2", "1"]


def test_two_item_cycle_is_broken_with_a_warning():
    ids, warnings = rank([Rankable("1", 10, ("2",)), Rankable("2", 1, ("1",)), Rankable("3", 5)])
    assert ids == ["1", "3", "2"]
    assert warnings == ["dependency cycle among #1, #2; ignored that #1 depends on #2"]


def test_longer_cycle_keeps_plain_order_inside_it_and_is_deterministic():
    items = [Rankable("7", 1, ("8",)), Rankable("8", 2, ("9",)), Rankable("9", 3, ("7",)),
             Rankable("1", 0, ("7",))]
    ids, warnings = rank(items)
    assert ids == ["9", "8", "7", "1"]
    assert warnings == ["dependency cycle among #7, #8, #9; ignored that #9 depends on #7"]
    assert rank(list(reversed(items))) == (ids, warnings)


def test_self_dependency_is_ignored_with_a_warning():
    ids, warnings = rank([Rankable("4", 1, ("4",)), Rankable("5", 2)])
    assert ids == ["5", "4"]
    assert warnings == ["#4 depends on itself; ignored"]


def test_ten_thousand_items_with_chained_dependencies_all_come_after_their_blockers():
    # How fast this is belongs to bench/prioritize.py (docs/benchmarks.md), not to a test.
    count = 10_000
    items = [Rankable(str(i), float((i * 7919) % 1000), tuple(str(j) for j in (i // 2, i // 3) if j != i))
             for i in range(count)]
    ids, _ = rank(items)
    assert sorted(ids, key=int) == [str(i) for i in range(count)]
    position = {item_id: n for n, item_id in enumerate(ids)}
    assert all(position[d] < position[item.id] for item in items for d in item.depends_on)


@st.composite
def dags(draw):
    """Items whose dependencies only point to lower indexes (so acyclic), ids shuffled."""
    count = draw(st.integers(min_value=0, max_value=40))
    ids = draw(st.permutations([str(n) for n in range(1, count + 1)]))
    score = st.one_of(st.none(), st.integers(-5, 5).map(float))
    scores = draw(st.lists(score, min_size=count, max_size=count))
    items = []
    for n in range(count):
        needs = draw(st.lists(st.integers(0, n - 1), max_size=3)) if n else []
        missing = draw(st.lists(st.sampled_from(["900", "901"]), max_size=1))
        items.append(Rankable(ids[n], scores[n], tuple(ids[k] for k in needs) + tuple(missing)))
    return draw(st.permutations(items))


@settings(max_examples=200, deadline=None)
@given(dags())
def test_no_item_ranks_below_one_that_depends_on_it(items):
    ids, warnings = rank(items)
    assert warnings == []
    assert sorted(ids) == sorted(item.id for item in items)
    position = {item_id: n for n, item_id in enumerate(ids)}
    for item in items:
        for needed in item.depends_on:
            if needed in position:
                assert position[needed] < position[item.id], (needed, item.id)


@settings(max_examples=100, deadline=None)
@given(dags())
def test_without_dependencies_the_order_is_plain(items):
    plain = [Rankable(item.id, item.score) for item in items]
    ids, _ = rank(plain)
    by_id = {item.id: item for item in plain}
    keys = [(by_id[i].score is None, -(by_id[i].score or 0), int(i)) for i in ids]
    assert keys == sorted(keys)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 15), st.integers(1, 15)), max_size=40),
       st.lists(st.integers(0, 9), min_size=15, max_size=15))
def test_any_graph_even_cyclic_gives_a_permutation_deterministically(edges, scores):
    items = [Rankable(str(n), float(scores[n - 1]), tuple(str(b) for a, b in edges if a == n))
             for n in range(1, 16)]
    ids, warnings = rank(items)
    assert sorted(ids, key=int) == [str(n) for n in range(1, 16)]
    assert rank(list(reversed(items))) == (ids, warnings)
