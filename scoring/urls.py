from django.urls import path

from scoring import apis

app_name = "scoring"

urlpatterns = [
    path("speech/score", apis.SpeechScoreApi.as_view(), name="speech-score"),
]
