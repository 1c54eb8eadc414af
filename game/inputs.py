"""A finished session as the save service takes it: typed values, already checked for type and range.

Built from `SessionInputSerializer.validated_data`; whether the numbers add up is
`game.rules.sessions`'s job. Field names match the request body, so the idempotency
fingerprint of a body is the same whichever form it is computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class ResultInput:
    speech_id: UUID
    sequence_number: int
    user_response: str
    response_time_ms: int
    pronunciation_score: float | None = None
    recognized_text: str | None = None


@dataclass(frozen=True)
class SessionInput:
    mode: str
    level: str
    sentence_type: str
    selected_tags: tuple[UUID, ...]
    total_sentences: int
    correct_count: int
    max_streak: int
    duration_seconds: int
    started_at: datetime
    completed_at: datetime
    results: tuple[ResultInput, ...]
    avg_pronunciation_score: float | None = None
    lesson_id: UUID | None = None

    @classmethod
    def from_validated(cls, data: dict[str, Any]) -> SessionInput:
        return cls(**{**data, "selected_tags": tuple(data["selected_tags"]),
                      "results": tuple(ResultInput(**result) for result in data["results"])})

    @property
    def ordered_results(self) -> list[ResultInput]:
        return sorted(self.results, key=lambda result: result.sequence_number)


@dataclass(frozen=True)
class SpeechFacts:
    """What the save needs to know of each speech in a session, read with the check that it exists."""

    level: str
    tag_ids: list[UUID]
