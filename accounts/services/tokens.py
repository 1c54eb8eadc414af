"""JWT pairs and device sessions.

Every sign-in starts a DeviceSession; its id rides in the refresh token as the `sid`
claim and survives rotation, so one row stands for one signed-in device. A refresh
token is accepted only if it is the newest of a live session: rotating blacklists the
old one, and revoking the session (logout, revoke, password change, account deletion)
stops the family even if a copy of an older token leaks.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

import audit
from accounts.exceptions import DeviceSessionNotFound, InvalidRefreshToken
from accounts.models import AuthProvider, DeviceSession, User
from core.cache import CacheUnavailable, get_quietly, set_quietly
from core.http import context

SESSION_CLAIM = "sid"
_STATE_KEY = "accounts:session-state:{}"
_REVOKED, _LIVE = 0, 1
# How long a worker trusts a cached "still signed in" before asking the database again.
SESSION_STATE_CACHE_SECONDS = 30

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    session: DeviceSession

    token_type = "Bearer"


def _issue(user: User, session: DeviceSession) -> tuple[RefreshToken, TokenPair]:
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = str(session.pk)
    session.current_jti = refresh[jwt_settings.JTI_CLAIM]
    session.expires_at = datetime_from_epoch(refresh["exp"])
    return refresh, TokenPair(access_token=str(refresh.access_token), refresh_token=str(refresh), session=session)


def start_session(*, user: User, auth_method: str = AuthProvider.EMAIL) -> TokenPair:
    """Sign `user` in on a new device (the calling one): a new session and its first token pair."""
    now = timezone.now()
    caller = context.current()
    session = DeviceSession(user=user, auth_method=auth_method, user_agent=caller.user_agent, ip=caller.ip,
                            created_at=now, last_used_at=now)
    _, pair = _issue(user, session)
    session.save()
    return pair


def _load_refresh(raw: str) -> RefreshToken:
    """A verified refresh token (signature, expiry, type, not blacklisted) or 401."""
    try:
        return RefreshToken(raw)
    except TokenError as exc:
        raise InvalidRefreshToken() from exc


def _session_id(token: RefreshToken) -> uuid.UUID:
    try:
        return uuid.UUID(str(token.get(SESSION_CLAIM)))
    except ValueError as exc:
        raise InvalidRefreshToken() from exc


def _live_session_for(token: RefreshToken) -> DeviceSession:
    """The session `token` belongs to, locked, if the token is its newest and the user may sign in."""
    session = (DeviceSession.objects.active().select_for_update().select_related("user")
               .filter(pk=_session_id(token)).first())
    if (session is None or not session.user.is_active
            or str(session.user_id) != str(token.get(jwt_settings.USER_ID_CLAIM))
            or session.current_jti != token[jwt_settings.JTI_CLAIM]):
        raise InvalidRefreshToken()
    return session


def rotate_refresh_token(*, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the used token is blacklisted.

    A refused token that we signed for a live session but that is no longer its newest is a
    rotated one coming back: someone holds a copy. The whole device session is revoked then
    (OAuth 2.0 security BCP, refresh token reuse detection), so the thief and the device
    both have to sign in again.
    """
    try:
        token = _load_refresh(refresh_token)
        with transaction.atomic():
            session = _live_session_for(token)
            token.blacklist()
            _, pair = _issue(session.user, session)
            session.last_used_at = timezone.now()
            caller = context.current()
            session.ip = caller.ip or session.ip
            session.user_agent = caller.user_agent or session.user_agent
            session.save(update_fields=["current_jti", "expires_at", "last_used_at", "ip", "user_agent"])
    except InvalidRefreshToken:
        _revoke_on_reuse(refresh_token)
        raise
    return pair


def _revoke_on_reuse(raw: str) -> None:
    try:
        # Signature and expiry checked, the blacklist not: a blacklisted token is what reuse looks like.
        claims = token_backend.decode(raw, verify=True)
        session_id = uuid.UUID(str(claims.get(SESSION_CLAIM)))
    except (TokenBackendError, ValueError, TypeError):
        return
    if claims.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return
    with transaction.atomic():
        session = DeviceSession.objects.active().select_for_update().filter(pk=session_id).first()
        if (session is None or str(session.user_id) != str(claims.get(jwt_settings.USER_ID_CLAIM))
                or session.current_jti == claims.get(jwt_settings.JTI_CLAIM)):
            return
        _revoke([session])
        audit.record("session.refresh_reuse", session, {"user_agent": session.user_agent}, actor=session.user)
    logger.warning("A rotated refresh token was used again; device session %s revoked", session_id)


