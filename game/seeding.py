"""Demo learning loop for `manage.py seed`: a course of lessons, the achievements catalogue, a few practice
sessions of the demo learners and a league of demo mates who played this week (two of them the first demo
learner's friends), so `make run` shows the home screen, XP, achievements, the league table and friends filled.

Idempotent like content's seed: what exists is kept. The sessions go through `save_session`, so their
XP, achievements and review memory come from the same code as a learner's own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from community import services as community_services
from content.models import Speech
from content.seeding import LEARNER_EMAILS
from courses.models import Course, CourseStatus, Lesson, LessonItem, Unit
from game.inputs import ResultInput, SessionInput
from game.models import GameMode, GameSession, UserResponse
from game.rules.sessions import longest_correct_run, mean_score
from game.services.sessions import save_session
from rewards.models import Achievement

COURSE_TITLE = "Everyday English: first steps"
COURSE_UNITS = [
    ("Meeting people", ["Saying hello", "Introducing yourself", "Asking how someone is"]),
    ("Out and about", ["Asking the way", "Ordering a drink", "Shopping for food"]),
    ("Your day", ["Talking about the time", "Making plans", "Saying goodbye"]),
]
SENTENCES_PER_LESSON = 5
# code, name, description, kind, threshold, level, xp
ACHIEVEMENTS = [
    ("first-session", "First steps", "Finish your first practice session.", "first_session", 1, "", 10),
    ("sessions-10", "Regular", "Finish 10 practice sessions.", "sessions", 10, "", 30),
    ("streak-3", "On a roll", "Practise 3 days in a row.", "streak_days", 3, "", 20),
    ("streak-7", "Week warrior", "Practise 7 days in a row.", "streak_days", 7, "", 50),
    ("streak-30", "Unstoppable", "Practise 30 days in a row.", "streak_days", 30, "", 200),
    ("clear-speaker-25", "Clear speaker", "Score 80 or more on 25 sentences.", "high_score_sentences", 25, "", 30),
    ("clear-speaker-250", "Silver tongue", "Score 80 or more on 250 sentences.", "high_score_sentences", 250, "",
     100),
    ("first-lesson", "Lesson learned", "Complete your first lesson.", "lessons_completed", 1, "", 20),
    ("first-course", "Graduate", "Complete a whole course.", "courses_completed", 1, "", 100),
    ("a1-mastered", "A1 mastered", "Score 80 or more on 100 A1 sentences.", "level_mastered", 100, "A1", 100),
    ("xp-1000", "Thousand club", "Earn 1 000 XP.", "total_xp", 1000, "", 0),
]


@dataclass
class LoopSeedReport:
    courses_created: int = 0
    lessons_created: int = 0
    achievements_created: int = 0
    sessions_played: int = 0
    league_mates_created: int = 0


def seed_achievements() -> int:
    created = 0
    for position, (code, name, description, kind, threshold, level, xp) in enumerate(ACHIEVEMENTS):
        _, made = Achievement.objects.get_or_create(code=code, defaults={
            "name": name, "description": description, "kind": kind, "threshold": threshold,
            "level": level, "xp_reward": xp, "position": position, "is_active": True})
        created += made
    return created


@transaction.atomic
def seed_course() -> tuple[int, int]:
    """The demo course from the first A1 speeches; (courses, lessons) created."""
    if Course.objects.filter(title=COURSE_TITLE).exists():
        return 0, 0
    needed = sum(len(lessons) for _, lessons in COURSE_UNITS) * SENTENCES_PER_LESSON
    speeches = list(Speech.objects.active().filter(level="A1").order_by("text", "id")[:needed])
    if len(speeches) < needed:
        return 0, 0
    course = Course.objects.create(
        title=COURSE_TITLE, level="A1", status=CourseStatus.PUBLISHED, position=1,
        description="Short spoken sentences for your first conversations, one small step at a time.")
    lessons = 0
    chosen = iter(speeches)
    for unit_position, (unit_title, lesson_titles) in enumerate(COURSE_UNITS, start=1):
        unit = Unit.objects.create(course=course, title=unit_title, position=unit_position)
        for lesson_position, title in enumerate(lesson_titles, start=1):
            lesson = Lesson.objects.create(unit=unit, title=title, position=lesson_position)
            LessonItem.objects.bulk_create([LessonItem(lesson=lesson, speech=next(chosen), position=n)
                                            for n in range(1, SENTENCES_PER_LESSON + 1)])
            lessons += 1
    return 1, lessons


def _play(user, speeches: list[Speech], rng: random.Random, completed_at) -> None:
    answers = []
    for speech in speeches:
        correct = rng.random() < 0.8
        answers.append((speech, UserResponse.CORRECT if correct else UserResponse.INCORRECT,
                        round(rng.uniform(70, 98) if correct else rng.uniform(30, 65), 1)))
    scores = [score for _, _, score in answers]
    save_session(user=user, session=SessionInput(
        mode=GameMode.LISTEN_AND_REPEAT, level="A1", sentence_type=speeches[0].type, selected_tags=(),
        total_sentences=len(answers), correct_count=sum(r == UserResponse.CORRECT for _, r, _ in answers),
        max_streak=longest_correct_run(response for _, response, _ in answers),
        avg_pronunciation_score=round(mean_score(scores), 1),
        duration_seconds=60 * len(answers), started_at=completed_at - timedelta(minutes=len(answers)),
        completed_at=completed_at,
        results=tuple(ResultInput(speech_id=speech.id, sequence_number=n, user_response=response,
                                  pronunciation_score=score, response_time_ms=2500)
                      for n, (speech, response, score) in enumerate(answers, start=1)),
    ))


def seed_practice() -> int:
    """The demo learners play a few sessions each (once: not again when they have history); sessions played."""
    User = get_user_model()
    speeches = list(Speech.objects.active().filter(level="A1").order_by("text", "id")[:40])
    if len(speeches) < 10:
        return 0
    rng = random.Random(17)
    now = timezone.now()
    played = 0
    players = [User.objects.filter(email=email).first() for email in LEARNER_EMAILS]
    for player in players:
        if player is None or GameSession.objects.filter(user=player).exists():
            continue
        for _ in range(rng.randint(1, 3)):
            _play(player, rng.sample(speeches, 10), rng, now - timedelta(minutes=rng.randint(1, 60)))
            played += 1
    return played


# Demo accounts with no password (nobody signs in as them): they fill the demo learners' league.
LEAGUE_MATES = ["Aiko Tanaka", "Bruno Costa", "Chloe Martin", "Dara Nguyen", "Emre Yilmaz", "Fatima Zahra",
                "Gabriel Silva", "Hana Kim", "Ivan Petrov", "Julia Nowak", "Kofi Mensah", "Lucia Rossi",
                "Minh Tran", "Nadia Haddad", "Omar Farouk", "Priya Sharma", "Quang Le", "Rosa Garcia",
                "Sven Larsen", "Thao Pham", "Umar Khan", "Vera Ivanova", "Wei Chen", "Yuki Sato"]
FRIENDS_OF_FIRST_LEARNER = 2


def seed_league() -> int:
    """League mates who each play 1-4 sessions now (once: mates that exist are kept); mates created."""
    User = get_user_model()
    speeches = list(Speech.objects.active().filter(level="A1").order_by("text", "id")[:40])
    if len(speeches) < 10:
        return 0
    rng = random.Random(23)
    now = timezone.now()
    created = []
    for number, name in enumerate(LEAGUE_MATES, start=1):
        email = f"league-mate-{number}@demo.example.com"
        if User.objects.filter(email=email).exists():
            continue
        mate = User.objects.create_user(email, name=name)  # no password: an unusable one
        for _ in range(rng.randint(1, 4)):
            _play(mate, rng.sample(speeches, 10), rng, now - timedelta(minutes=rng.randint(1, 30)))
        created.append(mate)
    learner = User.objects.filter(email=LEARNER_EMAILS[0]).first()
    if learner is not None:
        for mate in created[:FRIENDS_OF_FIRST_LEARNER]:
            community_services.add_friend_by_code(
                user=learner, invite_code=community_services.invite_code_for(user=mate))
    return len(created)


def seed_learning_loop() -> LoopSeedReport:
    report = LoopSeedReport()
    report.achievements_created = seed_achievements()
    report.courses_created, report.lessons_created = seed_course()
    report.sessions_played = seed_practice()
    report.league_mates_created = seed_league()
    return report
