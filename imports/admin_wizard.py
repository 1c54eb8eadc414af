"""The "Import audio + CSV" wizard of Django Admin: upload audio, check the CSV (or XLSX), confirm.

Views only: every rule lives in `imports.services`. Domain errors become admin messages
or the row report, never an error page (the batch upload of step 1 answers JSON instead).
A file that only edits existing speeches skips the audio: step 1 opens an empty session.
The row report of a refused file, or of a failed job, also downloads as CSV.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from content.exceptions import CsvRowsInvalid
from core.exceptions import DomainError, error_body
from imports import selectors, services
from imports.forms import AudioUploadForm, CsvUploadForm
from imports.models import UploadSession
from imports.services import UploadResult
from jobs import selectors as job_selectors
from jobs.serializers import JobSerializer

PREVIEW_ROWS = 200
REPORT_ROWS = 1000

# The step-1 script sends a selection in batches of at most this many files or bytes (a
# single larger file goes alone): small enough that one request's upload and storing stay
# well inside the server's request timeout, large enough that 2000 clips take ~40 requests.
BATCH_FILES = 50
BATCH_BYTES = 20 * 1024 * 1024
# The batches are posted to the wizard's own URL with this query parameter: the view is
# then the staff-only, CSRF-protected admin view the wizard already is, without a new route.
BATCH_PARAMETER = "batch"


def _context(model_admin, request, title: str, **extra) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": UploadSession._meta, "title": title, **extra}


def _open_session(request, session_id) -> UploadSession | None:
    try:
        session = selectors.live_upload_session(session_id)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return None
    if session.state != UploadSession.State.OPEN:
        messages.error(request, "This upload session has already been imported. Start a new import.")
        return None
    return session


def upload_audio_view(model_admin, request):
    """Step 1: many audio files at once, into a new session or (`?session=`) an open one.

    With JavaScript the page sends the files itself, in batches, to `upload_batch_view`;
    this form post is the way without it. Either way the good files of a selection are
    kept and the refused ones listed.
    """
    if BATCH_PARAMETER in request.GET:
        return upload_batch_view(model_admin, request)
    session_id = request.GET.get("session") or request.POST.get("session") or ""
    session = _open_session(request, session_id) if session_id else None
    if session_id and session is None:
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_wizard"))
    form = AudioUploadForm(request.POST or None, request.FILES or None)
    file_errors: list = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.upload_audio_files(actor=request.user, files=form.cleaned_data["files"],
                                                 session_id=session.id if session else None, keep_accepted=True)
        except DomainError as exc:
            messages.error(request, f"Nothing was uploaded. {exc.detail}")
            file_errors = exc.errors if isinstance(exc.errors, list) else []
        else:
            file_errors = result.refused
            if not result.files:
                messages.error(request, f"Nothing was uploaded: {len(file_errors)} file(s) refused, listed below.")
            elif file_errors:
                # Back to step 1 in the same session, so the corrected files can join the good ones.
                session = result.session
                form = AudioUploadForm()
                messages.warning(request, f"{len(result.files)} audio file(s) uploaded; {len(file_errors)} refused, "
                                          "listed below. Add the corrected files, or go on to the CSV.")
            else:
                messages.success(request, f"{len(result.files)} audio file(s) uploaded. Now upload the CSV.")
                return HttpResponseRedirect(reverse("admin:imports_uploadsession_csv", args=[result.session.id]))
    return TemplateResponse(request, "admin/imports/upload_audio.html", _context(
        model_admin, request, "Import audio + CSV: 1. Upload audio files", step=1,
        form=form, session=session, file_errors=file_errors,
        batch_url=f"{reverse('admin:imports_uploadsession_wizard')}?{BATCH_PARAMETER}=1",
        batch_files=BATCH_FILES, batch_bytes=BATCH_BYTES, max_file_bytes=settings.MAX_UPLOAD_BYTES,
        csrf_cookie_name=settings.CSRF_COOKIE_NAME,
    ))


def empty_session_view(model_admin, request):
    """Step 1 skipped: an empty session for a file whose rows all edit existing speeches."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_wizard"))
    session = services.open_upload_session(actor=request.user)
    messages.success(request, "An upload session without audio files is open. Upload the CSV or XLSX that edits "
                              "existing speeches (rows with their id).")
    return HttpResponseRedirect(reverse("admin:imports_uploadsession_csv", args=[session.id]))


