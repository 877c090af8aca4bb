"""Sparse order keys: the stored form of the register's ranking.

The host stores, per ranked improvement, an integer *order key* (the ``rank`` register field,
custom field ``CI Rank``) instead of its position. Keys are sparse (gaps between neighbours) and
all have the same number of digits (``LOW`` .. ``HIGH``), so sorting the host's ticket list by
the field gives the ranking whether the host compares the values as numbers or as text.
Positions (1 = do first) are computed from the keys when printing (:func:`positions`).

Re-ranking keeps as many keys as possible: the longest strictly increasing subsequence of the
current keys, read in the new order, stays untouched, and only the others get a new key between
their kept neighbours (fractional-index style). So a new or moved improvement costs one write,
not one per improvement below it. Only when a gap has no free integer left is a window of
neighbours around it re-spread (rebalanced), as small as fits.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence

#: Smallest and largest order key: nine digits each, so text order equals numeric order, and
#: under 10**9, so the key fits the integer fields of every host (a 32-bit integer; Zammad
#: caps its integer attributes at 999,999,999).
LOW = 100_000_000
HIGH = 999_999_999
#: Preferred distance between neighbouring keys (less when the band is crowded).
STEP = 1_000_000


def valid(key: object) -> bool:
    """Whether ``key`` is an order key of this scheme (an int in LOW..HIGH; not a bool)."""
    return isinstance(key, int) and not isinstance(key, bool) and LOW <= key <= HIGH


def longest_increasing(keys: Sequence[int | None]) -> list[int]:
    """Indexes of one longest strictly increasing subsequence of ``keys`` (``None`` skipped).

    Patience sorting with back-pointers, O(N log N). Ties are broken towards the earliest
    candidates, so the answer is deterministic.
    """
    tails: list[int] = []  # tails[k] = smallest tail key of an increasing run of length k + 1
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(keys)
    for index, key in enumerate(keys):
        if key is None:
            continue
        length = bisect_left(tails, key)
        if length == len(tails):
            tails.append(key)
            tail_index.append(index)
        else:
            tails[length] = key
            tail_index[length] = index
        previous[index] = tail_index[length - 1] if length else -1
    chain: list[int] = []
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        chain.append(index)
        index = previous[index]
    return chain[::-1]


def _spread(lo: int, hi: int, count: int) -> list[int] | None:
    """``count`` increasing keys strictly between ``lo`` and ``hi`` (either may be a band edge
    sentinel ``LOW - 1`` / ``HIGH + 1``), or None when there is no room."""
    room = hi - lo - 1
    if count > room:
        return None
    if lo < LOW and hi > HIGH:  # nothing kept: centre a run of STEP-spaced keys in the band
        step = min(STEP, (hi - lo) // (count + 1))
        start = lo + (hi - lo - step * (count - 1)) // 2
        return [start + step * n for n in range(count)]
    if lo < LOW:  # before the first kept key: step down from it, leaving room for more
        step = min(STEP, (hi - lo) // (count + 1))
        return [hi - step * (count - n) for n in range(count)]
    if hi > HIGH:  # after the last kept key: step up
        step = min(STEP, (hi - lo) // (count + 1))
        return [lo + step * (n + 1) for n in range(count)]
    return [lo + (hi - lo) * (n + 1) // (count + 1) for n in range(count)]


def assign(current: Sequence[int | None]) -> list[int]:
    """New order keys for items listed in their desired order, given their current keys.

    ``current[n]`` is the stored key of the item that should be at position ``n`` (None or an
    invalid key for an item without one). The result is strictly increasing, within LOW..HIGH,
    and equal to ``current`` on one longest increasing subsequence of the valid keys; every other
    item gets a key between its kept neighbours. Where a gap is too small, kept neighbours on both
    sides are given up (re-keyed) one at a time until the window fits.
    """
    count = len(current)
    if count > HIGH - LOW + 1:
        raise ValueError(f"cannot key {count} items: at most {HIGH - LOW + 1}")
    cleaned = [key if valid(key) else None for key in current]
    kept = [False] * count
    for index in longest_increasing(cleaned):
        kept[index] = True
    keys: list[int] = [0] * count
    anchors = [n for n in range(count) if kept[n]]
    for n in anchors:
        keys[n] = cleaned[n]  # type: ignore[assignment]

    def key_at(position: int) -> int:
        if position < 0:
            return LOW - 1
        if position >= count:
            return HIGH + 1
        return keys[position]

    anchor_no = 0  # index in anchors of the first anchor right of the current segment
    left = -1
    while left < count:
        while anchor_no < len(anchors) and anchors[anchor_no] <= left:
            anchor_no += 1
        right = anchors[anchor_no] if anchor_no < len(anchors) else count
        if right - left > 1:
            lo_no, hi_no = _anchor_index(anchors, left), anchor_no
            new = _spread(key_at(left), key_at(right), right - left - 1)
            widen_left = True
            while new is None:  # rebalance: give up the nearest kept neighbour, alternately
                if widen_left and lo_no >= 0 or hi_no >= len(anchors):
                    lo_no -= 1
                else:
                    hi_no += 1
                widen_left = not widen_left
                left = anchors[lo_no] if lo_no >= 0 else -1
                right = anchors[hi_no] if hi_no < len(anchors) else count
                new = _spread(key_at(left), key_at(right), right - left - 1)
            keys[left + 1:right] = new
            anchor_no = hi_no
        left = right
    return keys


def _anchor_index(anchors: list[int], position: int) -> int:
    """Index in ``anchors`` of the anchor at ``position``, or -1 for the start sentinel."""
    if position < 0:
        return -1
    return bisect_left(anchors, position)


def positions(keys: Mapping[str, int | None]) -> dict[str, int]:
    """Position (1 = first) of every id with a valid key, by ascending key (then id)."""
    ranked = sorted((key, _id_order(item)) for item, key in keys.items() if valid(key))
    return {item: n for n, (_, (_, _, item)) in enumerate(ranked, start=1)}


def _id_order(item: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order, others after them (a stable tie-break between equal keys)."""
    if item.isascii() and item.isdigit():
        return (0, int(item), item)
    return (1, 0, item)


def changed(old: Iterable[int | None], new: Iterable[int]) -> int:
    """How many keys differ between ``old`` and ``new`` (paired in order)."""
    return sum(1 for a, b in zip(old, new) if a != b)
