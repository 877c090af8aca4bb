"""Recurring incidents: which tickets are the same trouble again (pure; ``propose`` uses it).

Two tickets recur together when they share the grouping key (the host's category, queue or a
named custom field) and their subjects are similar:

* a subject is normalised to its set of tokens: lower-cased words of letters only; a word that
  holds a digit (numbers, ids, ``#123``, ``vpn-gw-07``'s ``07``, hex ids) is dropped, and so are
  one-letter words and the few :data:`STOPWORDS`;
* two token sets are similar when their Jaccard index (shared / all tokens) is at least
  :data:`THRESHOLD` (0.6); an empty set is similar to nothing;
* a group is a connected component of the "similar" relation within one key (single linkage);
  a ticket without a key (``""``: no category, the custom field unset) is in no group.

Components do not depend on the order of the input, so the groups are deterministic; adding a
ticket can only join components, never split one. Groups come sorted by key, then lowest id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: The similarity threshold: Jaccard index of the two subjects' token sets.
THRESHOLD = 0.6

#: Words that say nothing about the trouble.
STOPWORDS = frozenset("a an and are at be by for from in is it of on or the to with".split())

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Occurrence:
    """One ticket as grouping sees it: id, grouping key, subject, created (ISO 8601 text)."""

    id: str
    key: str
    subject: str
    created: str = ""


@dataclass
class Group:
    """Tickets that recur together: the shared key, ids (ascending), first and last seen."""

    key: str
    ids: list[str]
    first_seen: str
    last_seen: str
    tokens: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many tickets the group holds."""
        return len(self.ids)


def tokens(subject: str) -> frozenset[str]:
    """The normalised token set of a subject (see the module docstring)."""
    words = (w.lower() for w in _WORD.findall(subject or ""))
    return frozenset(w for w in words if len(w) > 1 and not any(c.isdigit() for c in w) and w not in STOPWORDS)


def similar(left: frozenset[str], right: frozenset[str], threshold: float = THRESHOLD) -> bool:
    """Whether two token sets reach the Jaccard threshold (empty sets never do)."""
    if not left or not right:
        return False
    shared = len(left & right)
    return shared / (len(left) + len(right) - shared) >= threshold


def _id_order(ticket_id: str) -> tuple[int, str]:
    return (int(ticket_id), "") if ticket_id.isdigit() else (1 << 62, ticket_id)


def _components(sets: list[frozenset[str]], threshold: float) -> list[list[int]]:
    """Connected components over distinct token sets, comparing only candidate pairs: with
    prefix filtering (tokens ordered rarest first, a set indexed by its first
    ``len - ceil(threshold * len) + 1`` tokens), two sets whose Jaccard index reaches the
    threshold always share a token of their prefixes, so no similar pair is missed."""
    parent = list(range(len(sets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    frequency: dict[str, int] = {}
    for toks in sets:
        for tok in toks:
            frequency[tok] = frequency.get(tok, 0) + 1
    index: dict[str, list[int]] = {}
    for i, toks in enumerate(sets):
        ordered = sorted(toks, key=lambda t: (frequency[t], t))
        prefix = ordered[:len(ordered) - math.ceil(threshold * len(ordered) - 1e-9) + 1]
        seen: set[int] = set()
        for tok in prefix:
            for j in index.get(tok, ()):
                if j in seen:
                    continue
                seen.add(j)
                small, large = sorted((len(toks), len(sets[j])))
                if small >= threshold * large - 1e-9 and similar(toks, sets[j], threshold):
                    a, b = find(i), find(j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
            index.setdefault(tok, []).append(i)
    found: dict[int, list[int]] = {}
    for i in range(len(sets)):
        found.setdefault(find(i), []).append(i)
    return list(found.values())


def group(occurrences: Iterable[Occurrence], *, min_count: int = 1, threshold: float = THRESHOLD) -> list[Group]:
    """The groups of at least ``min_count`` tickets (see the module docstring)."""
    by_key: dict[str, dict[frozenset[str], list[Occurrence]]] = {}
    for item in occurrences:
        toks = tokens(item.subject)
        if toks and item.key:
            by_key.setdefault(item.key, {}).setdefault(toks, []).append(item)
    groups: list[Group] = []
    for key, buckets in by_key.items():
        sets = sorted(buckets, key=lambda s: sorted(s))  # a fixed order: the result does not depend on the input's
        for component in _components(sets, threshold):
            members = [o for i in component for o in buckets[sets[i]]]
            if len(members) < min_count:
                continue
            times = sorted(o.created for o in members if o.created)
            common = frozenset.intersection(*(sets[i] for i in component))
            groups.append(Group(key=key, ids=sorted({o.id for o in members}, key=_id_order),
                                first_seen=times[0] if times else "", last_seen=times[-1] if times else "",
                                tokens=sorted(common)))
    return sorted(groups, key=lambda g: (g.key, _id_order(g.ids[0])))
