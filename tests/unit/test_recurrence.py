"""The grouping of recurring tickets (pure): normalisation, the Jaccard threshold, and the
properties propose relies on: a permutation of the input gives the same groups, and adding a
noise ticket never splits a group."""

import random

import pytest

from ci_plugin.domain.recurrence import THRESHOLD, Occurrence, group, similar, tokens


def occ(i, subject, key="General", created=None):
    return Occurrence(str(i), key, subject, created or f"2026-11-{(i % 28) + 1:02d}T10:00:00+00:00")


def test_numbers_ids_stopwords_and_case_are_stripped():
    assert tokens("VPN drops after sleep #4711 on laptop-07 (INC0042)") == {"vpn", "drops", "after", "sleep", "laptop"}
    assert tokens("12345 / #7") == frozenset()


def test_the_threshold_is_a_jaccard_index_of_token_sets():
    assert THRESHOLD == 0.6
    assert similar(tokens("vpn drops after sleep"), tokens("vpn drops after sleep again"))  # 4/5
    assert not similar(tokens("vpn drops after sleep"), tokens("vpn slow"))  # 1/5
    assert not similar(frozenset(), frozenset())


def test_a_cluster_is_found_with_varying_numbers_and_noise_stays_out():
    items = [occ(i, f"VPN drops after sleep on laptop {100 + i}") for i in range(1, 8)]
    items += [occ(20, "Printer out of toner"), occ(21, "Password reset for user 7"), occ(22, "VPN slow")]
    found = group(items, min_count=5)
    assert [(g.key, g.ids) for g in found] == [("General", [str(i) for i in range(1, 8)])]
    assert found[0].first_seen == "2026-11-02T10:00:00+00:00" and found[0].last_seen == "2026-11-08T10:00:00+00:00"
    assert found[0].tokens == ["after", "drops", "laptop", "sleep", "vpn"]


def test_the_key_separates_groups_and_min_count_drops_small_ones():
    items = [occ(i, "VPN drops after sleep", key="A" if i % 2 else "B") for i in range(1, 10)]
    assert [(g.key, g.count) for g in group(items, min_count=1)] == [("A", 5), ("B", 4)]
    assert [g.key for g in group(items, min_count=5)] == ["A"]


def test_similarity_is_transitive_through_a_chain():
    items = [occ(1, "mail server down today early morning"), occ(2, "mail server down today"), occ(3, "mail server down")]
    assert not similar(tokens(items[0].subject), tokens(items[2].subject))  # 3/6
    assert [g.ids for g in group(items)] == [["1", "2", "3"]]


def _desk(seed):
    rnd = random.Random(seed)
    templates = ["VPN drops after sleep", "printer out of toner", "password reset needed", "mail server down",
                 "wifi disconnects in meeting room", "laptop battery drains fast"]
    items = []
    for i in range(1, 80):
        words = rnd.choice(templates).split()
        if rnd.random() < 0.3:
            words.append(rnd.choice(["again", "urgent", "today", "floor"]))
        if rnd.random() < 0.2:
            words.pop(rnd.randrange(len(words)))
        words.insert(rnd.randrange(len(words) + 1), str(rnd.randrange(10000)))
        items.append(occ(i, " ".join(words), key=rnd.choice(["General", "Network"])))
    return rnd, items


def _shape(groups):
    return [(g.key, g.ids, g.first_seen, g.last_seen, g.tokens) for g in groups]


@pytest.mark.parametrize("seed", range(25))
def test_a_permutation_of_the_input_gives_the_same_groups(seed):
    rnd, items = _desk(seed)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert _shape(group(shuffled, min_count=2)) == _shape(group(items, min_count=2))


@pytest.mark.parametrize("seed", range(25))
def test_adding_a_noise_ticket_never_splits_a_group(seed):
    rnd, items = _desk(seed)
    before = group(items)
    noise = occ(500, " ".join(rnd.sample(["vpn", "printer", "mail", "down", "sleep", "toner", "zebra", "9"], 3)),
                key=rnd.choice(["General", "Network"]))
    after = group([*items, noise])
    for old in before:  # every old group lies whole inside one new group
        holders = [g for g in after if set(old.ids) <= set(g.ids)]
        assert len(holders) == 1 and holders[0].key == old.key


def test_a_ticket_without_a_key_is_in_no_group():
    items = [occ(i, "VPN drops after sleep", key="") for i in range(1, 8)]
    assert group(items) == []


@pytest.mark.parametrize("seed", range(20))
def test_the_candidate_filter_misses_no_similar_pair(seed):
    """Against comparing every pair: the same components."""
    rnd = random.Random(seed)
    vocabulary = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    items = [occ(i, " ".join(rnd.sample(vocabulary, rnd.randint(1, 6)))) for i in range(1, 120)]
    sets = [tokens(o.subject) for o in items]
    parent = list(range(len(items)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(items)):
        for j in range(i):
            if similar(sets[i], sets[j]):
                parent[find(i)] = find(j)
    brute = {}
    for i, o in enumerate(items):
        brute.setdefault(find(i), set()).add(o.id)
    assert sorted(sorted(g.ids) for g in group(items)) == sorted(sorted(ids) for ids in brute.values())
