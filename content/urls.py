from django.urls import path

from content import apis

app_name = "content"

urlpatterns = [
    path("audio/<path:key>", apis.AudioFileApi.as_view(), name="audio-file"),
    path("tags", apis.TagListApi.as_view(), name="tags"),
    path("game/speeches/random", apis.PracticeSetApi.as_view(), name="practice-set"),
    path("admin/speeches", apis.EditorSpeechListApi.as_view(), name="admin-speeches"),
    path("admin/speeches/export.csv", apis.SpeechExportApi.as_view(), name="speech-export"),
    path("admin/speeches/<uuid:speech_id>", apis.EditorSpeechDetailApi.as_view(), name="admin-speech"),
    path("admin/tags", apis.EditorTagListApi.as_view(), name="admin-tags"),
    path("admin/tags/<uuid:tag_id>", apis.EditorTagDetailApi.as_view(), name="admin-tag"),
]
