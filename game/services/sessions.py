"""Saving practice sessions: the all-or-nothing write and idempotent retries.

Whether a session adds up is decided by `game.rules.sessions`; this module refuses what
does not, and stores what does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from content.exceptions import SpeechNotFound, TagNotFound
from content.models import Speech, Tag
from core.observability import metrics
from game.exceptions import IdempotencyKeyReused, InvalidIdempotencyKey, SessionInvalid
from game.inputs import SessionInput, SpeechFacts
from game.models import GameResult, GameSession, SessionSubmission
from game.rules.sessions import mean_score, session_problems
from game.services import learning_loop

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SaveOutcome:
    """The session a save stored, and whether this call only replayed an earlier save of it."""

    session_id: UUID
    replayed: bool
    # XP, achievements and the lesson outcome, as the first save answered them.
    outcome: dict


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


def _check_references(session: SessionInput) -> dict[UUID, SpeechFacts]:
    """404 naming every speech (then tag) ID that does not exist; archived speeches exist.

    Returns each speech's CEFR level and tags, which the learner's totals count by (one query for all three).
    """
    speech_ids = _unique([r.speech_id for r in session.results])
    found: dict[UUID, SpeechFacts] = {}
    for speech_id, level, tag_id in Speech.objects.filter(id__in=speech_ids).values_list("id", "level", "tags__id"):
        facts = found.setdefault(speech_id, SpeechFacts(level=level, tag_ids=[]))
        if tag_id is not None:
            facts.tag_ids.append(tag_id)
    missing = [str(speech_id) for speech_id in speech_ids if speech_id not in found]
    if missing:
        raise SpeechNotFound(gettext("{count} speech(es) do not exist.").format(count=len(missing)),
                             errors={"speech_ids": missing})
    tag_ids = _unique(list(session.selected_tags))
    if tag_ids:
        found_tags = set(Tag.objects.filter(id__in=tag_ids).values_list("id", flat=True))
        missing_tags = [str(tag_id) for tag_id in tag_ids if tag_id not in found_tags]
        if missing_tags:
            raise TagNotFound(gettext("{count} tag(s) do not exist.").format(count=len(missing_tags)),
                              errors={"selected_tags": missing_tags})
    return found


# --- idempotency ----------------------------------------------------------------

def validate_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not (1 <= len(key) <= 255) or not all(33 <= ord(ch) <= 126 for ch in key):
        raise InvalidIdempotencyKey()
    return key


def request_fingerprint(session: SessionInput) -> str:
    """sha256 of the session in a canonical form, so formatting and key order do not matter."""
    canonical = {**asdict(session), "results": [asdict(r) for r in session.ordered_results]}
    if canonical["lesson_id"] is None:
        # Bodies without a lesson keep the fingerprint they had before lessons existed.
        del canonical["lesson_id"]
    encoded = json.dumps(canonical, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _live_submission(*, user: User, key: str) -> SessionSubmission | None:
    submission = SessionSubmission.objects.filter(user=user, key=key).first()
    if submission is None:
        return None
    expires = submission.created_at + timedelta(hours=settings.GAME_IDEMPOTENCY_KEY_TTL_HOURS)
    if expires <= timezone.now():
        # An expired key may be reused for a new session.
        submission.delete()
        return None
    return submission


def _replay(submission: SessionSubmission, fingerprint: str) -> SaveOutcome:
    if submission.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    outcome = GameSession.objects.filter(id=submission.session_id).values_list("outcome", flat=True).first()
    return SaveOutcome(session_id=submission.session_id, replayed=True, outcome=outcome or {})


def purge_expired_submissions(*, now: datetime | None = None) -> int:
    """Delete idempotency records older than GAME_IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.GAME_IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = SessionSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- the write ------------------------------------------------------------------

def _write_session(*, user: User, session: SessionInput, key: str | None, fingerprint: str,
                   speeches: dict[UUID, SpeechFacts]) -> SaveOutcome:
    session_id = uuid.uuid4()
    average = mean_score([r.pronunciation_score for r in session.results if r.pronunciation_score is not None])
    with transaction.atomic():
        if key:
            # The key row goes first, so a concurrent retry blocks on it before doing any work. It already
            # names the session: foreign keys are checked at commit (Django declares them DEFERRABLE
            # INITIALLY DEFERRED), which saves an UPDATE per save.
            SessionSubmission.objects.create(user=user, key=key, fingerprint=fingerprint, session_id=session_id)
        # Before the session row: it locks the learner's stats, and what it returns is stored with the session.
        outcome = learning_loop.apply(user=user, session_id=session_id, session=session, speeches=speeches)
        stored = GameSession.objects.create(
            id=session_id, user=user, mode=session.mode, level=session.level,
            sentence_type=session.sentence_type, selected_tags=[str(t) for t in _unique(list(session.selected_tags))],
            total_sentences=session.total_sentences, correct_count=session.correct_count,
            max_streak=session.max_streak, avg_pronunciation_score=None if average is None else round(average, 1),
            duration_seconds=session.duration_seconds, started_at=session.started_at,
            completed_at=session.completed_at, lesson_id=session.lesson_id, outcome=outcome,
        )
        GameResult.objects.bulk_create([
            GameResult(
                session=stored, speech_id=r.speech_id, sequence_number=r.sequence_number,
                user_response=r.user_response, pronunciation_score=r.pronunciation_score,
                recognized_text=r.recognized_text or None, response_time_ms=r.response_time_ms,
            )
            for r in session.ordered_results
        ])
    metrics.record_session_saved()
    return SaveOutcome(session_id=session_id, replayed=False, outcome=outcome)


def save_session(*, user: User, session: SessionInput, idempotency_key: str | None = None) -> SaveOutcome:
    """Check a finished session against its results and store both, all or nothing.

    With an idempotency key, the first successful save is remembered and replayed to
    every retry with the same body; the same key with another body is a conflict.
    Failed requests are not remembered: the same body fails the same way again.
    """
    key = validate_idempotency_key(idempotency_key)
    # Only a keyed save is ever compared with another: without a key there is nothing to fingerprint.
    fingerprint = request_fingerprint(session) if key else ""
    if key:
        submission = _live_submission(user=user, key=key)
        if submission is not None:
            return _replay(submission, fingerprint)

    problems = session_problems(session, now=timezone.now(),
                                clock_skew=timedelta(seconds=settings.GAME_CLOCK_SKEW_SECONDS), translate=gettext)
    if problems:
        raise SessionInvalid(gettext("The session's statistics or results are inconsistent."), errors=problems)
    speeches = _check_references(session)
    learning_loop.check_lesson(user=user, session=session)

    try:
        return _write_session(user=user, session=session, key=key, fingerprint=fingerprint, speeches=speeches)
    except IntegrityError:
        if not key:
            raise
        # Lost the race to a concurrent request with the same key: answer as it did.
        winner = SessionSubmission.objects.filter(user=user, key=key).first()
        if winner is None:
            raise
        logger.info("Concurrent session save with the same Idempotency-Key; replaying the first answer.")
        return _replay(winner, fingerprint)
