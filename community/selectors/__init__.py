"""Every read of the community: league tables and standings, friends and their leaderboard."""

from community.selectors.friends import friends_leaderboard, friends_overview
from community.selectors.leagues import league_standing, league_table

__all__ = ["friends_leaderboard", "friends_overview", "league_standing", "league_table"]
