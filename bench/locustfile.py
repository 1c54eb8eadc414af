"""Load test of the contract's scenarios: many learners fetching practice sets and saving the
sessions they play, history and progress reads, and concurrent pronunciation scoring.

Run it through `bench/load_test.sh`, which starts gunicorn on PostgreSQL + Redis with seeded
content and learners signed in ahead (LOAD_TOKENS_FILE), and prints the results; or point it at
any server:
    locust -f bench/locustfile.py --host http://127.0.0.1:8000 --headless -u 50 -r 10 -t 90s
Without LOAD_TOKENS_FILE every simulated user signs up first, all from the same IP, so the
server's `register` budget (per client IP) must allow it; per-user budgets stay as in production.

A Learner plays games: a practice set (level, type, 1-3 tags), then one session saved with one
result per sentence whose statistics agree with them (the server checks them), sometimes in
listen-and-repeat mode with scores; between games it looks at its history or its progress.
A Speaker sends a real 16 kHz recording of LOAD_SCORING_TEXT for scoring.
"""

import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import longest_run  # locust puts the locustfile's folder on sys.path
from locust import HttpUser, between, events, task
from locust.exception import StopUser

API = "/api/v1"
LEVELS = ["A1", "A2", "B1", "B2", "C1"]
TYPES = ["question", "answer"]
ROOT = Path(__file__).resolve().parent.parent
# A committed test recording and the sentence it says (tests/scoring/helpers.py REFERENCE).
SCORING_CLIP = Path(os.environ.get("LOAD_SCORING_CLIP", ROOT / "tests/scoring/audio/right.wav"))
SCORING_TEXT = os.environ.get("LOAD_SCORING_TEXT", "I would like to order a cup of coffee, please.")
PASSWORD = "load-test-password-42"


def problem(response) -> str:
    """Why a request failed: the status and body, or the connection error when there was no answer."""
    if not response.status_code:
        return f"no response: {response.error!r}"
    return f"{response.status_code} {response.text[:300]}"


# Access tokens of learners made ready by load_test.sh, one per line, so the run measures playing
# rather than a burst of sign-ups (each one an Argon2 hash). Without it every user signs up.
_TOKENS_FILE = os.environ.get("LOAD_TOKENS_FILE")
_tokens = iter(Path(_TOKENS_FILE).read_text().split()) if _TOKENS_FILE else None


def sign_in(user: HttpUser, kind: str) -> None:
    token = next(_tokens, None) if _tokens is not None else None
    if token is None:
        email = f"load-{kind}-{uuid.uuid4().hex[:12]}@example.com"
        with user.client.post(f"{API}/auth/register", name="/auth/register", catch_response=True,
                              json={"email": email, "password": PASSWORD, "name": f"Load {kind}"}) as response:
            if response.status_code != 201:
                response.failure(f"register: {problem(response)}")
                raise StopUser()
            token = response.json()["access_token"]
    user.client.headers["Authorization"] = f"Bearer {token}"


