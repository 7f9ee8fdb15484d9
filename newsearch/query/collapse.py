"""Collapsing near-duplicates: a page of stories from a search's ranked tiers, the same policy on every engine.

A story is a near-duplicate group (a document without a group is a story of its own). It is
shown once, as its best-ranked copy, at that copy's rank; a story with copies in an earlier
tier is not shown again in a later one. Engines give what only they can: a tier's best hits,
a hit's group, and how many documents of each group a tier matches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

H = TypeVar("H")  # an engine's ranked hit
T = TypeVar("T")  # an engine's tier (a query it runs)


@dataclass(frozen=True)
class Stories(Generic[H]):
    """One page of stories."""

    hits: list[H]  # the best-ranked copy of each story on the page, in rank order
    total: int  # matching documents, every copy counted
    stories: int  # matching stories
    copies: Counter  # group -> matching documents, for the groups counted (a group not listed: one)


def page_of_stories(tiers: Sequence[T], first: int, stop: int,
                    rank: Callable[[T, int], tuple[Sequence[H], int]],
                    group: Callable[[H], Hashable],
                    counts: Callable[[T], tuple[Counter, int]]) -> Stories[H]:
    """Stories ``first`` to ``stop`` (0-based) of the tiers, ranked tier after tier.

    ``rank(tier, wanted)`` gives at least the tier's ``wanted`` best hits (fewer when it matches
    fewer) and how many documents it matches; ``group(hit)`` the hit's group; ``counts(tier)`` the
    documents it matches per group, for every group with two or more (others may be left out),
    and how many matching documents are not listed (each a story of its own). Each tier is read
    from the top, keeping the first hit of each story not seen before; when that gives too few
    stories, four times as many of its hits are ranked.
    """
    picked: list[H] = []
    copies: Counter = Counter()
    total = singles = 0
    for tier in tiers:
        need = stop - len(picked)
        wanted = max(need * 2, 1)
        while need > 0:
            ranked, count = rank(tier, wanted)
            found, seen = [], set(copies) | {group(hit) for hit in picked}
            for hit in ranked:
                key = group(hit)
                if key not in seen:
                    seen.add(key)
                    found.append(hit)
                    if len(found) == need:
                        break
            if len(found) == need or wanted >= count:
                picked.extend(found)
                break
            wanted *= 4
        in_tier, others = counts(tier)  # after ranking, which may have found the tier's matches already
        total += sum(in_tier.values()) + others
        singles += others
        copies.update(in_tier)
    return Stories(picked[first:stop], total, len(copies) + singles, copies)
