"""Every write of the community: weekly XP and league seats, the week's close, opting out, friends."""

from community.services.friends import (
    accept_friend_request,
    add_friend_by_code,
    dismiss_friend_request,
    invite_code_for,
    remove_friend,
    request_friend_by_email,
)
from community.services.leagues import add_weekly_xp, close_finished_weeks, rebuild_league_rankings, set_leagues_opt_out

__all__ = [
    "accept_friend_request", "add_friend_by_code", "add_weekly_xp", "close_finished_weeks", "dismiss_friend_request",
    "invite_code_for", "rebuild_league_rankings", "remove_friend", "request_friend_by_email", "set_leagues_opt_out",
]
