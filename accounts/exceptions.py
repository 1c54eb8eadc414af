"""Client-visible outcomes of the accounts services (turned into the error shape by config)."""

from django.utils.translation import gettext_lazy as _
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
    detail = _("An account with this email already exists.")


class WeakPassword(InvalidInput):
    code = "weak_password"
    detail = _("The password is too weak.")


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    # One message whether or not the email exists, so it cannot be used to probe for accounts.
    detail = _("Invalid email or password.")


class AccountDisabled(Forbidden):
    code = "account_disabled"
    detail = _("This account is disabled.")


class AccountLocked(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "account_locked"
    detail = _("Too many failed sign-in attempts. Try again later.")


class InvalidRefreshToken(NotAuthenticated):
    code = "token_not_valid"
    detail = _("The refresh token is invalid, expired or revoked.")


class WrongPassword(InvalidInput):
    code = "invalid_password"
    detail = _("The current password is not correct.")


class PasswordNotSet(InvalidInput):
    code = "password_not_set"
    detail = _("This account signs in with a social provider and has no password to change.")


class DeviceSessionNotFound(NotFound):
    code = "session_not_found"
    detail = _("No active session with this id.")


class ProviderNotConfigured(InvalidInput):
    code = "provider_not_configured"
    detail = _("Sign-in with this provider is not configured on this server.")


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"
    detail = _("The sign-in provider could not be reached. Try again later.")


class SocialTokenInvalid(NotAuthenticated):
    code = "social_token_invalid"
    detail = _("The provider token is not valid.")


class EmailNotVerified(NotAuthenticated):
    code = "email_not_verified"
    detail = _("The provider has not verified this email address.")


class SocialEmailMissing(InvalidInput):
    code = "social_email_missing"
    detail = _("The provider did not share an email address; allow email access and try again.")


class AccountTokenInvalid(InvalidInput):
    code = "token_invalid"
    # One answer for a wrong, expired, used or foreign code: it says nothing about the account.
    detail = _("This code or link is not valid: it is wrong, has expired or was already used. Ask for a new one.")


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    detail = _("This email address is already verified.")


class EmailChangeNeedsConfirmation(InvalidInput):
    code = "email_change_requires_confirmation"
    detail = _("The email address changes only after the new address confirms it: use POST /api/v1/users/me/email.")


class SameEmail(InvalidInput):
    code = "same_email"
    detail = _("This is already the account's email address.")


class MailUnavailable(ServiceUnavailable):
    code = "mail_unavailable"
    detail = _("The mail could not be queued. Try again in a minute.")


class NonceRequired(InvalidInput):
    code = "nonce_required"
    detail = _("Apple sign-in needs the nonce the app used for this request.")
