"""Reads of the game app: session history and detail, progress, the review set, the home screen."""

from game.selectors.home import home_screen
from game.selectors.progress import learner_progress
from game.selectors.review import due_review_count, review_items, weakest_speech_ids
from game.selectors.sessions import SessionDetail, session_detail, session_history, user_zone

__all__ = ["SessionDetail", "due_review_count", "home_screen", "learner_progress", "review_items", "session_detail",
           "session_history", "user_zone", "weakest_speech_ids"]
