"""Recency for news: relevance blended with age, as ``recent=True`` ranks hits.

A hit's score is multiplied by 2^(-age / HALF_LIFE_DAYS), its age counted in days back from the
newest hit among the best RECENT_POOL by relevance (an archive's "now" is its newest story, not
today): a story a month older than another needs twice the relevance to rank beside it. Undated
hits count as old as the oldest dated one. Totals, stories and facets are the query's own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from ..results import Hit

HALF_LIFE_DAYS = 30.0
RECENT_POOL = 200  # hits ranked by relevance that recency re-ranks (a page beyond it is not re-ranked)


def reranked(hits: Sequence[Hit], half_life_days: float = HALF_LIFE_DAYS) -> list[Hit]:
    """The hits by relevance × 2^(-age / half-life), best first (equal scores keep their order)."""
    moments = [_moment(hit.published) for hit in hits]
    dated = [moment for moment in moments if moment is not None]
    if not dated:
        return list(hits)
    newest, oldest = max(dated), min(dated)
    scored = []
    for hit, moment in zip(hits, moments, strict=True):
        age = (newest - (moment or oldest)).total_seconds() / 86400
        scored.append(dataclasses.replace(hit, score=hit.score * 2 ** (-age / half_life_days)))
    return sorted(scored, key=lambda hit: -hit.score)


def _moment(published: dt.date | None) -> dt.datetime | None:
    if published is None:
        return None
    if isinstance(published, dt.datetime):
        return published.astimezone(dt.UTC).replace(tzinfo=None) if published.tzinfo else published
    return dt.datetime(published.year, published.month, published.day)
