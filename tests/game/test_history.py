from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.game.factories import GameSessionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/game/sessions"
UTC = ZoneInfo("UTC")


def ids(response):
    return [item["id"] for item in response.json()["sessions"]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


def test_lists_only_the_callers_sessions_newest_first(auth_client, user):
    now = timezone.now()
    older = GameSessionFactory(user=user, completed_at=now - timedelta(days=2))
    newest = GameSessionFactory(user=user, completed_at=now - timedelta(hours=1))
    middle = GameSessionFactory(user=user, completed_at=now - timedelta(days=1))
    GameSessionFactory(user=UserFactory(), completed_at=now)

    response = auth_client.get(URL)

    assert response.status_code == 200
    assert ids(response) == [str(newest.id), str(middle.id), str(older.id)]
    assert response.json()["pagination"] == {"page": 1, "limit": 20, "total": 3, "total_pages": 1}


def test_items_have_the_contract_fields(auth_client, user):
    session = GameSessionFactory(user=user, mode="listen_and_repeat", level="B2", sentence_type="answer",
                                 total_sentences=10, correct_count=8, max_streak=5, duration_seconds=300,
                                 avg_pronunciation_score=81.5, completed_at=at("2025-12-10T10:05:00"))

    item = auth_client.get(URL).json()["sessions"][0]

    assert item == {
        "id": str(session.id), "mode": "listen_and_repeat", "level": "B2", "sentence_type": "answer",
        "total_sentences": 10, "correct_count": 8, "max_streak": 5, "duration_seconds": 300,
        "completed_at": "2025-12-10T10:05:00Z",
    }


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_no_sessions_is_an_empty_page(auth_client):
    assert auth_client.get(URL).json() == {
        "sessions": [], "pagination": {"page": 1, "limit": 20, "total": 0, "total_pages": 0}}


class TestPagination:
    @pytest.fixture
    def sessions(self, user):
        start = timezone.now() - timedelta(days=30)
        created = [GameSessionFactory(user=user, completed_at=start + timedelta(hours=i)) for i in range(25)]
        return list(reversed(created))  # newest first

    def test_default_limit_is_20(self, auth_client, sessions):
        body = auth_client.get(URL).json()

        assert len(body["sessions"]) == 20
        assert body["pagination"] == {"page": 1, "limit": 20, "total": 25, "total_pages": 2}

    def test_last_page_holds_the_rest(self, auth_client, sessions):
        response = auth_client.get(URL, {"page": 2})

        assert ids(response) == [str(s.id) for s in sessions[20:]]

    def test_pages_never_repeat_or_skip_sessions_with_equal_times(self, auth_client, user):
        same_time = timezone.now() - timedelta(hours=1)
        created = {str(GameSessionFactory(user=user, completed_at=same_time).id) for _ in range(7)}

        seen = [i for page in (1, 2, 3) for i in ids(auth_client.get(URL, {"page": page, "limit": 3}))]

        assert sorted(seen) == sorted(created)

    def test_page_past_the_end_is_empty(self, auth_client, sessions):
        body = auth_client.get(URL, {"page": 4}).json()

        assert body["sessions"] == []
        assert body["pagination"]["total"] == 25

    def test_limit_100_is_allowed(self, auth_client, sessions):
        assert len(auth_client.get(URL, {"limit": 100}).json()["sessions"]) == 25

    @pytest.mark.parametrize("query", [{"limit": 101}, {"limit": 0}, {"page": 0}, {"page": "x"}])
    def test_out_of_range_paging_is_400(self, auth_client, sessions, query):
        response = auth_client.get(URL, query)

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"


class TestFilters:
    def test_mode_and_level(self, auth_client, user):
        wanted = GameSessionFactory(user=user, mode="listen_only", level="A1")
        GameSessionFactory(user=user, mode="listen_and_repeat", level="A1")
        GameSessionFactory(user=user, mode="listen_only", level="B1")

        response = auth_client.get(URL, {"mode": "listen_only", "level": "A1"})

        assert ids(response) == [str(wanted.id)]
        assert response.json()["pagination"]["total"] == 1

    @pytest.mark.parametrize("query", [{"mode": "fast"}, {"level": "C2"}, {"from_date": "yesterday"},
                                       {"to_date": "2025-13-01"}, {"from_date": "2025-12-10T25:00:00"}])
    def test_invalid_filter_is_400(self, auth_client, query):
        response = auth_client.get(URL, query)

        assert response.status_code == 400
        assert set(query) <= set(response.json()["errors"])

    def test_from_after_to_is_400(self, auth_client):
        response = auth_client.get(URL, {"from_date": "2025-12-11", "to_date": "2025-12-10"})

        assert response.status_code == 400
        assert "to_date" in response.json()["errors"]

    def test_dates_cover_whole_days_both_ends_included(self, auth_client, user):
        before = GameSessionFactory(user=user, completed_at=at("2025-12-09T23:59:59"))
        first = GameSessionFactory(user=user, completed_at=at("2025-12-10T00:00:00"))
        last = GameSessionFactory(user=user, completed_at=at("2025-12-11T23:59:59.900000"))
        after = GameSessionFactory(user=user, completed_at=at("2025-12-12T00:00:00"))

        response = auth_client.get(URL, {"from_date": "2025-12-10", "to_date": "2025-12-11"})

        assert ids(response) == [str(last.id), str(first.id)]
        assert str(before.id) not in ids(response) and str(after.id) not in ids(response)

    def test_a_single_day(self, auth_client, user):
        inside = GameSessionFactory(user=user, completed_at=at("2025-12-10T12:00:00"))
        GameSessionFactory(user=user, completed_at=at("2025-12-11T00:00:00"))

        assert ids(auth_client.get(URL, {"from_date": "2025-12-10", "to_date": "2025-12-10"})) == [str(inside.id)]

    def test_dates_are_days_in_the_learners_time_zone(self, auth_client, user):
        user.timezone = "Asia/Tokyo"  # UTC+9
        user.save()
        # 2025-12-10 in Tokyo is 2025-12-09T15:00Z .. 2025-12-10T15:00Z
        late_utc_evening = GameSessionFactory(user=user, completed_at=at("2025-12-09T16:00:00"))
        GameSessionFactory(user=user, completed_at=at("2025-12-10T15:30:00"))

        response = auth_client.get(URL, {"from_date": "2025-12-10", "to_date": "2025-12-10"})

        assert ids(response) == [str(late_utc_evening.id)]

    def test_datetimes_are_exact_instants(self, auth_client, user):
        GameSessionFactory(user=user, completed_at=at("2025-12-10T09:59:59"))
        inside = GameSessionFactory(user=user, completed_at=at("2025-12-10T10:00:00"))
        GameSessionFactory(user=user, completed_at=at("2025-12-10T10:00:01"))

        response = auth_client.get(URL, {"from_date": "2025-12-10T10:00:00Z", "to_date": "2025-12-10T10:00:00"})

        assert ids(response) == [str(inside.id)]

    def test_datetime_with_offset_even_when_the_plus_was_not_encoded(self, auth_client, user):
        inside = GameSessionFactory(user=user, completed_at=at("2025-12-10T08:00:00"))
        GameSessionFactory(user=user, completed_at=at("2025-12-10T06:00:00"))

        response = auth_client.get(f"{URL}?from_date=2025-12-10T10:00:00+02:00")

        assert ids(response) == [str(inside.id)]

    def test_filters_combine_with_pagination(self, auth_client, user):
        for day in range(1, 6):
            GameSessionFactory(user=user, level="A2", completed_at=at(f"2025-12-0{day}T12:00:00"))
            GameSessionFactory(user=user, level="B1", completed_at=at(f"2025-12-0{day}T12:00:00"))

        body = auth_client.get(URL, {"level": "A2", "from_date": "2025-12-02", "limit": 2, "page": 2}).json()

        assert body["pagination"] == {"page": 2, "limit": 2, "total": 4, "total_pages": 2}
        assert [s["completed_at"][:10] for s in body["sessions"]] == ["2025-12-03", "2025-12-02"]
