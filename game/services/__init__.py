"""The game's writes: saving sessions (`sessions`) and the memory state of spaced review (`review`)."""

from game.services.sessions import (
    SaveOutcome,
    purge_expired_submissions,
    request_fingerprint,
    save_session,
    validate_idempotency_key,
)

__all__ = ["SaveOutcome", "purge_expired_submissions", "request_fingerprint", "save_session",
           "validate_idempotency_key"]
