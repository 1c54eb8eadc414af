"""The one-time codes and links behind verification, reset and email change (no mail involved)."""

from datetime import timedelta

import pytest

from accounts.exceptions import AccountTokenInvalid
from accounts.models import AccountToken
from accounts.services import account_tokens
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
RESET = AccountToken.Purpose.RESET_PASSWORD
HOUR = timedelta(hours=1)


def _issue(user, purpose=RESET):
    return account_tokens.issue(user=user, purpose=purpose, email=user.email, lifetime=HOUR)


def test_only_digests_are_stored():
    issued = _issue(UserFactory())
    row = AccountToken.objects.values().get()

    assert len(issued.code) == 6 and issued.code.isdigit()
    assert len(issued.link_token) >= 40
    assert not any(issued.code in str(value) or issued.link_token in str(value) for value in row.values())


def test_a_new_token_replaces_the_earlier_one_of_its_purpose_only():
    user = UserFactory()
    verify = _issue(user, AccountToken.Purpose.VERIFY_EMAIL)
    first, second = _issue(user), _issue(user)

    with pytest.raises(AccountTokenInvalid):
        account_tokens.redeem(purpose=RESET, link_token=first.link_token, then=lambda token: token)
    assert account_tokens.redeem(purpose=RESET, link_token=second.link_token, then=lambda token: token.pk) == \
        second.token.pk
    assert account_tokens.redeem(purpose=AccountToken.Purpose.VERIFY_EMAIL, code=verify.code, user=user,
                                 then=lambda token: token.pk) == verify.token.pk


def test_a_token_of_one_purpose_is_no_token_of_another():
    user = UserFactory()
    issued = _issue(user, AccountToken.Purpose.VERIFY_EMAIL)

    with pytest.raises(AccountTokenInvalid):
        account_tokens.redeem(purpose=RESET, code=issued.code, email=user.email, then=lambda token: token)
    with pytest.raises(AccountTokenInvalid):
        account_tokens.redeem(purpose=RESET, link_token=issued.link_token, then=lambda token: token)


def test_a_failing_then_keeps_the_token_and_a_wrong_code_is_counted():
    user = UserFactory()
    issued = _issue(user)

    def refuse(token):
        raise ValueError("weak password")

    with pytest.raises(ValueError):
        account_tokens.redeem(purpose=RESET, code=issued.code, email=user.email, then=refuse)
    with pytest.raises(AccountTokenInvalid):
        account_tokens.redeem(purpose=RESET, code="000000" if issued.code != "000000" else "111111",
                              email=user.email, then=lambda token: token)

    token = AccountToken.objects.get()
    assert (token.used_at, token.failed_attempts) == (None, 1)


def test_purge_deletes_tokens_long_ended():
    user = UserFactory()
    _issue(user)
    AccountToken.objects.update(expires_at=AccountToken.objects.get().created_at - timedelta(days=8))

    assert account_tokens.purge_ended() == 1
    assert not AccountToken.objects.exists()
