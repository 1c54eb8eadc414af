"""The community's client-visible failures, each with its own machine code."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput, NotFound


class InviteCodeNotFound(NotFound):
    code = "invite_code_not_found"
    detail = _("No learner has that invite code.")


class CannotBefriendYourself(InvalidInput):
    code = "cannot_befriend_yourself"
    detail = _("You cannot add yourself as a friend.")


class AlreadyFriends(Conflict):
    code = "already_friends"
    detail = _("You are already friends.")


class TooManyFriends(Conflict):
    code = "too_many_friends"
    detail = _("You have reached the most friends a learner may have.")


class FriendRequestNotFound(NotFound):
    code = "friend_request_not_found"
    detail = _("No such friend request.")


class FriendNotFound(NotFound):
    code = "friend_not_found"
    detail = _("That learner is not your friend.")
