"""The admin wizard's step 1 in a real browser: batches, progress bars and refused files, in screenshots.

What it does:
  * starts gunicorn (as the image does: DEBUG off, static files collected and served by WhiteNoise)
    on a free port of 127.0.0.1 with a temporary SQLite database and MEDIA_ROOT;
  * signs into Django Admin with headless Chromium as a staff member allowed to import;
  * picks BENCH_FILES (2000) small WAV files plus BENCH_BAD_FILES (3) files that are not audio in
    step 1's file input, which starts the page's batch upload (imports/static/imports/upload_batches.js);
  * takes screenshots while the batches go (when the overall bar passes 25 % and 60 %), one at the end
    (the refused files listed, "Continue to step 2"), and one of step 2 after clicking it;
  * checks that the session holds every good file and none of the bad ones, and prints each screenshot's
    path with what the page said at that moment.

The upload bandwidth is throttled to BENCH_UPLOAD_KBPS (128) KB/s in the browser (DevTools network
emulation), so that local batches of tiny files last long enough to be seen moving; 0 turns it off.
Screenshots go to BENCH_SCREENSHOTS (default: a new folder under the temporary directory), kept.

Needs Debian's `chromium` (`apt-get install chromium`; BENCH_CHROMIUM names another binary). The browser
is driven over the DevTools protocol with websocket-client (requirements/dev.txt), so no chromedriver is
needed. Everything listens on 127.0.0.1 only and stops at the end. Run:
    .venv/bin/python bench/admin_upload_browser.py                # 2000 files
    BENCH_FILES=300 .venv/bin/python bench/admin_upload_browser.py
"""

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness

