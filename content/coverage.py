"""Reads behind the content coverage dashboard: what the catalogue holds, where it is thin, what is played.

Each function is one query or a few (its docstring says) whatever the size of the catalogue:
counts are aggregated by the database, never per row.

Practice results belong to the game app, which content may not import; they are read
through the reverse side of the foreign key game declares on Speech (`game_results`), so
the code dependency still runs only game -> content.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from audit.models import AuditLog
from content.models import Level, SentenceType, Speech, SpeechTag
from content.selectors import tags_with_speech_count
from core.audio import EXTENSIONS

# The audit actions the dashboard reports (written by imports' CSV import and content's audio sweep).
IMPORT_ACTION = "import.csv_imported"
SWEEP_ACTION = "audio.swept"
RECENT_DAYS = (7, 30)


@dataclass(frozen=True)
class CatalogueTotals:
    active: int
    archived: int
    untagged: int  # active speeches without any tag: no tag filter of the app ever serves them
    audio_missing: int  # active speeches with no audio key stored
    audio_unplayable: int  # active speeches whose key names no format a player takes (see _playable_key)
    created_recently: dict[int, int]  # days -> speeches created in that many last days (archived ones too)


@dataclass(frozen=True)
class TagCoverage:
    id: uuid.UUID
    name: str
    category: str | None
    speeches: int  # active speeches using the tag


@dataclass(frozen=True)
class AudioProblem:
    id: uuid.UUID
    text: str
    level: str
    type: str
    audio: str
    problem: str  # "missing" (no key stored) or "unplayable" (a key no player format ends with)


@dataclass(frozen=True)
class ImportEvent:
    at: datetime
    actor_email: str
    session_id: str
    csv_filename: str
    source: str
    speeches_created: int | None
    speeches_updated: int | None  # imports that update existing speeches say how many; older rows do not


@dataclass(frozen=True)
class SweepEvent:
    at: datetime
    deleted: int | None
    failed: int | None
    scanned: int | None


@dataclass(frozen=True)
class PractisedSpeech:
    id: uuid.UUID
    text: str
    level: str
    type: str
    results: int


def _playable_key() -> Q:
    # The stored key is all the database knows of an object; its extension is what the audio
    # rule gave it. Whether the object is still in storage would take a storage request per
    # speech, so that is left to the storage's own checks.
    return Q(*[Q(audio__iendswith=extension) for extension in EXTENSIONS.values()], _connector=Q.OR)


def _missing_audio() -> Q:
    return Q(audio="")


def catalogue_totals(*, now: datetime | None = None) -> CatalogueTotals:
    """Active and archived counts, untagged active speeches, audio problems and speeches created lately.

    Two queries: one pass over the speeches for everything but the untagged count.
    """
    now = now or timezone.now()
    active = Q(archived_at__isnull=True)
    has_tag = Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk")))
    counts = Speech.objects.aggregate(
        active=Count("pk", filter=active),
        archived=Count("pk", filter=~active),
        audio_missing=Count("pk", filter=active & _missing_audio()),
        audio_unplayable=Count("pk", filter=active & ~_missing_audio() & ~_playable_key()),
        **{f"days_{days}": Count("pk", filter=Q(created_at__gte=now - timedelta(days=days))) for days in RECENT_DAYS},
    )
    # Its own query: as a NOT EXISTS in WHERE it is one anti-join, inside the aggregate's
    # FILTER it would be a subquery per speech.
    untagged = Speech.objects.active().filter(~has_tag).count()
    return CatalogueTotals(active=counts["active"], archived=counts["archived"], untagged=untagged,
                           audio_missing=counts["audio_missing"], audio_unplayable=counts["audio_unplayable"],
                           created_recently={days: counts[f"days_{days}"] for days in RECENT_DAYS})


def speeches_by_level_and_type() -> dict[tuple[str, str], int]:
    """Active speeches per (level, type), every combination present (0 where there is none): one query."""
    counts = {(level, type_): 0 for level in Level.values for type_ in SentenceType.values}
    rows = Speech.objects.active().order_by().values_list("level", "type").annotate(total=Count("pk"))
    for level, type_, total in rows:
        counts[(level, type_)] = total
    return counts


def speeches_per_tag() -> list[TagCoverage]:
    """Every tag with its active speeches, most used first (unused tags last, by name): one query."""
    tags = tags_with_speech_count().order_by("-speech_count", "name").values_list(
        "id", "name", "category", "speech_count")
    return [TagCoverage(id=id_, name=name, category=category, speeches=count) for id_, name, category, count in tags]


def audio_problems(*, limit: int = 10) -> list[AudioProblem]:
    """The newest `limit` active speeches with missing or unplayable audio, for editors to fix: one query."""
    rows = (Speech.objects.active().filter(_missing_audio() | ~_playable_key()).order_by("-created_at", "-id")
            .values_list("id", "text", "level", "type", "audio")[:limit])
    return [AudioProblem(id=id_, text=text, level=level, type=type_, audio=audio or "",
                         problem="missing" if not audio else "unplayable")
            for id_, text, level, type_, audio in rows]


def recent_imports(*, limit: int = 5) -> list[ImportEvent]:
    """The last `limit` CSV imports (admin wizard, API or command), from the audit trail: one query.

    The trail is what imports leaves for everyone; its upload sessions are imports' own tables.
    """
    rows = (AuditLog.objects.filter(action=IMPORT_ACTION).order_by("-created_at")
            .values_list("created_at", "actor_email", "object_id", "changes")[:limit])
    return [ImportEvent(at=at, actor_email=email, session_id=object_id,
                        csv_filename=str(changes.get("csv_filename") or ""), source=str(changes.get("source") or ""),
                        speeches_created=changes.get("speeches_created"),
                        speeches_updated=changes.get("speeches_updated"))
            for at, email, object_id, changes in rows]


def last_audio_sweep() -> SweepEvent | None:
    """The last sweep that deleted orphaned audio (a sweep that found nothing leaves no row): one query."""
    row = (AuditLog.objects.filter(action=SWEEP_ACTION).order_by("-created_at")
           .values_list("created_at", "changes").first())
    if row is None:
        return None
    at, changes = row
    return SweepEvent(at=at, deleted=changes.get("deleted"), failed=changes.get("failed"),
                      scanned=changes.get("scanned"))


_FIELDS = ("id", "text", "level", "type")


def _never_practised():
    # NOT EXISTS: an anti-join on the results' speech index that a LIMIT can stop early (a
    # LEFT JOIN ... IS NULL is not planned as one).
    return Speech.objects.active().exclude(game_results__isnull=False)


def never_practised_count() -> int:
    """Active speeches no learner has a result for: one query."""
    return _never_practised().count()


def _with_result_counts(*, descending: bool, limit: int) -> list[PractisedSpeech]:
    """Practised active speeches by their number of results: two queries.

    Grouped by the speech id alone, then the few chosen rows are read: grouping every
    practised speech by its text as well would cost far more.
    """
    order = ("-results" if descending else "results", "id")
    counts = list(Speech.objects.active().filter(game_results__isnull=False).order_by().values("id")
                  .annotate(results=Count("game_results")).order_by(*order).values_list("id", "results")[:limit])
    if not counts:
        return []
    rows = {row[0]: row for row in Speech.objects.filter(id__in=[id_ for id_, _ in counts]).values_list(*_FIELDS)}
    return [PractisedSpeech(id=id_, text=rows[id_][1], level=rows[id_][2], type=rows[id_][3], results=results)
            for id_, results in counts]


def most_practised(*, limit: int = 10) -> list[PractisedSpeech]:
    """The active speeches with the most practice results, most first: two queries."""
    return _with_result_counts(descending=True, limit=limit)


def least_practised(*, limit: int = 10) -> list[PractisedSpeech]:
    """The active speeches with the fewest practice results, never-practised ones (0) first: one to three queries.

    Never-practised speeches (oldest first) are found by an anti-join that stops at `limit`;
    only when there are fewer than that are the practised ones counted, so a catalogue with
    many unplayed speeches costs no aggregation over the results at all.
    """
    never = _never_practised().order_by("created_at", "id").values_list(*_FIELDS)[:limit]
    speeches = [PractisedSpeech(id=id_, text=text, level=level, type=type_, results=0)
                for id_, text, level, type_ in never]
    if len(speeches) < limit:
        speeches += _with_result_counts(descending=False, limit=limit - len(speeches))
    return speeches
