"""Reads of the game app: session history and detail, progress, the review set."""

from game.selectors.progress import learner_progress
from game.selectors.review import review_speeches
from game.selectors.sessions import SessionDetail, session_detail, session_history, user_zone

__all__ = ["SessionDetail", "learner_progress", "review_speeches", "session_detail", "session_history", "user_zone"]
