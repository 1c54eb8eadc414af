from datetime import timedelta

from django.utils import timezone


def session_body(speeches, responses=None, *, mode="listen_only", scores=None, tags=(), completed_at=None,
                 **overrides) -> dict:
    """A POST /game/sessions body whose statistics agree with its results, unless overridden."""
    responses = responses or ["correct"] * len(speeches)
    scores = scores or [None] * len(speeches)
    completed_at = completed_at or timezone.now() - timedelta(minutes=1)
    started_at = completed_at - timedelta(minutes=5)
    results = [
        {"speech_id": str(speech.id), "sequence_number": number, "user_response": response,
         "pronunciation_score": score, "recognized_text": None if score is None else speech.text,
         "response_time_ms": 4000 + number}
        for number, (speech, response, score) in enumerate(zip(speeches, responses, scores, strict=True), start=1)
    ]
    streak = run = 0
    for response in responses:
        run = run + 1 if response == "correct" else 0
        streak = max(streak, run)
    scored = [score for score in scores if score is not None]
    body = {
        "mode": mode, "level": "A1", "sentence_type": "question", "selected_tags": [str(t.id) for t in tags],
        "total_sentences": len(results), "correct_count": responses.count("correct"), "max_streak": streak,
        "avg_pronunciation_score": round(sum(scored) / len(scored), 1) if scored else None,
        "duration_seconds": 300, "started_at": started_at.isoformat(), "completed_at": completed_at.isoformat(),
        "results": results,
    }
    body.update(overrides)
    return body
