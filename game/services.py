"""Saving practice sessions: the consistency rules, the all-or-nothing write, idempotent retries."""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.observability import metrics
from content.models import Speech, Tag
from game.exceptions import IdempotencyKeyReused, InvalidIdempotencyKey, SessionInvalid, SpeechNotFound, TagNotFound
from game.models import GameMode, GameResult, GameSession, SessionSubmission, UserResponse

logger = logging.getLogger(__name__)

SAVED_MESSAGE = "Session saved successfully"
# A client may round the average to one decimal; anything closer than this agrees.
AVERAGE_TOLERANCE = 0.05 + 1e-9
# Clocks tick in whole seconds on some clients; a second of slack on the duration check.
DURATION_SLACK_SECONDS = 1


@dataclass(frozen=True)
class SaveOutcome:
    status: int
    body: dict[str, Any]
    replayed: bool


# --- consistency rules ----------------------------------------------------------

def longest_correct_run(responses: list[str]) -> int:
    """Longest run of consecutive `correct` answers, in the order given."""
    best = run = 0
    for response in responses:
        run = run + 1 if response == UserResponse.CORRECT else 0
        best = max(best, run)
    return best


def mean_score(scores: list[float]) -> float | None:
    return sum(scores) / len(scores) if scores else None


def session_problems(data: dict, *, now=None) -> dict[str, Any]:
    """Every way the submitted statistics disagree with the results, keyed like DRF errors.

    Rules: `total_sentences` = number of results; sequence numbers are exactly 1..n;
    `correct_count` = number of `correct`; `max_streak` = longest run of `correct` in
    sequence order; `avg_pronunciation_score` = mean of the non-null scores (within 0.05),
    null when there are none and always null in listen_only mode, where results carry no
    score or recognized text; a skipped sentence has no score; completed_at is not before
    started_at nor in the future, and the duration fits between the two.
    """
    now = now or timezone.now()
    problems: dict[str, Any] = {}
    results = data["results"]
    listen_only = data["mode"] == GameMode.LISTEN_ONLY

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if data["total_sentences"] != len(results):
        add("total_sentences", f"Is {data['total_sentences']} but {len(results)} results were sent.")

    numbers = sorted(r["sequence_number"] for r in results)
    sequence_ok = numbers == list(range(1, len(results) + 1))
    if not sequence_ok:
        problems["results"] = {"non_field_errors": [
            f"Sequence numbers must be exactly 1..{len(results)}, each once; got {numbers}."]}

    ordered = sorted(results, key=lambda r: r["sequence_number"])
    correct = sum(1 for r in results if r["user_response"] == UserResponse.CORRECT)
    if data["correct_count"] != correct:
        add("correct_count", f"Is {data['correct_count']} but {correct} results are correct.")
    if sequence_ok:
        streak = longest_correct_run([r["user_response"] for r in ordered])
        if data["max_streak"] != streak:
            add("max_streak", f"Is {data['max_streak']} but the longest run of correct results is {streak}.")

    item_problems: dict[str, dict[str, list[str]]] = {}
    for index, result in enumerate(results):
        item: dict[str, list[str]] = {}
        if listen_only and result["pronunciation_score"] is not None:
            item.setdefault("pronunciation_score", []).append("Must be null in listen_only mode.")
        if listen_only and result["recognized_text"]:
            item.setdefault("recognized_text", []).append("Must be null in listen_only mode.")
        if (not listen_only and result["user_response"] == UserResponse.SKIPPED
                and result["pronunciation_score"] is not None):
            item.setdefault("pronunciation_score", []).append("A skipped sentence has no score.")
        if item:
            item_problems[str(index)] = item
    if item_problems:
        problems.setdefault("results", {}).update(item_problems)

    submitted_avg = data["avg_pronunciation_score"]
    if listen_only:
        if submitted_avg is not None:
            add("avg_pronunciation_score", "Must be null in listen_only mode.")
    else:
        expected = mean_score([r["pronunciation_score"] for r in results if r["pronunciation_score"] is not None])
        if expected is None and submitted_avg is not None:
            add("avg_pronunciation_score", "Must be null when no result has a score.")
        elif expected is not None and (submitted_avg is None or abs(submitted_avg - expected) > AVERAGE_TOLERANCE):
            add("avg_pronunciation_score", f"Is {submitted_avg} but the mean of the result scores is "
                                           f"{round(expected, 2)}.")

    started, completed = data["started_at"], data["completed_at"]
    if completed < started:
        add("completed_at", "Must not be before started_at.")
    elif data["duration_seconds"] > (completed - started).total_seconds() + DURATION_SLACK_SECONDS:
        add("duration_seconds", "Is longer than the time between started_at and completed_at.")
    if completed > now + timedelta(seconds=settings.GAME_CLOCK_SKEW_SECONDS):
        add("completed_at", "Must not be in the future.")
    return problems


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


