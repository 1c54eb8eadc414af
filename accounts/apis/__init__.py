"""The accounts API views (split by topic, re-exported for urls.py)."""

from accounts.apis.auth import (
    LoginApi,
    LogoutApi,
    MeApi,
    PasswordChangeApi,
    RefreshApi,
    RegisterApi,
    SessionDetailApi,
    SessionListApi,
    SocialLoginApi,
)
from accounts.apis.recovery import (
    EmailChangeApi,
    EmailChangeConfirmApi,
    EmailVerifyApi,
    EmailVerifyResendApi,
    PasswordResetApi,
    PasswordResetConfirmApi,
)

__all__ = [
    "EmailChangeApi", "EmailChangeConfirmApi", "EmailVerifyApi", "EmailVerifyResendApi", "LoginApi", "LogoutApi",
    "MeApi", "PasswordChangeApi", "PasswordResetApi", "PasswordResetConfirmApi", "RefreshApi", "RegisterApi",
    "SessionDetailApi", "SessionListApi", "SocialLoginApi",
]
