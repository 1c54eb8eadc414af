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
from accounts.services.profile import update_profile
from accounts.services.social import social_sign_in
from accounts.services.tokens import (
    TokenPair,
    logout,
    purge_ended_sessions,
    revoke_session,
    rotate_refresh_token,
    session_id_of,
)

__all__ = [
    "TokenPair", "admin_password_reset", "change_password", "check_credentials", "delete_account", "login",
    "logout",
    "purge_ended_sessions", "record_admin_creation", "record_admin_edit", "register_user", "revoke_session",
    "rotate_refresh_token", "session_id_of", "social_sign_in", "update_profile",
]
