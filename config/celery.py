"""The Celery app: configured from Django's settings (CELERY_*), tasks found in each app's tasks.py.

Workers and beat start with `celery -A config worker` / `celery -A config beat` (docker-compose
runs both from the web image; `make run` starts one worker with beat embedded). Tasks are
declared with `@app.task` on this app (not `shared_task`), so a web process that sends one
uses this configuration without importing Celery at start-up.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("englishapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
