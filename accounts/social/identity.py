from dataclasses import dataclass


@dataclass(frozen=True)
class SocialIdentity:
    """What a provider vouches for after its token has been verified."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""
    # The ID token's `nonce` claim ("" when it has none; Facebook tokens never do).
    nonce: str = ""
