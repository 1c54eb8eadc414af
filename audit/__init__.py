"""The audit trail: `audit.record(action, target, changes)` from any service.

`record` is imported lazily: this package is imported while Django populates the app
registry, before models may be.
"""


def record(action, target=None, changes=None, *, actor=None, actor_email: str = ""):
    from audit.services import record as record_event

    return record_event(action, target, changes, actor=actor, actor_email=actor_email)
