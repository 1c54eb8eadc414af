"""Gunicorn reads this file by itself from its working directory (/app in the image).

Every worker process counts its own requests. So that /metrics reports the whole server and not
whichever worker answers the scrape, workers keep their metrics in files in one folder
(prometheus_client's multiprocess mode) and /metrics adds them up. This must be set before any
worker imports prometheus_client, hence here rather than in Django's settings.
"""

import glob
import os
import tempfile

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="englishapp-metrics-")
os.makedirs(_metrics_dir, exist_ok=True)
# Counts left by a previous run in the same folder would be added to this run's.
for _stale in glob.glob(os.path.join(_metrics_dir, "*.db")):
    os.remove(_stale)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# The server the image runs (Dockerfile CMD, docker-compose); command-line flags still override.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
# One access line per request on stdout, beside the app's own JSON request log.
accesslog = "-"
