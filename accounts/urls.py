from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/login", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/social", apis.SocialLoginApi.as_view(), name="auth-social"),
    path("auth/refresh", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", apis.LogoutApi.as_view(), name="auth-logout"),
    path("auth/password", apis.PasswordChangeApi.as_view(), name="auth-password"),
    path("auth/password/reset", apis.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("auth/password/reset/confirm", apis.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("auth/email/verify", apis.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path("auth/email/verify/resend", apis.EmailVerifyResendApi.as_view(), name="auth-email-verify-resend"),
    path("auth/sessions", apis.SessionListApi.as_view(), name="auth-sessions"),
    path("auth/sessions/<uuid:session_id>", apis.SessionDetailApi.as_view(), name="auth-session-detail"),
    path("users/me", apis.MeApi.as_view(), name="users-me"),
    path("users/me/email", apis.EmailChangeApi.as_view(), name="users-me-email"),
    path("users/me/email/confirm", apis.EmailChangeConfirmApi.as_view(), name="users-me-email-confirm"),
]
