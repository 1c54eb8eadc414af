"""Optional error tracking: Sentry starts only when SENTRY_DSN is set (see settings)."""


def init_sentry(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        # No user addresses, cookies or identities, and no request bodies: those carry
        # passwords, tokens and learners' recordings.
        send_default_pii=False,
        max_request_body_size="never",
    )
