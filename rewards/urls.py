from django.urls import path

from rewards import apis

app_name = "rewards"

urlpatterns = [
    path("users/me/achievements", apis.AchievementsApi.as_view(), name="achievements"),
    path("users/me/achievements/seen", apis.AchievementsSeenApi.as_view(), name="achievements-seen"),
    path("users/me/xp", apis.XpEventsApi.as_view(), name="xp-events"),
    path("users/me/goal", apis.DailyGoalApi.as_view(), name="daily-goal"),
]
