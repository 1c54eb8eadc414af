"""Real (tiny) audio files, CSV and XLSX builders and storage probes for the import tests."""

import csv
import io
import math
import struct
import wave
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from content.models import Speech
from core import storage

AUDIO_URL = "/api/v1/admin/import/audio"
CSV_URL = "/api/v1/admin/import/csv"
SESSIONS_URL = "/api/v1/admin/import/sessions"
EXPORT_URL = "/api/v1/admin/speeches/export.csv"
EXPORT_COLUMNS = ("id", "audio_filename", "text", "level", "type", "tags")


def wav_bytes(frames: int = 80, tone: int = 440) -> bytes:
    """A real 8 kHz mono 16-bit WAV: RIFF header plus a few samples of a sine wave."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * tone * i / 8000)))
                                 for i in range(frames)))
    return buffer.getvalue()


def mp3_bytes() -> bytes:
    """One MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz) after an empty ID3v2.4 tag."""
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    frame = b"\xff\xfb\x90\x64" + bytes(413)  # 417-byte frame: header + silent payload
    return id3 + frame


def m4a_bytes() -> bytes:
    """An `ftyp` box of brand M4A followed by an empty `mdat` box."""
    ftyp = struct.pack(">I", 24) + b"ftyp" + b"M4A " + struct.pack(">I", 0) + b"M4A isom"
    return ftyp + struct.pack(">I", 8) + b"mdat"


def wav_file(name: str, **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, wav_bytes(**kwargs), content_type="audio/wav")


def csv_bytes(rows: list[dict], columns=("audio_filename", "text", "level", "type", "tags"), *,
              bom: bool = False, lineterminator: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator=lineterminator, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def csv_file(data: bytes, name: str = "speeches.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(rows: list[list], *, blank_rows_before: dict[int, int] | None = None) -> bytes:
    """A workbook whose first sheet holds `rows` (the header first) as they are: strings, numbers, None."""
    workbook = Workbook()
    sheet = workbook.active
    number = 0
    for index, cells in enumerate(rows):
        number += 1 + (blank_rows_before or {}).get(index, 0)
        for column, value in enumerate(cells, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "=" (as a spreadsheet's text cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dict_rows_as_xlsx(rows: list[dict], columns=EXPORT_COLUMNS) -> bytes:
    return xlsx_bytes([list(columns), *[[row.get(name, "") for name in columns] for row in rows]])


def read_xlsx_rows(data: bytes) -> list[dict]:
    """The records of an XLSX's first sheet as dicts by header, None cells as ""."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    header, *records = [["" if value is None else str(value) for value in row]
                        for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(header, record, strict=False)) for record in records]


def read_csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def empty_session(client) -> str:
    response = client.post(SESSIONS_URL)
    assert response.status_code == 201, response.content
    return response.json()["upload_session_id"]


def upload(client, files, session_id=None):
    data = {"files": files}
    if session_id:
        data["upload_session_id"] = str(session_id)
    return client.post(AUDIO_URL, data, format="multipart")


def import_csv(client, session_id, data: bytes, *, dry_run: bool = False, name: str = "speeches.csv"):
    payload = {"file": csv_file(data, name), "upload_session_id": str(session_id)}
    if dry_run:
        payload["dry_run"] = "true"
    return client.post(CSV_URL, payload, format="multipart")


def stored_keys(prefix: str = "") -> set[str]:
    """Every object key in the default storage (local folder or S3 bucket) under `prefix`."""
    if storage.is_s3():
        pages = storage.s3_client().get_paginator("list_objects_v2").paginate(
            Bucket=default_storage.bucket_name, Prefix=prefix)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}
    root = Path(default_storage.location)
    folder = root / prefix.rpartition("/")[0]  # only the folder the prefix is in: uploads may be thousands
    if not folder.exists():
        return set()
    keys = {path.relative_to(root).as_posix() for path in folder.rglob("*") if path.is_file()}
    return {key for key in keys if key.startswith(prefix)}


def unreferenced_audio() -> set[str]:
    """Stored objects under audio/ that no speech points at, the upload folders aside: what an import left behind."""
    referenced = set(Speech.objects.values_list("audio", flat=True))
    return {key for key in stored_keys("audio/") if not key.startswith("audio/uploads/") and key not in referenced}


def read_object(key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        return handle.read()
