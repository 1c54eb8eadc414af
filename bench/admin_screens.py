"""What an editor sees in Django Admin, in headless Chromium screenshots.

Starts from nothing: a temporary SQLite database and media folder, `manage.py seed` (the demo
content and the demo editor, a member of the "Content editor" group), gunicorn on a free port as
the image runs it (DEBUG off, WhiteNoise). Signs in as the demo editor and takes one screenshot of:

  1. the admin index (branding, the editor's apps, "Recent actions");
  2. the speech list (the text column, tags, audio players);
  3. a speech's change form;
  4. the import wizard's preview of a CSV that edits exported speeches and adds new ones
     ("creates N, updates M, unchanged K");
  5. the wizard's row-error report of a CSV with mistakes (the value of each bad cell);
  6. the content coverage dashboard (/admin/content/speech/dashboard/).

Each screenshot's path is printed with the page's title and a few facts read off the page, so a
run can be checked without opening the pictures. Needs Debian's `chromium` (CHROMIUM= elsewhere).
Run:
    .venv/bin/python bench/admin_screens.py                 # screenshots under a new temporary folder
    BENCH_SCREENSHOTS=/tmp/shots .venv/bin/python bench/admin_screens.py
"""

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import harness

from tests.browser import Browser, chromium

NEW_ROWS = 3


def sign_in(browser: Browser, base: str, email: str, password: str) -> None:
    browser.navigate(f"{base}/admin/login/?next=/admin/")
    browser.evaluate(f"""document.getElementById("id_username").value = {json.dumps(email)};
                         document.getElementById("id_password").value = {json.dumps(password)};
                         document.getElementById("login-form").submit();""")
    browser.wait_for_event("Page.loadEventFired")
    if browser.evaluate("location.pathname") != "/admin/":
        raise SystemExit(f"sign-in failed, the browser is at {browser.evaluate('location.href')}")


def shoot(browser: Browser, folder: Path, name: str, facts: str = "") -> None:
    path = browser.screenshot(folder / f"{name}.png", full_page=True)
    title = browser.evaluate("document.title")
    seen = browser.evaluate(facts) if facts else ""
    print(f"  {path}\n      {title}" + (f"\n      {seen}" if seen else ""))


def exported_csv(editor) -> tuple[str, list[str]]:
    """The export of five speeches with one text edited, plus new rows for uploaded files."""
    from django.test import Client

    from content.models import Speech

    client = Client()
    client.force_login(editor)
    ids = [str(pk) for pk in Speech.objects.order_by("created_at").values_list("pk", flat=True)[:5]]
    answer = client.post("/admin/content/speech/", {"action": "export_speeches_as_import_csv",
                                                    "_selected_action": ids})
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    text = header.index("text")
    body[0][text] = body[0][text].rstrip(".?!") + ", please?"
    return header, body


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def open_upload_session(editor, workdir: Path) -> tuple[str, list[str]]:
    from django.core.files.base import ContentFile

    from imports import services

    files = [ContentFile(harness.wav_clip(n), name=f"new-sentence-{n}.wav") for n in range(NEW_ROWS)]
    result = services.upload_audio_files(actor=editor, files=files)
    return str(result.session.id), [upload.stored_name for upload in result.files]


def check_csv(browser: Browser, base: str, session_id: str, csv_path: Path) -> None:
    browser.navigate(f"{base}/admin/imports/uploadsession/{session_id}/import-csv/")
    browser.set_files('input[type="file"]', [str(csv_path)])
    browser.click_and_wait('input[type="submit"][value="Check the file"]')


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="admin-screens-"))
    screenshots = Path(os.environ.get("BENCH_SCREENSHOTS") or workdir / "screenshots")
    screenshots.mkdir(parents=True, exist_ok=True)
    harness.start_django(DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}", MEDIA_ROOT=str(workdir / "media"),
                         CACHE_DIR=str(workdir / "cache"), ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
                         CELERY_BROKER_URL=f"filesystem://{workdir / 'broker'}",
                         SEED_STAFF_PASSWORD="screens-editor-password-7", SEED_LEARNER_PASSWORD="screens-learner-7")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from content.models import Speech

    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed", verbosity=0)
    editor = get_user_model().objects.get(email__iexact=settings.SEED_STAFF_EMAIL)
    header, rows = exported_csv(editor)
    session_id, stored = open_upload_session(editor, workdir)
    new_rows = [["" if name == "id" else value for name, value in zip(header, template, strict=True)]
                for template in rows[:NEW_ROWS]]
    for row, name in zip(new_rows, stored, strict=True):
        row[header.index("audio_filename")] = name
        row[header.index("text")] = f"A new sentence for {name}."
    good = write_csv(workdir / "edit-and-add.csv", header, rows + new_rows)
    bad_rows = [list(row) for row in rows[:3]]
    bad_rows[0][header.index("level")] = "Z9"
    bad_rows[1][header.index("id")] = "not-a-uuid"
    bad_rows[2][header.index("type")] = "statement"
    bad = write_csv(workdir / "with-mistakes.csv", header, bad_rows)
    some_speech = Speech.objects.order_by("created_at").first()
    connections.close_all()  # gunicorn's workers open the same SQLite file

    print(f"Admin screens as {settings.SEED_STAFF_EMAIL} (Content editor group), SQLite, local storage:")
    with harness.gunicorn("--workers", "1", "--log-level", "warning") as base, chromium() as browser:
        browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1,
                     mobile=False)
        sign_in(browser, base, settings.SEED_STAFF_EMAIL, settings.SEED_STAFF_PASSWORD)
        shoot(browser, screenshots, "1-admin-index",
              "Array.from(document.querySelectorAll('#content-main caption a, #recent-actions-module li'))"
              ".map(e => e.textContent.trim()).join(' | ')")
        browser.navigate(f"{base}/admin/content/speech/")
        shoot(browser, screenshots, "2-speech-list",
              "document.querySelector('.paginator').textContent.trim() + '; text column ' + "
              "document.querySelector('th.column-short_text').offsetWidth + ' px wide'")
        browser.navigate(f"{base}/admin/content/speech/{some_speech.pk}/change/")
        shoot(browser, screenshots, "3-speech-change-form", "document.querySelector('#id_text').value")
        check_csv(browser, base, session_id, good)
        shoot(browser, screenshots, "4-wizard-preview",
              "Array.from(document.querySelectorAll('#content p, #content li')).slice(0, 6)"
              ".map(e => e.textContent.trim().replace(/\\s+/g, ' ')).join(' | ')")
        check_csv(browser, base, session_id, bad)
        shoot(browser, screenshots, "5-wizard-row-errors",
              "Array.from(document.querySelectorAll('#content-main table tbody tr')).slice(0, 4)"
              ".map(e => e.textContent.trim().replace(/\\s+/g, ' ')).join(' | ')")
        browser.navigate(f"{base}/admin/content/speech/dashboard/")
        shoot(browser, screenshots, "6-coverage-dashboard",
              "Array.from(document.querySelectorAll('h2')).map(e => e.textContent.trim()).join(' | ')")
    print(f"Screenshots in {screenshots}")


if __name__ == "__main__":
    main()
