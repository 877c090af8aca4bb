"""Dependency-aware ranking of scored improvements.

Plain order: highest score first, ties by numeric id ascending (ids that are not digit strings
come after, in string order), unscored improvements last (by id). Dependencies overrule that
order: an improvement is never ranked below one that depends on it. A blocker is pulled up to
just before the best-ranked improvement that (transitively) waits for it: its *effective
priority* is the best of its own and that of everything depending on it, and the ranking is a
topological order (Kahn's algorithm) that always takes the available item of best effective
priority, then best own priority. Dependencies on ids that are not ranked are ignored. A cycle
is broken deterministically, with a warning: inside it, dependencies on members of lower plain
priority are ignored, so its members keep their plain order. Runs in O((N + E) log N).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Rankable:
    """One improvement to rank: its id, its score (None when unscored), the ids it depends on."""

    id: str
    score: float | None
    depends_on: tuple[str, ...] = ()


def _id_key(item_id: str) -> tuple[int, int | str]:
    """Digit-string ids in numeric order, then any other id in string order."""
    if item_id.isascii() and item_id.isdigit():
        return (0, int(item_id))
    return (1, item_id)


def _plain_key(item: Rankable) -> tuple[int, float, tuple[int, int | str]]:
    """Sort key of the plain order: scored before unscored, higher score first, then id."""
    if item.score is None:
        return (1, 0.0, _id_key(item.id))
    return (0, -item.score, _id_key(item.id))


def _components(edges: list[list[int]]) -> list[list[int]]:
    """Strongly connected components with more than one member (Tarjan's algorithm, iterative).

    ``edges[n]`` lists the successors of node ``n``; nodes are ``0 .. len(edges) - 1``.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    found: list[list[int]] = []
    counter = 0
    for root in range(len(edges)):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges[node]
            while position < len(successors):
                nxt = successors[position]
                position += 1
                if nxt not in index:
                    work.append((node, position))
                    work.append((nxt, 0))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def _listing(names: list[str], limit: int = 10) -> str:
    """``a, b, c`` for at most ``limit`` names, then ``and N more``."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _break_cycles(dependents: list[list[int]], ids: list[str]) -> list[str]:
    """Make the graph acyclic; return one warning per dependency cycle.

    Nodes are numbered in plain order (0 ranks best). Inside each strongly connected component
    (every edge of it lies on a cycle), a dependency on a member of lower plain priority is
    dropped: the edge into the lowest-priority member of every cycle goes, so members of a cycle
    keep their plain order. One pass of Tarjan's algorithm: O(N + E).
    """
    warnings = []
    for component in sorted(_components(dependents), key=min):
        members = set(component)
        dropped = []
        for prerequisite in sorted(component):
            kept = []
            for waiting in dependents[prerequisite]:
                if waiting in members and waiting < prerequisite:
                    dropped.append(f"#{ids[waiting]} depends on #{ids[prerequisite]}")
                else:
                    kept.append(waiting)
            dependents[prerequisite] = kept
        names = [f"#{ids[n]}" for n in sorted(component, key=lambda n: _id_key(ids[n]))]
        warnings.append(f"dependency cycle among {_listing(names)}; ignored that {_listing(dropped)}")
    return warnings


def rank(items: list[Rankable]) -> tuple[list[str], list[str]]:
    """Rank ``items``; return (ids, best first) and warnings (cycles, duplicate ids, self-dependencies)."""
    warnings: list[str] = []
    unique: dict[str, Rankable] = {}
    for item in items:
        if item.id in unique:
            warnings.append(f"#{item.id} is listed more than once; ranked once")
        else:
            unique[item.id] = item
    ordered = sorted(unique.values(), key=_plain_key)
    ids = [item.id for item in ordered]
    position = {item_id: n for n, item_id in enumerate(ids)}
    plain_rank = range(len(ids))  # nodes are numbered in plain order
    # dependents[b] = items that depend on b: b must come before each of them
    dependents: list[list[int]] = [[] for _ in ids]
    for n, item in enumerate(ordered):
        for needed in dict.fromkeys(item.depends_on):
            if needed == item.id:
                warnings.append(f"#{item.id} depends on itself; ignored")
            elif needed in position:
                dependents[position[needed]].append(n)
    warnings += _break_cycles(dependents, ids)

    indegree = [0] * len(ids)
    for successors in dependents:
        for n in successors:
            indegree[n] += 1
    # effective priority: the best (lowest) plain rank among the item and all that wait for it
    topological = _kahn(indegree, dependents, deque(n for n in plain_rank if indegree[n] == 0))
    effective = list(plain_rank)
    for node in reversed(topological):
        for waiting in dependents[node]:
            if effective[waiting] < effective[node]:
                effective[node] = effective[waiting]
    heap = [(effective[n], n) for n in plain_rank if indegree[n] == 0]
    heapq.heapify(heap)
    result = []
    remaining = indegree[:]
    while heap:
        _, node = heapq.heappop(heap)
        result.append(ids[node])
        for waiting in dependents[node]:
            remaining[waiting] -= 1
            if remaining[waiting] == 0:
                heapq.heappush(heap, (effective[waiting], waiting))
    return result, warnings


def _kahn(indegree: list[int], dependents: list[list[int]], ready: deque[int]) -> list[int]:
    """Any topological order of an acyclic graph (the order of discovery does not matter here)."""
    remaining = indegree[:]
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for waiting in dependents[node]:
            remaining[waiting] -= 1
            if remaining[waiting] == 0:
                ready.append(waiting)
    return order