def _check_references(data: dict) -> None:
    """404 naming every speech (then tag) ID that does not exist; archived speeches exist."""
    speech_ids = _unique(r["speech_id"] for r in data["results"])
    found = set(Speech.objects.filter(id__in=speech_ids).values_list("id", flat=True))
    missing = [str(speech_id) for speech_id in speech_ids if speech_id not in found]
    if missing:
        raise SpeechNotFound(f"{len(missing)} speech(es) do not exist.", errors={"speech_ids": missing})
    tag_ids = _unique(data["selected_tags"])
    if tag_ids:
        found_tags = set(Tag.objects.filter(id__in=tag_ids).values_list("id", flat=True))
        missing_tags = [str(tag_id) for tag_id in tag_ids if tag_id not in found_tags]
        if missing_tags:
            raise TagNotFound(f"{len(missing_tags)} tag(s) do not exist.", errors={"selected_tags": missing_tags})


# --- idempotency ----------------------------------------------------------------

def validate_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not (1 <= len(key) <= 255) or not all(33 <= ord(ch) <= 126 for ch in key):
        raise InvalidIdempotencyKey()
    return key


def request_fingerprint(data: dict) -> str:
    """sha256 of the validated body in a canonical form, so formatting and key order do not matter."""
    canonical = {**data, "results": sorted(data["results"], key=lambda r: r["sequence_number"])}
    encoded = json.dumps(canonical, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _live_submission(*, user, key: str) -> SessionSubmission | None:
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
    return SaveOutcome(status=submission.response_status, body=submission.response_body, replayed=True)


def purge_expired_submissions(*, now=None) -> int:
    """Delete idempotency records older than GAME_IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.GAME_IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = SessionSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- the write ------------------------------------------------------------------

def _write_session(*, user, data: dict, key: str | None, fingerprint: str) -> SaveOutcome:
    session_id = uuid.uuid4()
    body = {"session_id": str(session_id), "message": SAVED_MESSAGE}
    scores = [r["pronunciation_score"] for r in data["results"] if r["pronunciation_score"] is not None]
    average = mean_score(scores)
    with transaction.atomic():
        if key:
            # The key row goes first, so a concurrent retry blocks on it before doing any work. It already
            # names the session: foreign keys are checked at commit (Django declares them DEFERRABLE
            # INITIALLY DEFERRED), which saves an UPDATE per save.
            SessionSubmission.objects.create(user=user, key=key, fingerprint=fingerprint, session_id=session_id,
                                             response_status=201, response_body=body)
        session = GameSession.objects.create(
            id=session_id, user=user, mode=data["mode"], level=data["level"],
            sentence_type=data["sentence_type"], selected_tags=[str(t) for t in _unique(data["selected_tags"])],
            total_sentences=data["total_sentences"], correct_count=data["correct_count"],
            max_streak=data["max_streak"], avg_pronunciation_score=None if average is None else round(average, 1),
            duration_seconds=data["duration_seconds"], started_at=data["started_at"],
            completed_at=data["completed_at"],
        )
        GameResult.objects.bulk_create([
            GameResult(
                session=session, speech_id=r["speech_id"], sequence_number=r["sequence_number"],
                user_response=r["user_response"], pronunciation_score=r["pronunciation_score"],
                recognized_text=r["recognized_text"] or None, response_time_ms=r["response_time_ms"],
            )
            for r in sorted(data["results"], key=lambda r: r["sequence_number"])
        ])
    metrics.record_session_saved()
    return SaveOutcome(status=201, body=body, replayed=False)


def save_session(*, user, data: dict, idempotency_key: str | None = None) -> SaveOutcome:
    """Check a finished session against its results and store both, all or nothing.

    With an idempotency key, the first successful answer is stored and replayed to
    every retry with the same body; the same key with another body is a conflict.
    Failed requests are not stored: the same body fails the same way again.
    """
    key = validate_idempotency_key(idempotency_key)
    fingerprint = request_fingerprint(data)
    if key:
        submission = _live_submission(user=user, key=key)
        if submission is not None:
            return _replay(submission, fingerprint)

    problems = session_problems(data)
    if problems:
        raise SessionInvalid("The session's statistics or results are inconsistent.", errors=problems)
    _check_references(data)

    try:
        return _write_session(user=user, data=data, key=key, fingerprint=fingerprint)
    except IntegrityError:
        if not key:
            raise
        # Lost the race to a concurrent request with the same key: answer as it did.
        winner = SessionSubmission.objects.filter(user=user, key=key).first()
        if winner is None:
            raise
        logger.info("Concurrent session save with the same Idempotency-Key; replaying the first answer.")
        return _replay(winner, fingerprint)
