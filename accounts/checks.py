"""Deploy checks of the accounts settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# The bar Django's own SECRET_KEY check (security.W009) sets.
MIN_SECRET_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5


@register(Tags.security, deploy=True)
def check_jwt_secret(app_configs=None, **kwargs) -> list[Warning]:
    """Access and refresh tokens are HMAC-signed: a short or repetitive key can be guessed offline."""
    secret = settings.JWT_SECRET_KEY
    if not secret:
        return []  # tokens are signed with SECRET_KEY, which Django's own deploy check judges
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_UNIQUE_CHARACTERS:
        return [Warning(
            f"JWT_SECRET_KEY is weak: use at least {MIN_SECRET_LENGTH} random characters "
            f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))').", id="accounts.W001")]
    return []


# Backends that deliver nothing to a mailbox: fine for development, a silent loss in production.
_UNDELIVERED_MAIL_BACKENDS = ("console.EmailBackend", "filebased.EmailBackend", "locmem.EmailBackend",
                              "dummy.EmailBackend")


@register(Tags.security, deploy=True)
def check_mail_delivery(app_configs=None, **kwargs) -> list[Warning]:
    """Without a real mail backend no learner can verify an address or reset a password."""
    if settings.EMAIL_BACKEND.endswith(_UNDELIVERED_MAIL_BACKENDS):
        return [Warning(f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: verification and password-reset mails "
                        "reach nobody. Set EMAIL_URL (e.g. smtp+tls://user:password@host:587).",
                        id="accounts.W002")]
    return []
