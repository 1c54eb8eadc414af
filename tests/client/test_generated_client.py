"""The mobile flow, driven only through a client that openapi-python-client generated from the live schema.

register -> login -> tags -> practice set -> download the signed audio -> score a recording -> save the
session -> history -> progress -> refresh -> logout. Every body is a generated model; a step the generated
client cannot make is a schema bug (see conftest.py).
"""

import io
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from game.models import GameSession
from tests.content.factories import SpeechFactory, TagFactory
from tests.scoring.helpers import REFERENCE, REFERENCE_WORDS, clip

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "learner@example.com"
PASSWORD = "Tr1cky-Passphrase"
OTHER_TEXT = "The weather is very cold today in the mountains."


def test_the_mobile_flow_through_the_generated_client(generated_api, live_server, any_storage):
    api, base = generated_api, live_server.url
    food = TagFactory(name="Food", category="topic")
    coffee = SpeechFactory(text=REFERENCE, level="A1", type="question", tags=[food],
                           audio=ContentFile(clip("right.wav"), name="coffee.wav"))
    weather = SpeechFactory(text=OTHER_TEXT, level="A1", type="question", tags=[food],
                            audio=ContentFile(clip("different.wav"), name="weather.wav"))
    SpeechFactory(level="A2", type="question", tags=[food])  # another level: not in the set
    audio = {coffee.id: clip("right.wav"), weather.id: clip("different.wav")}

    with api.client(base) as anonymous:
        # Register, then sign in on "this device".
        register = api.op("post", "/api/v1/auth/register")
        registered = register(anonymous, expect=201, body=register.body(email=EMAIL, password=PASSWORD, name="Lan"))
        user = User.objects.get(email=EMAIL)
        assert registered.user.id == user.pk
        assert (registered.user.email, registered.user.name, registered.user.avatar_url) == (EMAIL, "Lan", None)
        assert registered.token_type == "Bearer" and registered.access_token and registered.refresh_token

        login = api.op("post", "/api/v1/auth/login")
        signed_in = login(anonymous, expect=200, body=login.body(email=EMAIL, password=PASSWORD))
        assert signed_in.user.id == user.pk and signed_in.token_type == "Bearer"
        assert signed_in.refresh_token != registered.refresh_token

        # The game set-up screen: public tags.
        tags = api.op("get", "/api/v1/tags")(anonymous, expect=200).tags
        assert [(t.id, t.name, t.category) for t in tags if t.id == food.id] == [(food.id, "Food", "topic")]

    with api.authenticated(base, signed_in.access_token) as learner:
        practice = api.op("post", "/api/v1/game/speeches/random")
        practice_set = practice(learner, expect=200, body=practice.body(
            level="A1", type="question", tags=[str(food.id)], limit=10))
        speeches = practice_set.speeches
        assert {s.id for s in speeches} == {coffee.id, weather.id}
        by_id = {s.id: s for s in speeches}
        coffee_item = by_id[coffee.id]  # the generator names the `type` field type_
        assert (coffee_item.text, coffee_item.level, coffee_item.type_) == (REFERENCE, "A1", "question")
        assert [(t.id, t.name) for t in coffee_item.tags] == [(food.id, "Food")]

        # Listen: every signed audio URL downloads the stored clip, with no Authorization header.
        for speech in speeches:
            assert urlsplit(speech.audio_url).query, f"unsigned audio_url {speech.audio_url}"
            download = httpx.get(speech.audio_url, timeout=30)
            assert download.status_code == 200, download.text[:500]
            assert download.content == audio[speech.id]

        # Repeat: the learner reads the coffee sentence and it is scored by the local engine.
        score = api.op("post", "/api/v1/speech/score")
        recording = api.types.File(payload=io.BytesIO(clip("right.wav")), file_name="recording.wav",
                                   mime_type="audio/wav")
        scored = score(learner, expect=200, body=score.body_model(audio=recording, reference_text=REFERENCE))
        assert scored.provider == "local"
        assert scored.pronunciation_score >= 80
        assert [w.word for w in scored.word_scores] == REFERENCE_WORDS
        assert all(w.error_type == "none" for w in scored.word_scores)
        assert scored.recognized_text.lower().split() == [w.lower() for w in REFERENCE_WORDS]

        # Save the session: the coffee sentence correct, the weather one skipped.
        completed = timezone.now() - timedelta(seconds=5)
        results = []
        for number, speech in enumerate(speeches, start=1):
            said = speech.id == coffee.id
            results.append({
                "speech_id": str(speech.id), "sequence_number": number,
                "user_response": "correct" if said else "skipped",
                "pronunciation_score": scored.pronunciation_score if said else None,
                "recognized_text": scored.recognized_text if said else None,
                "response_time_ms": 2400 if said else 800,
            })
        save = api.op("post", "/api/v1/game/sessions")
        session_body = save.body(
            mode="listen_and_repeat", level="A1", sentence_type="question", selected_tags=[str(food.id)],
            total_sentences=2, correct_count=1, max_streak=1,
            avg_pronunciation_score=round(scored.pronunciation_score, 1), duration_seconds=75,
            started_at=(completed - timedelta(seconds=75)).isoformat(), completed_at=completed.isoformat(),
            results=results)
        created = save(learner, expect=201, body=session_body, idempotency_key=str(uuid.uuid4()))
        session = GameSession.objects.get(pk=created.session_id)
        assert session.user_id == user.pk and session.results.count() == 2

        # History and progress.
        history = api.op("get", "/api/v1/game/sessions")(learner, expect=200)
        assert [s.id for s in history.sessions] == [created.session_id]
        listed = history.sessions[0]
        assert (listed.mode, listed.level, listed.sentence_type) == ("listen_and_repeat", "A1", "question")
        assert (listed.total_sentences, listed.correct_count, listed.max_streak) == (2, 1, 1)
        assert listed.duration_seconds == 75
        assert (history.pagination.page, history.pagination.total, history.pagination.total_pages) == (1, 1, 1)

        progress = api.op("get", "/api/v1/users/me/progress")(learner, expect=200)
        assert (progress.sessions, progress.sentences_practised, progress.distinct_sentences) == (1, 2, 2)
        assert progress.practice_seconds == 75
        assert (progress.overall.sentences, progress.overall.correct) == (2, 1)
        # 10 for the correct sentence, 5 for its score of 80+, no bonus for a session under 5 sentences.
        assert (progress.xp.total, progress.xp.from_correct, progress.xp.from_high_scores) == (15, 10, 5)

    # Refresh: a new pair; the new access token works.
    with api.client(base) as anonymous:
        refresh = api.op("post", "/api/v1/auth/refresh")
        refreshed = refresh(anonymous, expect=200, body=refresh.body(refresh_token=signed_in.refresh_token))
        assert refreshed.access_token and refreshed.refresh_token != signed_in.refresh_token
    with api.authenticated(base, refreshed.access_token) as learner:
        me = api.op("get", "/api/v1/users/me")(learner, expect=200)
        assert (me.id, me.email) == (user.pk, EMAIL)

        # Sign out: the refresh token no longer works.
        logout = api.op("post", "/api/v1/auth/logout")
        assert logout(learner, expect=204, body=logout.body(refresh_token=refreshed.refresh_token)) is None
        refused = refresh(learner, expect=401, body=refresh.body(refresh_token=refreshed.refresh_token))
        assert refused.code == "token_not_valid"
