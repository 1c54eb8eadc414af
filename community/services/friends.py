"""Friends: added at once with an invite code (its holder shared it), or asked for by email and accepted.

A request by email names the address, not an account, and is answered the same whether or not a learner
holds it, so asking reveals nothing about who has signed up. A friendship is two rows, written and deleted
together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from community.exceptions import (
    AlreadyFriends,
    CannotBefriendYourself,
    FriendNotFound,
    FriendRequestNotFound,
    InviteCodeNotFound,
    TooManyFriends,
)
from community.models import CommunityProfile, FriendRequest, Friendship
from community.services.profiles import normalise_invite_code, profile_of
from core.cache import bump_generation, learner_generation_name

if TYPE_CHECKING:
    from accounts.models import User


def _address(email: str) -> str:
    return (email or "").strip().lower()


def invite_code_for(*, user: User) -> str:
    return profile_of(user).invite_code


def _befriend(user: User, friend: User) -> None:
    """Both rows, and no request left between the two; inside the caller's transaction."""
    if user.pk == friend.pk:
        raise CannotBefriendYourself()
    if Friendship.objects.filter(user=user, friend=friend).exists():
        raise AlreadyFriends()
    for side in (user, friend):
        if Friendship.objects.filter(user=side).count() >= settings.FRIENDS_MAX:
            raise TooManyFriends()
    try:
        with transaction.atomic():
            Friendship.objects.bulk_create([Friendship(user=user, friend=friend), Friendship(user=friend, friend=user)])
    except IntegrityError as error:  # the two asked each other at the same moment
        raise AlreadyFriends() from error
    FriendRequest.objects.filter(Q(from_user=user, to_email=_address(friend.email))
                                 | Q(from_user=friend, to_email=_address(user.email))).delete()
    _friends_changed(user.pk, friend.pk)


def _friends_changed(*user_ids: Any) -> None:
    for user_id in user_ids:
        bump_generation(learner_generation_name(user_id))  # their cached friend lists


def add_friend_by_code(*, user: User, invite_code: str) -> User:
    profile = CommunityProfile.objects.select_related("user").filter(
        invite_code=normalise_invite_code(invite_code), user__is_active=True).first()
    if profile is None:
        raise InviteCodeNotFound(errors={"invite_code": ["No learner has this code."]})
    with transaction.atomic():
        _befriend(user, profile.user)
    return profile.user


def request_friend_by_email(*, user: User, email: str) -> FriendRequest:
    """Ask whoever holds `email`; asking again keeps the first request."""
    address = _address(email)
    if address == _address(user.email):
        raise CannotBefriendYourself(errors={"email": ["This is your own address."]})
    holder = get_user_model().objects.filter(email__iexact=address, is_active=True).first()
    with transaction.atomic():
        if holder is not None and Friendship.objects.filter(user=user, friend=holder).exists():
            raise AlreadyFriends()
        if FriendRequest.objects.filter(from_user=user).count() >= settings.FRIENDS_MAX:
            raise TooManyFriends(errors={"email": ["Too many requests are waiting for an answer."]})
        request, _ = FriendRequest.objects.get_or_create(from_user=user, to_email=address)
    return request


def _incoming(user: User, request_id: UUID) -> FriendRequest:
    request = FriendRequest.objects.select_related("from_user").filter(
        pk=request_id, to_email=_address(user.email)).first()
    if request is None:
        raise FriendRequestNotFound()
    return request


def accept_friend_request(*, user: User, request_id: UUID) -> User:
    with transaction.atomic():
        request = _incoming(user, request_id)
        friend = request.from_user
        request.delete()
        if not Friendship.objects.filter(user=user, friend=friend).exists():
            _befriend(user, friend)
    return friend


def dismiss_friend_request(*, user: User, request_id: UUID) -> None:
    """Its addressee declines it, or its sender withdraws it."""
    deleted, _ = FriendRequest.objects.filter(
        Q(pk=request_id) & (Q(from_user=user) | Q(to_email=_address(user.email)))).delete()
    if not deleted:
        raise FriendRequestNotFound()


def remove_friend(*, user: User, friend_id: UUID) -> None:
    deleted, _ = Friendship.objects.filter(Q(user=user, friend_id=friend_id)
                                           | Q(user_id=friend_id, friend=user)).delete()
    if not deleted:
        raise FriendNotFound()
    _friends_changed(user.pk, friend_id)
