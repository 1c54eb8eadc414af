"""A renamed or deleted account leaves no stale copy of its public profile, whichever way it changed (its own
profile edit, the admin, deletion): its cached profile is forgotten and its friends' cached friend lists too."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_delete

from community import keys
from community.models import Friendship
from core.cache import bump_generation, forget, learner_generation_name

# What other learners see of an account (`community.selectors.people`).
_SHOWN = {"name", "avatar_url"}


def _account_changed(instance, created: bool = False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and not _SHOWN & set(update_fields)):
        return
    forget(keys.public_profile(instance.pk))
    for friend_id in Friendship.objects.filter(user_id=instance.pk).values_list("friend_id", flat=True):
        bump_generation(learner_generation_name(friend_id))


def connect() -> None:
    # Before a deletion, while the friendships that name the friends still exist.
    for name, signal in (("saved", post_save), ("deleted", pre_delete)):
        signal.connect(_account_changed, sender=get_user_model(), dispatch_uid=f"community-profile-{name}")
