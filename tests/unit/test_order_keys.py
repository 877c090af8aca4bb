"""Sparse order keys: strictly increasing in the desired order, as few changes as the LIS allows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ci_plugin.domain import order_keys
from ci_plugin.domain.order_keys import HIGH, LOW, assign, longest_increasing, positions


def _lis_length(keys):
    """Reference: O(N^2) longest strictly increasing subsequence of the non-None keys."""
    best = []
    for n, key in enumerate(keys):
        if key is None:
            best.append(0)
            continue
        best.append(1 + max([best[m] for m in range(n) if keys[m] is not None and keys[m] < key] or [0]))
    return max(best or [0])


def _valid_keys(keys):
    return [k if order_keys.valid(k) else None for k in keys]


any_key = st.one_of(st.none(), st.integers(LOW - 5, LOW + 40), st.integers(HIGH - 40, HIGH + 5),
                    st.integers(LOW, HIGH), st.just(0), st.just(-3))


@settings(max_examples=400)
@given(st.lists(any_key, max_size=60))
def test_any_current_keys_give_strictly_increasing_keys_in_the_band(current):
    keys = assign(current)
    assert len(keys) == len(current)
    assert all(LOW <= k <= HIGH for k in keys)
    assert all(a < b for a, b in zip(keys, keys[1:]))
    # never fewer changes than the longest increasing subsequence allows
    assert order_keys.changed(current, keys) >= len(current) - _lis_length(_valid_keys(current))


@st.composite
def _spaced_register_reordered(draw):
    """Keys with room in every gap (as a previous assign leaves them), then any new order, with
    some items new (no key) or holding a stale key from the old 1..N scheme."""
    size = draw(st.integers(0, 40))
    gap = draw(st.integers(size + 7, 10 ** 6))  # more free integers in a gap than items to place
    start = draw(st.integers(LOW + gap * (size + 2), LOW + gap * (size + 3)))
    keys = [start + gap * n for n in range(size)]
    order = draw(st.permutations(keys))
    extra = draw(st.lists(st.one_of(st.none(), st.integers(1, 500)), max_size=5))
    mixed = list(order)
    for value in extra:
        mixed.insert(draw(st.integers(0, len(mixed))), value)
    return mixed


@settings(max_examples=400)
@given(_spaced_register_reordered())
def test_with_room_in_the_gaps_exactly_n_minus_lis_keys_change(current):
    keys = assign(current)
    assert all(a < b for a, b in zip(keys, keys[1:]))
    assert order_keys.changed(current, keys) == len(current) - _lis_length(_valid_keys(current))


@given(st.lists(st.integers(0, 10 ** 6), max_size=80))
def test_longest_increasing_is_increasing_and_longest(keys):
    chain = longest_increasing(keys)
    assert chain == sorted(chain)
    assert all(keys[a] < keys[b] for a, b in zip(chain, chain[1:]))
    assert len(chain) == _lis_length(keys)


def test_one_new_top_item_changes_only_its_own_key():
    first = assign([None] * 2000)
    again = assign([None, *first])
    assert again[1:] == first and again[0] < first[0]


def test_a_full_gap_rebalances_a_small_window_only():
    current = [LOW + 10 * n for n in range(1, 100)]
    desired = current[:50] + [None] * 20 + current[50:]  # 20 new items in a gap of 9 free integers
    keys = assign(desired)
    assert all(a < b for a, b in zip(keys, keys[1:]))
    changed = order_keys.changed(desired, keys)
    assert 20 < changed < 40  # the 20 new ones plus a few neighbours, not the whole register


def test_keys_have_one_width_so_text_order_is_numeric_order():
    keys = assign([None] * 500)
    assert len({len(str(k)) for k in keys}) == 1
    assert sorted(map(str, keys)) == [str(k) for k in keys]


def test_positions_follow_keys_and_skip_items_without_a_valid_key():
    found = positions({"7": LOW + 30, "3": LOW + 10, "9": None, "4": LOW + 20, "5": 2})
    assert found == {"3": 1, "4": 2, "7": 3}
