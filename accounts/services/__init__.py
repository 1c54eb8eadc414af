"""Every write and business rule of the accounts app (split by topic, re-exported here)."""

from accounts.services.auth import (
    admin_password_reset,
    change_password,
    check_credentials,
    delete_account,
    login,
    record_admin_creation,
    record_admin_edit,
    register_user,
)
from accounts.services.mails import queue_mail
from accounts.services.profile import update_profile
from accounts.services.recovery import (
    request_password_reset,
    reset_password,
    send_password_reset_mail,
    staff_password_was_reset,
)
from accounts.services.social import social_sign_in
from accounts.services.staff_groups import CONTENT_EDITOR_GROUP, ensure_content_editor_group
from accounts.services.tokens import (
    TokenPair,
    logout,
    purge_ended_sessions,
    revoke_session,
    rotate_refresh_token,
    session_id_of,
)
from accounts.services.verification import (
    confirm_email_change,
    queue_verification_mail,
    request_email_change,
    send_email_change_mail,
    send_verification_mail,
    verify_email,
)

__all__ = [
    "TokenPair", "admin_password_reset", "change_password", "check_credentials", "confirm_email_change",
    "delete_account", "login", "logout", "purge_ended_sessions", "queue_mail", "queue_verification_mail",
    "record_admin_creation", "record_admin_edit", "register_user", "request_email_change", "request_password_reset",
    "reset_password", "revoke_session", "rotate_refresh_token", "send_email_change_mail",
    "send_password_reset_mail", "send_verification_mail", "session_id_of", "social_sign_in",
    "staff_password_was_reset", "update_profile", "verify_email",
    "CONTENT_EDITOR_GROUP", "ensure_content_editor_group",
]
