"""Spaced review with FSRS: sessions saved through the API move ReviewCards, the review set serves what is due.

History here is built by `POST /game/sessions` (so cards exist); tests/game/test_review_set.py builds it
with factories, which write no cards, and so covers the filler ranking on its own.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from fsrs import State
from rest_framework.test import APIClient

from content.serializers import SpeechItemSerializer
from game.inputs import ResultInput
from game.models import GameResult, ReviewCard
from game.selectors import due_review_count, review_items
from game.services.review import update_review_cards
from tests.accounts.factories import UserFactory
from tests.conftest import bearer
from tests.content.factories import SpeechFactory
from tests.game.factories import played_session
from tests.game.payloads import session_body

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/game/sessions"
REVIEW = "/api/v1/game/speeches/review"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CARD_FIELDS = ["user_id", "speech_id", "state", "step", "stability", "difficulty", "due", "last_review", "reps",
               "lapses"]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(user))  # issued at the travelled-to time, so it has not expired there
    return client


def save(user, at, *answers, completed_at=None):
    """Save a session through the API at `at`, completed a minute before unless told: [(speech, response, score)]."""
    completed_at = completed_at or at - timedelta(minutes=1)
    body = session_body([s for s, _, _ in answers], [r for _, r, _ in answers], scores=[s for _, _, s in answers],
                        mode="listen_and_repeat", completed_at=completed_at)
    with time_machine.travel(at, tick=False):
        response = client_for(user).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.json()
    return completed_at


def review_texts(user, at, **body):
    with time_machine.travel(at, tick=False):
        response = client_for(user).post(REVIEW, body, format="json")
    assert response.status_code == 200
    return [item["text"] for item in response.json()["speeches"]]


def card(user, speech) -> ReviewCard:
    return ReviewCard.objects.get(user=user, speech=speech)


def cards_snapshot():
    return sorted(ReviewCard.objects.values_list(*CARD_FIELDS), key=lambda row: (str(row[0]), str(row[1])))


def test_a_saved_session_writes_one_card_per_sentence(user):
    missed, hard, good, easy = (SpeechFactory(text=t) for t in ("missed", "hard", "good", "easy"))
    done = save(user, T0, (missed, "incorrect", 30.0), (hard, "correct", 40.0), (good, "correct", 75.0),
                (easy, "correct", 95.0))

    assert ReviewCard.objects.filter(user=user).count() == 4
    assert {c.speech_id: (c.state, c.reps, c.lapses, c.last_review) for c in ReviewCard.objects.all()} == {
        s.id: (state, 1, 0, done) for s, state in
        [(missed, State.Learning), (hard, State.Learning), (good, State.Learning), (easy, State.Review)]}
    assert card(user, missed).due == done + timedelta(minutes=1)
    assert card(user, hard).due == done + timedelta(minutes=5, seconds=30)
    assert card(user, good).due == done + timedelta(minutes=10)
    assert card(user, easy).due > done + timedelta(days=5)


def test_due_sentences_come_most_overdue_first(user):
    missed, hard, good, easy = (SpeechFactory(text=t) for t in ("missed", "hard", "good", "easy"))
    done = save(user, T0, (easy, "correct", 95.0), (good, "correct", 75.0), (hard, "correct", 40.0),
                (missed, "incorrect", 30.0))

    # Nothing is due yet: the filler offers the weak ones by need.
    assert review_texts(user, done + timedelta(seconds=30)) == ["missed", "hard"]
    assert due_review_count(user=user, until=done + timedelta(seconds=30)) == 0
    assert review_texts(user, T0 + timedelta(hours=1)) == ["missed", "hard", "good"]
    assert review_texts(user, T0 + timedelta(days=30)) == ["missed", "hard", "good", "easy"]
    assert review_texts(user, T0 + timedelta(days=30), limit=2) == ["missed", "hard"]


def test_a_missed_sentence_comes_back_long_before_an_easy_one(user):
    forgotten, known = SpeechFactory(text="forgotten"), SpeechFactory(text="known")
    save(user, T0, (forgotten, "correct", 95.0), (known, "correct", 95.0))
    second_review = card(user, known).due + timedelta(hours=1)
    done = save(user, second_review, (forgotten, "incorrect", 20.0), (known, "correct", 95.0))

    assert (card(user, forgotten).state, card(user, forgotten).lapses) == (State.Relearning, 1)
    assert card(user, forgotten).due == done + timedelta(minutes=10)
    assert card(user, known).due > done + timedelta(days=20)
    assert review_texts(user, done + timedelta(days=3)) == ["forgotten"]


def test_a_sentence_answered_twice_in_a_session_is_reviewed_once_with_its_worst_answer(user):
    speech = SpeechFactory()
    done = save(user, T0, (speech, "correct", 95.0), (speech, "skipped", None), (speech, "correct", 80.0))

    stored = card(user, speech)
    assert (stored.state, stored.reps, stored.due) == (State.Learning, 1, done + timedelta(minutes=1))


def test_few_due_sentences_are_followed_by_weak_ones_not_yet_due(user):
    due_first, weak = SpeechFactory(text="due"), SpeechFactory(text="weak, not due yet")
    save(user, T0, (due_first, "incorrect", 10.0))
    later = save(user, T0 + timedelta(hours=1), (weak, "incorrect", 10.0))
    now = later + timedelta(seconds=30)

    assert review_texts(user, now) == ["due", "weak, not due yet"]
    assert review_texts(user, now, limit=1) == ["due"]
    assert due_review_count(user=user, until=now) == 1
    assert due_review_count(user=user, until=now + timedelta(minutes=1)) == 2


def test_archived_speeches_are_never_offered_or_counted(user):
    archived, active = SpeechFactory(text="archived"), SpeechFactory(text="active")
    save(user, T0, (archived, "incorrect", 10.0), (active, "incorrect", 10.0))
    archived.archived_at = T0
    archived.save()
    later = T0 + timedelta(days=2)

    assert ReviewCard.objects.filter(user=user).count() == 2
    assert review_texts(user, later) == ["active"]
    assert due_review_count(user=user, until=later) == 1


def test_only_the_callers_own_cards_count(user):
    mine, theirs = SpeechFactory(text="mine"), SpeechFactory(text="theirs")
    other = UserFactory()
    save(other, T0, (theirs, "incorrect", 10.0), (mine, "incorrect", 10.0))
    save(user, T0, (mine, "incorrect", 10.0), (theirs, "correct", 95.0))

    assert review_texts(user, T0 + timedelta(hours=1)) == ["mine"]
    assert due_review_count(user=user, until=T0 + timedelta(days=30)) == 2


def test_an_old_session_saved_late_does_not_rewind_the_card(user):
    speech = SpeechFactory()
    save(user, T0, (speech, "correct", 95.0))
    before = cards_snapshot()
    updated_at = card(user, speech).updated_at

    save(user, T0 + timedelta(hours=1), (speech, "incorrect", 10.0), completed_at=T0 - timedelta(days=2))

    assert GameResult.objects.filter(session__user=user).count() == 2
    assert cards_snapshot() == before
    assert card(user, speech).updated_at == updated_at
    assert review_texts(user, T0 + timedelta(hours=2)) == []


def test_a_refused_session_writes_no_card(auth_client):
    body = session_body([SpeechFactory()], ["incorrect"], correct_count=1)

    assert auth_client.post(SESSIONS, body, format="json").status_code == 400
    assert ReviewCard.objects.count() == 0


def history(user, speeches):
    """Two weeks of practice through the API: learning, lapses, sentences met twice in a session."""
    a, b, c, d = speeches
    plan = [
        (0, [(a, "correct", 95.0), (b, "incorrect", 20.0), (c, "correct", 70.0)]),
        (0.1, [(b, "correct", 65.0), (c, "correct", None), (c, "skipped", None)]),
        (1, [(a, "correct", 92.0), (b, "correct", 45.0), (d, "correct", 88.0)]),
        (4, [(a, "incorrect", 30.0), (c, "correct", 99.0), (d, "correct", 91.0)]),
        (9, [(a, "correct", 75.0), (b, "skipped", None), (d, "incorrect", 10.0), (d, "correct", 60.0)]),
        (14, [(a, "correct", 100.0), (b, "correct", 90.0), (c, "correct", 59.0), (d, "correct", 80.0)]),
    ]
    for days, answers in plan:
        save(user, T0 + timedelta(days=days), *answers)


def test_rebuilding_gives_back_the_cards_the_saves_wrote(user, capsys):
    speeches = SpeechFactory.create_batch(4)
    other = UserFactory(email="other@example.com")
    history(user, speeches)
    history(other, speeches[::-1])
    incremental = cards_snapshot()
    assert len(incremental) == 8 and max(row[-1] for row in incremental) >= 1  # someone lapsed

    ReviewCard.objects.all().delete()
    call_command("rebuild_review_cards")

    assert cards_snapshot() == incremental
    assert "Wrote 8 review card(s)." in capsys.readouterr().out


def test_rebuilding_one_learner_leaves_the_others_alone(user):
    speeches = SpeechFactory.create_batch(4)
    other = UserFactory(email="other@example.com")
    history(user, speeches)
    history(other, speeches)
    incremental = cards_snapshot()
    ReviewCard.objects.filter(user=other).update(reps=0, due=T0)
    ReviewCard.objects.filter(user=user, speech=speeches[0]).delete()

    call_command("rebuild_review_cards", "--email", "OTHER@example.com")

    assert cards_snapshot() == [row for row in incremental if row[:2] != (user.id, speeches[0].id)]


def test_rebuilding_an_unknown_learner_is_an_error():
    with pytest.raises(CommandError, match="No user with email"):
        call_command("rebuild_review_cards", "--email", "nobody@example.com")


def test_a_rebuild_replays_a_late_session_in_its_place(user):
    speech = SpeechFactory()
    done = save(user, T0, (speech, "correct", 95.0))
    save(user, T0 + timedelta(hours=1), (speech, "incorrect", 10.0), completed_at=T0 - timedelta(days=2))
    assert card(user, speech).reps == 1

    call_command("rebuild_review_cards", "--email", user.email)

    rebuilt = card(user, speech)
    assert (rebuilt.reps, rebuilt.last_review) == (2, done)


def test_a_session_updates_cards_in_a_constant_number_of_queries(django_assert_num_queries):
    for size in (10, 50):
        user = UserFactory()
        speeches = SpeechFactory.create_batch(size)
        answers = [ResultInput(speech_id=s.id, sequence_number=n, user_response="correct" if n % 3 else "incorrect",
                               response_time_ms=3000, pronunciation_score=float(n % 100))
                   for n, s in enumerate(speeches, start=1)]
        update_review_cards(user=user, reviewed_at=T0, answers=answers[: size // 2])

        # one read of the cards, one upsert of the new half and the known half
        with django_assert_num_queries(2):
            update_review_cards(user=user, reviewed_at=T0 + timedelta(days=1), answers=answers)

        assert ReviewCard.objects.filter(user=user).count() == size
        assert set(ReviewCard.objects.filter(user=user).values_list("reps", flat=True)) == {1, 2}


def test_the_review_set_reads_in_a_constant_number_of_queries(django_assert_num_queries,
                                                              django_assert_max_num_queries):
    def learner(sessions):
        user = UserFactory()
        speeches = SpeechFactory.create_batch(3)
        update_review_cards(user=user, reviewed_at=T0, answers=[
            ResultInput(speech_id=speeches[0].id, sequence_number=1, user_response="incorrect", response_time_ms=1)])
        for day in range(sessions):
            played_session(user=user, completed_at=T0 - timedelta(days=day),
                           answers=[(s, "incorrect", None) for s in speeches[1:]])
        return user

    for user in (learner(1), learner(40)):
        # The due cards, the filler ranking, then the speeches, their tag links and the tag names (one query
        # on PostgreSQL); the items are cached from then on.
        for assert_queries in (django_assert_max_num_queries(5), django_assert_num_queries(2)):
            with assert_queries:
                chosen = review_items(user=user, limit=10, now=T0 + timedelta(days=1),
                                      serialize=SpeechItemSerializer.unsigned_items)
            assert len(chosen) == 3


def test_staff_see_review_cards_in_the_admin(client, user):
    save(user, T0, (SpeechFactory(text="Pass the salt."), "incorrect", 10.0))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/game/reviewcard/")

    assert response.status_code == 200
    assert "Pass the salt." in response.content.decode()
    assert "/admin/game/reviewcard/add/" not in response.content.decode()
