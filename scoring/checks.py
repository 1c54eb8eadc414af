"""Startup checks of the scoring settings (run by `manage.py check`, runserver, migrate)."""

from django.conf import settings
from django.core.checks import Error, register

from scoring.providers.factory import PROVIDER_NAMES


@register("scoring")
def check_speech_settings(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    provider = settings.SPEECH_PROVIDER.strip().lower()
    fallback = settings.SPEECH_FALLBACK_PROVIDER.strip().lower()
    for name, value in (("SPEECH_PROVIDER", provider), ("SPEECH_FALLBACK_PROVIDER", fallback)):
        if value and value not in PROVIDER_NAMES:
            errors.append(Error(f"{name}={value!r} is not one of: {', '.join(PROVIDER_NAMES)}.", id="scoring.E001"))
    if "azure" in (provider, fallback):
        if not settings.AZURE_SPEECH_KEY:
            errors.append(Error("The azure speech provider needs AZURE_SPEECH_KEY.", id="scoring.E002"))
        if not (settings.AZURE_SPEECH_REGION or settings.AZURE_SPEECH_ENDPOINT):
            errors.append(Error("The azure speech provider needs AZURE_SPEECH_REGION (or AZURE_SPEECH_ENDPOINT).",
                                id="scoring.E003"))
    if settings.SPEECH_LOCAL_DECODERS < 1:
        errors.append(Error("SPEECH_LOCAL_DECODERS must be at least 1.", id="scoring.E004"))
    return errors
