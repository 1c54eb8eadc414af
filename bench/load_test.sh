#!/usr/bin/env bash
# Load test: gunicorn + PostgreSQL + Redis on this machine, driven by bench/locustfile.py.
#
#   bench/load_test.sh [USERS=50] [SPAWN_RATE=10] [DURATION=90s]
#
# Recreates the database LOAD_DB_NAME (englishapp_load), migrates it, seeds LOAD_SPEECHES (20000)
# demo speeches with `manage.py seed`, empties Redis DB LOAD_REDIS_URL (db 8), starts gunicorn as the
# Dockerfile does (GUNICORN_WORKERS=3 x GUNICORN_THREADS=4, DEBUG off) on a free port of 127.0.0.1,
# waits for /health/ready, runs locust headless, prints its tables (requests, failures, p50/p95/p99
# per endpoint, then one summary line per endpoint) and writes CSV, HTML and a JSON summary under
# bench/results/ (gitignored). Gunicorn is stopped by its PID on exit.
# Exit status: locust's (1 when any request failed).
#
# Every simulated user comes from 127.0.0.1, so the budgets counted per client IP are raised:
# register and login (with LOAD_SIGNUP=1 each user signs up) and default (the anonymous GET /tags).
# The per-user budgets (practice_set, session_save, history, scoring) stay at their production values.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
USERS=${1:-50}
SPAWN_RATE=${2:-10}
DURATION=${3:-90s}
VENV=${VENV:-$ROOT/.venv}
PG_SERVER=${LOAD_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_NAME=${LOAD_DB_NAME:-englishapp_load}
REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/8}
SPEECHES=${LOAD_SPEECHES:-20000}
WORKERS=${GUNICORN_WORKERS:-3}
THREADS=${GUNICORN_THREADS:-4}
# Gunicorn closes a keep-alive connection after 2 idle seconds by default, about when a simulated
# user (0.5-3 s between requests) sends its next one: the request then meets a connection reset
# (0.4% of requests in a 50-user run) without reaching Django. 5 s keeps that race out of the
# numbers; GUNICORN_KEEPALIVE=2 reproduces the Dockerfile's default.
KEEPALIVE=${GUNICORN_KEEPALIVE:-5}
# LOAD_STEADY=1: drop the numbers of the ramp-up (every user signs up with Argon2 as it starts) and
# report only the steady state after the last user has started (locust --reset-stats).
STEADY=${LOAD_STEADY:-0}
# The users play with accounts made and signed in before the run (the contract's scenarios are
# playing and scoring); LOAD_SIGNUP=1 makes every user sign up through the API as it starts instead.
SIGNUP=${LOAD_SIGNUP:-0}

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$ROOT/bench/results
OUT=$RESULTS/load-$STAMP
mkdir -p "$RESULTS"
WORK=$(mktemp -d -t englishapp-load-XXXXXX)
GUNICORN_PID=""

cleanup() {
    if [[ -n "$GUNICORN_PID" ]] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID"
        for _ in $(seq 1 30); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$GUNICORN_PID" 2>/dev/null && kill -KILL "$GUNICORN_PID"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

export DJANGO_SETTINGS_MODULE=config.settings
export DEBUG=0
export SECRET_KEY="load-test-only-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=0
export DATABASE_URL="$PG_SERVER/$DB_NAME"
export REDIS_URL
export MEDIA_ROOT=$WORK/media
export STATIC_ROOT=$WORK/static
mkdir -p "$STATIC_ROOT"  # the API serves no static files; an empty folder keeps WhiteNoise quiet
export SEED_STAFF_PASSWORD="load-staff-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
export SEED_LEARNER_PASSWORD="load-learner-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
export RATE_LIMIT_REGISTER=100000/m RATE_LIMIT_LOGIN=100000/m RATE_LIMIT_DEFAULT=100000/m

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== database $DATABASE_URL (recreated), Redis $REDIS_URL (emptied)"
"$VENV/bin/python" bench/harness.py recreate-database "$DATABASE_URL"
"$VENV/bin/python" bench/harness.py flush-redis "$REDIS_URL"
"$VENV/bin/python" manage.py migrate --noinput -v 0
echo "== seeding $SPEECHES speeches"
SECONDS=0
"$VENV/bin/python" manage.py seed --speeches "$SPEECHES" | tail -n 3
echo "   seeded in ${SECONDS}s"

if [[ "$SIGNUP" != 1 ]]; then
    echo "== $USERS learner accounts signed in ahead (tokens: $WORK/tokens)"
    export LOAD_TOKENS_FILE=$WORK/tokens
    LOAD_USERS=$USERS "$VENV/bin/python" manage.py shell -c '
import os
from django.contrib.auth.hashers import make_password
from accounts.models import User
from accounts.services.tokens import start_session
hashed = make_password("load-test-password-42")  # one Argon2 hash shared by every load account
users = User.objects.bulk_create(User(email=f"load-{n}@example.com", name=f"Load learner {n}", password=hashed)
                                 for n in range(int(os.environ["LOAD_USERS"])))
with open(os.environ["LOAD_TOKENS_FILE"], "w") as tokens:  # not stdout: logging writes there too
    tokens.write("\n".join(start_session(user=user).access_token for user in users) + "\n")
'
    [[ $(wc -l <"$LOAD_TOKENS_FILE") -eq $USERS ]] || { echo "could not sign the load accounts in"; exit 1; }
fi

PORT=$("$VENV/bin/python" bench/harness.py free-port)
HOST=http://127.0.0.1:$PORT
echo "== gunicorn on $HOST: $WORKERS workers x $THREADS threads, keep-alive ${KEEPALIVE}s (log: $OUT-gunicorn.log)"
# gunicorn.conf.py (read from the repository root) keeps every worker's metrics in this folder.
PROMETHEUS_MULTIPROC_DIR=$WORK/metrics "$VENV/bin/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
    --threads "$THREADS" --keep-alive "$KEEPALIVE" --timeout 60 >"$OUT-gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
    if curl -fsS "$HOST/health/ready" >/dev/null 2>&1; then break; fi
    kill -0 "$GUNICORN_PID" 2>/dev/null || { echo "gunicorn exited; see $OUT-gunicorn.log"; tail -20 "$OUT-gunicorn.log"; exit 1; }
    sleep 1
done
curl -fsS "$HOST/health/ready" >/dev/null || { echo "gunicorn not ready after 60 s"; exit 1; }

echo "== locust: $USERS users, spawn rate $SPAWN_RATE/s, $DURATION$([[ "$STEADY" == 1 ]] && echo ', stats reset after ramp-up')"
status=0
extra=()
[[ "$STEADY" == 1 ]] && extra+=(--reset-stats)
LOAD_SUMMARY_JSON="$OUT-summary.json" "$VENV/bin/locust" -f bench/locustfile.py --host "$HOST" --headless \
    --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --stop-timeout 10 --only-summary \
    --csv "$OUT" --html "$OUT.html" "${extra[@]}" || status=$?

echo "   CPU load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
