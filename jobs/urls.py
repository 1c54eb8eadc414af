from django.urls import path

from jobs import apis

app_name = "jobs"

urlpatterns = [
    path("workers", apis.workers, name="workers"),
]
