"""The league rules as pure functions: league weeks, tiers, who goes up and who goes down.

A league week starts on Monday at 00:00 in one fixed time zone for everyone (LEAGUE_TIME_ZONE), so a
league's members all race against the same clock. Within a league, learners rank by the week's XP; equal XP
is ordered by learner id, descending: the order Redis gives equal scores, so the table read from Redis and
the one recomputed from the database agree to the seat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

# The ladder, lowest first; a learner's tier is an index into it.
TIERS = ("bronze", "silver", "gold", "sapphire", "ruby", "emerald", "amethyst", "pearl", "obsidian", "diamond")
TIER_NAMES = {"bronze": "Bronze", "silver": "Silver", "gold": "Gold", "sapphire": "Sapphire", "ruby": "Ruby",
              "emerald": "Emerald", "amethyst": "Amethyst", "pearl": "Pearl", "obsidian": "Obsidian",
              "diamond": "Diamond"}
TOP_TIER = len(TIERS) - 1

Outcome = Literal["promoted", "stayed", "demoted"]


@dataclass(frozen=True)
class Ladder:
    """The numbers of a league: its target size and, in a full league, how many go up and down."""

    size: int = 30
    promote: int = 7
    demote: int = 5


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of the league week `moment` falls in."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def week_bounds(start: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """When the league week of `start` begins and ends (the next Monday 00:00), as aware datetimes."""
    begins = datetime.combine(start, time.min, tzinfo=zone)
    ends = datetime.combine(start + timedelta(days=7), time.min, tzinfo=zone)
    return begins, ends


def moves(members: int, *, tier: int, ladder: Ladder) -> tuple[int, int]:
    """How many of a league of `members` are promoted and demoted at the week's close.

    A smaller league moves proportionally fewer, rounded in the learner's favour (promotions up, demotions
    down), and never more than a full league would; the top tier promotes nobody, the bottom demotes nobody.
    """
    if members <= 0:
        return 0, 0
    promote = min(ladder.promote, math.ceil(members * ladder.promote / ladder.size))
    demote = min(ladder.demote, math.floor(members * ladder.demote / ladder.size))
    if tier >= TOP_TIER:
        promote = 0
    if tier <= 0:
        demote = 0
    demote = min(demote, members - promote)
    return promote, demote


def outcome(rank: int, *, members: int, tier: int, ladder: Ladder) -> Outcome:
    """What the week's close does to the learner at `rank` (1 is first) of a league of `members`."""
    promote, demote = moves(members, tier=tier, ladder=ladder)
    if rank <= promote:
        return "promoted"
    if rank > members - demote:
        return "demoted"
    return "stayed"


def next_tier(tier: int, result: Outcome) -> int:
    if result == "promoted":
        return min(tier + 1, TOP_TIER)
    if result == "demoted":
        return max(tier - 1, 0)
    return tier


def ranked(scores: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(learner id, XP) pairs in league order: most XP first, equal XP by id descending (as Redis orders)."""
    return sorted(scores, key=lambda pair: (pair[1], pair[0]), reverse=True)


def tier_info(tier: int) -> dict[str, object]:
    code = TIERS[max(0, min(tier, TOP_TIER))]
    return {"index": tier, "code": code, "name": TIER_NAMES[code]}
