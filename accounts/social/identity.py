from dataclasses import dataclass


@dataclass(frozen=True)
class SocialIdentity:
    """What a provider vouches for after its token has been verified."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""
