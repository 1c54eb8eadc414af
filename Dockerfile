# syntax=docker/dockerfile:1
# Build stage: compile wheels once so the runtime image needs no compiler.
# Debian 12 (bookworm) images, the release the apt pins below are from: a move to a newer
# Debian is one change of these tags together with the pins.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential=12.9 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/ requirements/
RUN pip wheel --wheel-dir /wheels -r requirements/prod.txt

# Runtime stage: slim, non-root, gunicorn.
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings LOG_FORMAT=json PORT=8000
# libgomp1: the OpenMP runtime the scoring engine's wheels link against.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1=12.2.0-14+deb12u1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels /wheels/* && rm -rf /wheels
COPY --chown=app:app . .
# collectstatic only needs some SECRET_KEY; the real one comes from the environment at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
USER 10001
EXPOSE 8000
# Python rather than curl: one package less to install, pin and patch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/health\", timeout=4)"]
# Bind address, workers, threads, timeout and the access log come from gunicorn.conf.py (PORT,
# GUNICORN_WORKERS, GUNICORN_THREADS), so any command that starts gunicorn gets the same server.
CMD ["gunicorn", "config.wsgi:application"]