FILES = int(os.environ.get("BENCH_FILES", "2000"))
BAD_FILES = int(os.environ.get("BENCH_BAD_FILES", "3"))
UPLOAD_KBPS = float(os.environ.get("BENCH_UPLOAD_KBPS", "128"))
CHROMIUM = os.environ.get("BENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or ""
PASSWORD = "bench-editor-password-9"
WIZARD = "/admin/imports/uploadsession/import/"
MID_UPLOAD_MARKS = (0.25, 0.60)
TIMEOUT_SECONDS = 600


class Browser:
    """Just enough of the DevTools protocol: one page, commands answered in order, events kept for waits."""

    def __init__(self, websocket_url: str) -> None:
        import websocket

        # No Origin header: Chromium refuses DevTools connections from origins it was not told to allow.
        self._socket = websocket.create_connection(websocket_url, timeout=TIMEOUT_SECONDS, suppress_origin=True)
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if message.get("method", "").startswith("Page."):  # the only events waited for
                self._events.append(message)

    def wait_for_event(self, method: str) -> None:
        for index, event in enumerate(self._events):
            if event["method"] == method:
                del self._events[: index + 1]
                return
        while True:
            message = json.loads(self._socket.recv())
            if message.get("method") == method:
                self._events.clear()
                return

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired")

    def wait_until(self, expression: str, *, timeout: float = TIMEOUT_SECONDS, every: float = 0.02) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(every)
        raise RuntimeError(f"timed out waiting for: {expression}")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", **params)["data"]))
        return path

    def close(self) -> None:
        self._socket.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium with a throwaway profile; yields its one page, stops it at the end."""
    if not CHROMIUM:
        raise SystemExit("Chromium not found: apt-get install chromium (or set BENCH_CHROMIUM)")
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1280,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    browser = None
    try:
        port = None
        for line in process.stderr:  # Chromium says where DevTools listens before anything else matters
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = found.group(1)
                break
        if port is None:
            raise RuntimeError(f"Chromium exited ({process.wait()}) without opening DevTools")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            page = next(target for target in json.load(answer) if target["type"] == "page")
        browser = Browser(page["webSocketDebuggerUrl"])
        browser.call("Page.enable")
        yield browser
    finally:
        if browser is not None:
            browser.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


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


def main() -> None:
    workdir = Path(harness.temp_dir("bench-admin-upload-"))
    screenshots = Path(os.environ.get("BENCH_SCREENSHOTS") or tempfile.mkdtemp(prefix="admin-upload-screenshots-"))
    screenshots.mkdir(parents=True, exist_ok=True)
    harness.start_django(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}", ALLOWED_HOSTS="127.0.0.1",
        MEDIA_ROOT=str(workdir / "media"), STATIC_ROOT=str(workdir / "static"), AWS_STORAGE_BUCKET_NAME="",
        SECURE_COOKIES="0",  # plain HTTP on 127.0.0.1: a Secure session cookie would not come back
    )
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connections

    from imports.models import UploadSession

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: WhiteNoise serves the manifest
    editor = harness.new_user("importer", is_staff=True)
    editor.set_password(PASSWORD)
    editor.save()
    editor.user_permissions.add(*Permission.objects.filter(content_type__app_label="content",
                                                           codename__in=["add_speech", "view_speech"]))
    connections.close_all()  # gunicorn's workers write to the same SQLite file

    good, bad = write_files(workdir / "picked")
    # The bad files spread over the selection, so refused files show up while the batches go.
    picked = [str(path) for path in good]
    for n, path in enumerate(bad):
        picked.insert((n + 1) * len(picked) // (len(bad) + 1), str(path))
    shots: list[tuple[Path, dict[str, Any]]] = []

    with harness.gunicorn("--workers", "2", "--timeout", "120", "--log-level", "warning") as base, \
            chromium() as browser:
        browser.navigate(f"{base}/admin/login/?next={WIZARD}")
        browser.evaluate(f"""document.getElementById("id_username").value = {json.dumps(editor.email)};
                             document.getElementById("id_password").value = {json.dumps(PASSWORD)};
                             document.getElementById("login-form").submit();""")
        browser.wait_for_event("Page.loadEventFired")
        if not browser.evaluate(f"location.pathname === {json.dumps(WIZARD)}"):
            raise SystemExit(f"sign-in failed, the browser is at {browser.evaluate('location.href')}")
        browser.wait_until('document.getElementById("batch-folder-row").hidden === false')  # the script runs

        if UPLOAD_KBPS:
            browser.call("Network.enable")
            browser.call("Network.emulateNetworkConditions", offline=False, latency=0, downloadThroughput=-1,
                         uploadThroughput=UPLOAD_KBPS * 1024)
        document = browser.call("DOM.getDocument")["root"]["nodeId"]
        file_input = browser.call("DOM.querySelector", nodeId=document, selector='input[name="files"]')["nodeId"]
        started = time.monotonic()
        browser.call("DOM.setFileInputFiles", nodeId=file_input, files=picked)  # fires "change": the upload starts

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
            if not end["status"].startswith("Done: all"):  # with nothing refused the page goes on by itself
                browser.evaluate('document.getElementById("batch-continue").click()')
            browser.wait_for_event("Page.loadEventFired")
        step2 = {"status": browser.evaluate("document.querySelector('.import-help p').textContent.trim()")}
        shots.append((browser.screenshot(screenshots / "4-step-2.png"), step2))

    session = UploadSession.objects.get()
    stored = set(session.files.values_list("original_filename", flat=True))
    assert stored == {path.name for path in good}, f"{len(stored)} files in the session, {len(good)} expected"
    listed = end["refused"] if end else 0
    assert listed == len(bad), f"{listed} refused files listed, {len(bad)} expected"

    total_bytes = sum(path.stat().st_size for path in good + bad)
    print(f"Admin batch upload in headless Chromium: {len(good)} WAV files + {len(bad)} refused "
          f"({total_bytes / 1024:.0f} KB), upload throttled to {UPLOAD_KBPS or 'unlimited'} KB/s, "
          f"{seconds:.1f} s to the end; session {session.id} holds {len(stored)} files")
    for path, seen in shots:
        print(f"  {path}")
        for key in ("overallText", "batch", "status"):
            if seen.get(key):
                print(f"      {key}: {seen[key]}")


if __name__ == "__main__":
    sys.exit(main())