class Learner(HttpUser):
    weight = 10
    wait_time = between(0.5, 2.0)

    def on_start(self):
        sign_in(self, "learner")
        tags = self.client.get(f"{API}/tags", name="/tags").json()["tags"]
        self.tag_ids = [tag["id"] for tag in tags]
        self.game = None

    @task(10)
    def practice_set(self):
        level, kind = random.choice(LEVELS), random.choice(TYPES)
        tags = random.sample(self.tag_ids, k=random.randint(1, min(3, len(self.tag_ids))))
        with self.client.post(f"{API}/game/speeches/random", name="/game/speeches/random", catch_response=True,
                              json={"level": level, "type": kind, "tags": tags, "limit": 10}) as response:
            if response.status_code != 200:
                response.failure(problem(response))
                return
            speeches = response.json()["speeches"]
        self.game = {"level": level, "type": kind, "tags": tags, "speeches": speeches} if speeches else None

    @task(4)
    def save_session(self):
        if not self.game:
            return
        game, self.game = self.game, None
        speeches = game["speeches"]
        mode = random.choice(["listen_only", "listen_only", "listen_and_repeat"])
        answers = [random.choice(["correct", "correct", "incorrect", "skipped"]) for _ in speeches]
        scores = [None if mode == "listen_only" or answer == "skipped" else round(random.uniform(40, 100), 1)
                  for answer in answers]
        scored = [score for score in scores if score is not None]
        completed = datetime.now(UTC) - timedelta(seconds=1)
        body = {
            "mode": mode, "level": game["level"], "sentence_type": game["type"], "selected_tags": game["tags"],
            "total_sentences": len(speeches), "correct_count": answers.count("correct"),
            "max_streak": longest_run(answers),
            "avg_pronunciation_score": round(sum(scored) / len(scored), 2) if scored else None,
            "duration_seconds": 120, "started_at": (completed - timedelta(seconds=125)).isoformat(),
            "completed_at": completed.isoformat(),
            "results": [
                {"speech_id": speech["id"], "sequence_number": number, "user_response": answer,
                 "pronunciation_score": score,
                 "recognized_text": speech["text"] if score is not None else None,
                 "response_time_ms": random.randint(800, 6000)}
                for number, (speech, answer, score) in enumerate(zip(speeches, answers, scores, strict=True), start=1)
            ],
        }
        with self.client.post(f"{API}/game/sessions", name="/game/sessions [save]", json=body,
                              headers={"Idempotency-Key": uuid.uuid4().hex}, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(problem(response))

    @task(2)
    def history(self):
        self.client.get(f"{API}/game/sessions?page=1&limit=20", name="/game/sessions [history]")

    @task(1)
    def progress(self):
        self.client.get(f"{API}/users/me/progress", name="/users/me/progress")


class Speaker(HttpUser):
    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        sign_in(self, "speaker")
        self.clip = SCORING_CLIP.read_bytes()

    @task
    def score(self):
        with self.client.post(f"{API}/speech/score", name="/speech/score", catch_response=True,
                              files={"audio": (SCORING_CLIP.name, self.clip, "audio/wav")},
                              data={"reference_text": SCORING_TEXT, "language": "en-US"}) as response:
            if response.status_code != 200:
                response.failure(problem(response))
            elif not response.json().get("word_scores"):
                response.failure("no word scores for a clear recording of the reference text")


_run = {}


@events.init.add_listener
def _remember_environment(environment, **kwargs):
    _run["environment"] = environment


@events.quitting.add_listener
def _fail_on_errors(environment, **kwargs):
    if environment.stats.total.num_failures:
        environment.process_exit_code = 1


@events.quit.add_listener
def _summary(exit_code, **kwargs):
    """One line per endpoint from the final stats (the --csv files are written every few seconds)."""
    stats = _run["environment"].stats
    rows = []
    for entry in [*sorted(stats.entries.values(), key=lambda e: (e.name, e.method)), stats.total]:
        rows.append({
            "endpoint": f"{entry.method} {entry.name}" if entry is not stats.total else "ALL",
            "requests": entry.num_requests, "failures": entry.num_failures, "rps": round(entry.total_rps, 2),
            **{f"p{int(q * 100)}": entry.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)},
            "max": round(entry.max_response_time or 0),
        })
    print(f"\n{'endpoint':<34}{'requests':>9}{'failures':>9}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}"
          "   (ms)")
    for row in rows:
        print(f"{row['endpoint']:<34}{row['requests']:>9}{row['failures']:>9}{row['rps']:>8.1f}"
              f"{row['p50']:>7.0f}{row['p95']:>7.0f}{row['p99']:>7.0f}{row['max']:>8}")
    if os.environ.get("LOAD_SUMMARY_JSON"):
        Path(os.environ["LOAD_SUMMARY_JSON"]).write_text(json.dumps(rows, indent=1) + "\n")
