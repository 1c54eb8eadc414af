from django.urls import path

from content import apis

app_name = "content"

urlpatterns = [
    path("audio/<path:key>", apis.AudioFileApi.as_view(), name="audio-file"),
]
