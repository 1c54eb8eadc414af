from django.urls import path

from imports import apis

app_name = "imports"

urlpatterns = [
    path("admin/import/audio", apis.ImportAudioApi.as_view(), name="import-audio"),
    path("admin/import/sessions", apis.ImportSessionApi.as_view(), name="import-sessions"),
    path("admin/import/csv", apis.ImportCsvApi.as_view(), name="import-csv"),
    path("admin/import/jobs/<uuid:job_id>", apis.ImportJobApi.as_view(), name="import-job"),
]
