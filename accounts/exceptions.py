"""Client-visible outcomes of the accounts services (turned into the error shape by config)."""

from rest_framework import status

from core.exceptions import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    ServiceUnavailable,
)


class EmailTaken(Conflict):
    code = "email_taken"
    detail = "An account with this email already exists."


class WeakPassword(InvalidInput):
    code = "weak_password"
    detail = "The password is too weak."


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    # One message whether or not the email exists, so it cannot be used to probe for accounts.
    detail = "Invalid email or password."


class AccountDisabled(Forbidden):
    code = "account_disabled"
    detail = "This account is disabled."


class AccountLocked(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "account_locked"
    detail = "Too many failed sign-in attempts. Try again later."


class InvalidRefreshToken(NotAuthenticated):
    code = "token_not_valid"
    detail = "The refresh token is invalid, expired or revoked."


class WrongPassword(InvalidInput):
    code = "invalid_password"
    detail = "The current password is not correct."


class PasswordNotSet(InvalidInput):
    code = "password_not_set"
    detail = "This account signs in with a social provider and has no password to change."


class DeviceSessionNotFound(NotFound):
    code = "session_not_found"
    detail = "No active session with this id."


class ProviderNotConfigured(InvalidInput):
    code = "provider_not_configured"
    detail = "Sign-in with this provider is not configured on this server."


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"
    detail = "The sign-in provider could not be reached. Try again later."


class SocialTokenInvalid(NotAuthenticated):
    code = "social_token_invalid"
    detail = "The provider token is not valid."


class EmailNotVerified(NotAuthenticated):
    code = "email_not_verified"
    detail = "The provider has not verified this email address."


class SocialEmailMissing(InvalidInput):
    code = "social_email_missing"
    detail = "The provider did not share an email address; allow email access and try again."
