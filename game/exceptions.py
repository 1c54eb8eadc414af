"""The game app's client-visible failures, each with its own machine code.

Unknown speeches and tags are content's `SpeechNotFound` / `TagNotFound`.
"""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound


class SessionInvalid(InvalidInput):
    code = "invalid_session"
    detail = _("The session does not add up.")


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    detail = _("Idempotency-Key must be 1 to 255 visible ASCII characters.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    detail = _("This Idempotency-Key was already used with a different request body.")


class SessionNotFound(NotFound):
    code = "session_not_found"
    detail = _("Session not found.")


class SessionForbidden(Forbidden):
    code = "session_forbidden"
    detail = _("This session belongs to another user.")
