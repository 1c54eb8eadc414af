"""The speech provider for this process, picked by SPEECH_PROVIDER, created once and reused.

Providers hold expensive state (loaded decoders, SDK configuration), so each is built on
first use under a lock and shared by every thread. Changing a SPEECH_* or AZURE_SPEECH_*
setting (tests do) drops them, so the next call builds them from the new settings.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from scoring.providers.base import SpeechProvider

PROVIDER_NAMES = ("local", "azure")

_lock = threading.Lock()
_providers: dict[str, SpeechProvider] = {}


def _create(name: str) -> SpeechProvider:
    if name == "local":
        from scoring.providers.local import LocalSpeechProvider

        return LocalSpeechProvider(pool_size=settings.SPEECH_LOCAL_DECODERS, wait_timeout=settings.SPEECH_API_TIMEOUT)
    if name == "azure":
        from scoring.providers.azure import AzureSpeechProvider

        return AzureSpeechProvider(
            key=settings.AZURE_SPEECH_KEY,
            region=settings.AZURE_SPEECH_REGION,
            endpoint=settings.AZURE_SPEECH_ENDPOINT,
            timeout=settings.SPEECH_API_TIMEOUT,
            max_attempts=settings.SPEECH_API_MAX_ATTEMPTS,
            backoff=settings.SPEECH_API_BACKOFF_SECONDS,
        )
    raise ImproperlyConfigured(f"Unknown speech provider {name!r}; use one of: {', '.join(PROVIDER_NAMES)}.")


def get_speech_provider(name: str | None = None) -> SpeechProvider:
    """The shared provider called `name` (default: settings.SPEECH_PROVIDER)."""
    name = (name or settings.SPEECH_PROVIDER).strip().lower()
    provider = _providers.get(name)
    if provider is None:
        with _lock:
            provider = _providers.get(name)
            if provider is None:
                provider = _providers[name] = _create(name)
    return provider


def reset_speech_providers() -> None:
    with _lock:
        _providers.clear()


@receiver(setting_changed)
def _drop_providers_on_setting_change(*, setting: str, **kwargs) -> None:
    if setting.startswith(("SPEECH_", "AZURE_SPEECH_")):
        reset_speech_providers()
