from django.urls import path

from game import apis

app_name = "game"

urlpatterns = [
    path("game/sessions", apis.SessionsApi.as_view(), name="sessions"),
    path("game/sessions/<uuid:session_id>", apis.SessionDetailApi.as_view(), name="session-detail"),
    path("game/speeches/review", apis.ReviewSetApi.as_view(), name="review-set"),
    path("users/me/progress", apis.ProgressApi.as_view(), name="progress"),
    path("home", apis.HomeApi.as_view(), name="home"),
]
