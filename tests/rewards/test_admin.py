import pytest

from audit.models import AuditLog
from rewards import services
from rewards.models import LearnerStats, StreakFreezeGrant
from tests.accounts.factories import UserFactory
from tests.rewards.factories import AchievementFactory, facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="boss@example.com"))
    return client


@pytest.fixture
def learner():
    learner = UserFactory(email="learner@example.com")
    AchievementFactory(code="first", kind="first_session", threshold=1, xp_reward=5)
    services.record_session(user=learner, facts=facts())
    return learner


@pytest.mark.parametrize("model", ["achievement", "xpevent", "achievementaward", "learnerstats"])
def test_the_admin_pages_open(admin_client, learner, model):
    listing = admin_client.get(f"/admin/rewards/{model}/", {"q": "learner@"})
    assert listing.status_code == 200
    assert "learner@example.com" in listing.content.decode() or model == "achievement"

    obj = {"achievement": lambda: learner.achievement_awards.get().achievement,
           "xpevent": lambda: learner.xp_events.first(),
           "achievementaward": lambda: learner.achievement_awards.get(),
           "learnerstats": lambda: learner.reward_stats}[model]()
    assert admin_client.get(f"/admin/rewards/{model}/{obj.pk}/change/").status_code == 200


def test_achievement_filters_and_add_form(admin_client, learner):
    filtered = admin_client.get("/admin/rewards/achievement/", {"kind": "sessions", "is_active__exact": "1"})
    assert filtered.status_code == 200
    assert admin_client.get("/admin/rewards/achievement/add/").status_code == 200


def test_an_editor_adds_an_achievement_and_a_level_mastered_one_needs_its_level(admin_client):
    form = {"code": "b1-master", "name": "B1 master", "description": "", "icon_url": "", "kind": "level_mastered",
            "threshold": 10, "level": "", "xp_reward": 50, "is_active": "on", "position": 3}

    refused = admin_client.post("/admin/rewards/achievement/add/", form)
    accepted = admin_client.post("/admin/rewards/achievement/add/", {**form, "level": "B1"})

    assert refused.status_code == 200 and "Choose the CEFR level" in refused.content.decode()
    assert accepted.status_code == 302
    assert AchievementFactory._meta.model.objects.get(code="b1-master").level == "B1"


def test_ledger_and_awards_are_read_only(admin_client, learner):
    event = learner.xp_events.first()
    response = admin_client.post(f"/admin/rewards/xpevent/{event.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert admin_client.get("/admin/rewards/xpevent/add/").status_code == 403


def test_the_grant_action_gives_one_freeze_and_stops_at_the_cap(admin_client, learner):
    stats = LearnerStats.objects.get(user=learner)

    def grant():
        return admin_client.post("/admin/rewards/learnerstats/", {
            "action": "grant_one_freeze", "_selected_action": [str(stats.pk)]}, follow=True)

    assert "Granted one streak freeze to 1 learner(s)" in grant().content.decode()
    grant()
    capped = grant()

    stats.refresh_from_db()
    assert stats.streak_freezes == 2
    assert "already hold the most freezes" in capped.content.decode()
    assert list(StreakFreezeGrant.objects.filter(user=learner).values_list("reason", "count", "actor__email")) == [
        ("granted", 1, "boss@example.com"), ("granted", 1, "boss@example.com")]
    logs = AuditLog.objects.filter(action="rewards.streak_freezes_granted")
    assert logs.count() == 2
    assert logs.first().actor.email == "boss@example.com"
    assert logs.first().object_id == str(learner.pk)


def test_the_grant_service_respects_the_cap(learner, staff_user):
    assert services.grant_streak_freezes(actor=staff_user, user=learner, count=5) == 2
    assert services.grant_streak_freezes(actor=staff_user, user=learner, count=1) == 0
    assert LearnerStats.objects.get(user=learner).streak_freezes == 2


def test_the_grant_service_refuses_a_count_under_one(learner, staff_user):
    from rewards.exceptions import InvalidFreezeCount

    with pytest.raises(InvalidFreezeCount):
        services.grant_streak_freezes(actor=staff_user, user=learner, count=0)