def _blacklist_jtis(jtis: list[str]) -> None:
    outstanding = OutstandingToken.objects.filter(jti__in=[jti for jti in jtis if jti], blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding],
                                         ignore_conflicts=True)


def _revoke(sessions: list[DeviceSession]) -> None:
    now = timezone.now()
    _blacklist_jtis([session.current_jti for session in sessions])
    DeviceSession.objects.filter(pk__in=[session.pk for session in sessions]).update(revoked_at=now)
    session_ids = [str(session.pk) for session in sessions]
    # After the commit: a rolled-back revocation must not refuse a session that is still signed in.
    transaction.on_commit(lambda: _publish_revoked(session_ids))


def _publish_revoked(session_ids: list[str]) -> None:
    """Tell every worker at once; if the cache is down they learn it from the database instead."""
    if not session_ids:
        return
    lifetime = int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds())
    try:
        cache.set_many({_STATE_KEY.format(sid): _REVOKED for sid in session_ids}, timeout=lifetime)
    except CacheUnavailable:
        logger.warning("Could not record %d revoked session(s) in the cache", len(session_ids))


def is_session_revoked(session_id: str) -> bool:
    """True when the device session was signed out, so an access token of it must be refused.

    The database (`revoked_at`) decides; the cache only remembers its answer: "revoked" until
    the last access token could expire, "signed in" for SESSION_STATE_CACHE_SECONDS. With the
    cache down or emptied (a Redis restart) the question goes to the database, so a signed-out
    token is refused in every case; a sign-out the cache could not hear about is seen by every
    worker within SESSION_STATE_CACHE_SECONDS.
    """
    key = _STATE_KEY.format(session_id)
    state = get_quietly(key)
    if state is not None:
        return state == _REVOKED
    try:
        revoked = not DeviceSession.objects.filter(pk=uuid.UUID(session_id), revoked_at__isnull=True).exists()
    except ValueError:  # a sid that is no UUID names no session of ours
        return True
    if revoked:
        _publish_revoked([session_id])
    else:  # add, never set: a sign-out published meanwhile must not be overwritten
        set_quietly(key, _LIVE, SESSION_STATE_CACHE_SECONDS, only_if_absent=True)
    return revoked


def logout(*, refresh_token: str) -> None:
    """End the device session the refresh token belongs to."""
    token = _load_refresh(refresh_token)
    with transaction.atomic():
        session = _live_session_for(token)
        _revoke([session])
        audit.record("user.logout", session, actor=session.user)


def revoke_session(*, user: User, session_id: uuid.UUID, actor: User | None = None) -> None:
    """Sign one of the user's devices out; its refresh tokens stop working. `actor`: staff, if not the user."""
    with transaction.atomic():
        session = DeviceSession.objects.active().select_for_update().filter(pk=session_id, user=user).first()
        if session is None:
            raise DeviceSessionNotFound()
        _revoke([session])
        audit.record("session.revoke", session, {"user_agent": session.user_agent}, actor=actor or user)


def revoke_other_sessions(*, user: User, keep_session_id: str | None = None) -> int:
    """Revoke every live session of `user` except `keep_session_id`; returns how many."""
    sessions = DeviceSession.objects.filter(user=user, revoked_at__isnull=True)
    if keep_session_id:
        sessions = sessions.exclude(pk=keep_session_id)
    sessions = list(sessions.select_for_update())
    _revoke(sessions)
    return len(sessions)


def blacklist_all_refresh_tokens(*, user: User) -> None:
    """Blacklist every unexpired refresh token ever issued to `user`, session or not."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True,
                                                  expires_at__gt=timezone.now())
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding],
                                         ignore_conflicts=True)


def session_id_of(validated_access_token) -> str | None:
    """The device session an access token was issued for (None for tokens made elsewhere)."""
    if validated_access_token is None:
        return None
    value = validated_access_token.get(SESSION_CLAIM)
    return str(value) if value else None


def purge_ended_sessions(*, older_than: timedelta = timedelta(days=30)) -> dict[str, int]:
    """Delete sessions that ended (revoked or expired) more than `older_than` ago, and expired tokens.

    Expired refresh tokens fail their own expiry check, so their blacklist rows are no longer needed.
    """
    now = timezone.now()
    cutoff = now - older_than
    with transaction.atomic():
        sessions, _ = DeviceSession.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)).delete()
        tokens = OutstandingToken.objects.filter(expires_at__lt=now).count()
        OutstandingToken.objects.filter(expires_at__lt=now).delete()
    return {"sessions": sessions, "tokens": tokens}
