"""The game app's client-visible failures, each with its own machine code.

Unknown speeches and tags are content's `SpeechNotFound` / `TagNotFound`.
"""

from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound


class SessionInvalid(InvalidInput):
    code = "invalid_session"
    detail = "The session does not add up."


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    detail = "Idempotency-Key must be 1 to 255 visible ASCII characters."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    detail = "This Idempotency-Key was already used with a different request body."


class SessionNotFound(NotFound):
    code = "session_not_found"
    detail = "Session not found."


class SessionForbidden(Forbidden):
    code = "session_forbidden"
    detail = "This session belongs to another user."