def _report_response(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def session_errors_view(model_admin, request, session_id):
    """The row report of the session's last refused file, as CSV: the step-2 page's table, every row of it."""
    try:
        lines = services.row_error_report(session_id=session_id)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_wizard"))
    return _report_response(lines, f"import-errors-{session_id}.csv")


def _import_job(request, job_id):
    """The import job, or None with the reason as an admin message."""
    try:
        return job_selectors.job(job_id=job_id, kind=services.IMPORT_JOB_KIND)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return None


def _row_errors(job) -> list:
    return job.errors if isinstance(job.errors, list) else []


def job_errors_view(model_admin, request, job_id):
    """The row report of a failed import job, as CSV."""
    job = _import_job(request, job_id)
    if job is None:
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_wizard"))
    return _report_response(services.iter_row_error_report(_row_errors(job)), f"import-errors-{job_id}.csv")


def upload_batch_view(model_admin, request):
    """Step 1 with JavaScript: one batch of the editor's selection, answered in JSON.

    The first batch opens the session (unless the page was opened for one); the script
    sends its id with every following batch. 200 lists what was accepted and what refused;
    a problem with the whole batch (no files, session expired or imported, storage down)
    is the error shape with its status, and nothing of that batch is kept.
    """
    if request.method != "POST":
        return JsonResponse(error_body("method_not_allowed", "POST a batch of audio files."), status=405)
    form = AudioUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse(error_body("invalid_batch", "Send at least one audio file in the `files` field.",
                                       {name: list(problems) for name, problems in form.errors.items()}), status=400)
    try:
        result = services.upload_audio_files(actor=request.user, files=form.cleaned_data["files"],
                                             session_id=request.POST.get("session") or None, keep_accepted=True)
    except DomainError as exc:
        return JsonResponse(error_body(exc.code, exc.detail, exc.errors), status=exc.status_code)
    return JsonResponse(_batch_answer(result))


def _batch_answer(result: UploadResult) -> dict:
    session = result.session
    return {
        "session_id": str(session.id) if session else None,
        "next_url": reverse("admin:imports_uploadsession_csv", args=[session.id]) if session else None,
        "accepted": [{"filename": upload.original_filename, "stored_name": upload.stored_name,
                      "size_bytes": upload.size_bytes} for upload in result.files],
        "refused": result.refused,
    }


def upload_csv_view(model_admin, request, session_id):
    """Step 2: check the CSV or XLSX; show every row error, or a preview (creates, updates, unchanged) to confirm."""
    session = _open_session(request, session_id)
    if session is None:
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_wizard"))
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    row_errors: list = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = services.stage_csv(actor=request.user, session_id=session.id,
                                         csv_data=services.read_csv_upload(upload), csv_name=upload.name or "")
        except CsvRowsInvalid as exc:
            messages.error(request, exc.detail)
            row_errors = exc.errors or []
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            plan = preview.plan
            # The rows that write something; unchanged ones are only counted.
            written = [row for row in plan.rows if row.action != "unchanged"]
            return TemplateResponse(request, "admin/imports/preview.html", _context(
                model_admin, request, "Import audio + CSV: 3. Confirm", step=3,
                session=session, csv_name=upload.name, rows=written[:PREVIEW_ROWS],
                row_count=len(plan.rows), create_count=plan.create_count, update_count=plan.update_count,
                unchanged_count=plan.unchanged_count, new_tags=plan.new_tags,
                hidden_rows=max(0, len(written) - PREVIEW_ROWS),
            ))
    files = list(session.files.all())
    return TemplateResponse(request, "admin/imports/upload_csv.html", _context(
        model_admin, request, "Import audio + CSV: 2. Upload the CSV", step=2,
        form=form, session=session, files=files, row_errors=row_errors[:REPORT_ROWS],
        error_count=len(row_errors), hidden_errors=max(0, len(row_errors) - REPORT_ROWS),
        report_url=reverse("admin:imports_uploadsession_errors", args=[session.id]),
    ))


def confirm_view(model_admin, request, session_id):
    """Step 3: start the import of the CSV that was checked and previewed, then follow it."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_csv", args=[session_id]))
    try:
        job = services.start_staged_import(actor=request.user, session_id=session_id)
    except DomainError as exc:
        messages.error(request, f"Nothing was imported. {exc.detail}")
        step = "wizard" if exc.status_code == 404 else "csv"
        args = [] if step == "wizard" else [session_id]
        return HttpResponseRedirect(reverse(f"admin:imports_uploadsession_{step}", args=args))
    return HttpResponseRedirect(reverse("admin:imports_uploadsession_job", args=[job.id]))


def job_view(model_admin, request, job_id):
    """The import's progress while a worker runs it (JSON for the page's script), then its report."""
    job = _import_job(request, job_id)
    if job is None:
        return HttpResponseRedirect(reverse("admin:imports_uploadsession_wizard"))
    if request.GET.get("format") == "json":
        return JsonResponse(JobSerializer(job).data)
    errors = _row_errors(job)
    return TemplateResponse(request, "admin/imports/job.html", _context(
        model_admin, request, "Import audio + CSV: importing" if not job.is_finished else "Import audio + CSV: report",
        step=3, job=job, percent=round(100 * job.done / job.total) if job.total else 0,
        row_errors=errors[:REPORT_ROWS], hidden_errors=max(0, len(errors) - REPORT_ROWS),
        report_url=reverse("admin:imports_uploadsession_job_errors", args=[job.id]),
        speech_list_url=_speech_list_url(), status_url=f"{request.path}?format=json",
    ))


def _speech_list_url() -> str:
    try:
        return reverse("admin:content_speech_changelist")
    except NoReverseMatch:  # Speech not registered in this admin site: show the sessions instead
        return reverse("admin:imports_uploadsession_changelist")
