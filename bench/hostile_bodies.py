"""The body-abuse table: the HTTP status every write operation answers to hostile bodies, through a real gunicorn.

For each POST/PUT/PATCH with a requestBody in the API's OpenAPI schema (read from the running
server at /api/schema/?format=json; path parameters replaced by random UUIDs) it sends, signed
in as a staff member so that every view gets as far as parsing, one request with each body:

  json-big          ~11 MB of valid JSON, over DATA_UPLOAD_MAX_MEMORY_SIZE (10 MiB by default)
  json-deep         JSON nested 100 000 deep: "[" * 100 000 + "]" * 100 000
  form-fields       application/x-www-form-urlencoded with 1 001 fields (limit: 1 000)
  multipart-files   multipart/form-data with 20 001 tiny file parts (limit: DATA_UPLOAD_MAX_NUMBER_FILES, 1 000)
  multipart-fields  multipart/form-data with 2 000 form fields

and the same for the operations that need no sign-in (POST auth/login, auth/register, ...)
sent anonymously, marked "(anon)". Then POST /api/v1/speech/score with 30 file parts of
9.9 MB each, streamed (the client never holds more than one chunk), with the gunicorn worker's
VmRSS before and after and the growth of its VmHWM (peak RSS) over the request.

A cell is the status code, or `reset` (connection closed or reset before an answer was read)
or `timeout` (no answer within BENCH_TIMEOUT s, default 30); a "*" after a code says the answer
was not JSON, so not the API's error shape (gunicorn's own, say). The last line counts the 5xx.
BENCH_ONLY, a regular expression, keeps the operations whose "METHOD /path" it matches.
Compare the table before and after a hardening change: every cell should be a 4xx.

The server: gunicorn, 1 worker with 4 threads and a 60 s timeout as the image runs it, on its
own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/englishapp_bench_hostile, dropped and recreated), the
local-memory cache (REDIS_URL empty), rate limits off. Its log goes to BENCH_SERVER_LOG
(default: a temporary file, deleted at the end; its tracebacks are counted).
Run:  .venv/bin/python bench/hostile_bodies.py
"""

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import harness

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/englishapp_bench_hostile")
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "30"))
ONLY = re.compile(os.environ.get("BENCH_ONLY", ""))
SERVER_LOG = os.environ.get("BENCH_SERVER_LOG") or str(Path(harness.temp_dir("bench-hostile-")) / "gunicorn.log")

harness.prepare_database(DATABASE_URL, fresh=True)
harness.start_django(DATABASE_URL=DATABASE_URL, REDIS_URL="", ALLOWED_HOSTS="127.0.0.1",
                     MEDIA_ROOT=harness.temp_dir("bench-hostile-media-"))

import requests  # noqa: E402

WRITE_METHODS = ("post", "put", "patch")
SCORE_PATH = "/api/v1/speech/score"
SCORE_PARTS, SCORE_PART_BYTES = 30, 9_900_000
CHUNK = 1024 * 1024


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of (field name, file name or None for a plain field, content)."""
    boundary = uuid.uuid4().hex
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
                      + (b"Content-Type: audio/wav\r\n" if filename else b"") + b"\r\n" + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def hostile_bodies() -> dict[str, tuple[bytes, str]]:
    """Column name -> (body, Content-Type)."""
    return {
        "json-big": (b'{"x": "' + b"a" * 11_000_000 + b'"}', "application/json"),
        "json-deep": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        "form-fields": ("&".join(f"f{n}=1" for n in range(1001)).encode(), "application/x-www-form-urlencoded"),
        "multipart-files": multipart([("files", f"clip{n}.wav", b"RIFF") for n in range(20_001)]),
        "multipart-fields": multipart([(f"f{n}", None, b"1") for n in range(2000)]),
    }


class StreamedBody:
    """An iterable of chunks with a length: requests then sends a Content-Length and streams the chunks,
    where a bare generator would be sent chunked (and, with a Content-Length header as well, refused by
    gunicorn before the app sees it)."""

    def __init__(self, chunks: Callable[[], Iterator[bytes]], length: int) -> None:
        self.chunks, self.length = chunks, length

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks()

    def __len__(self) -> int:
        return self.length


def streamed_score_body() -> tuple[StreamedBody, str]:
    """30 file parts of 9.9 MB, made chunk by chunk as they are sent, and the Content-Type."""
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="reference_text"\r\n\r\nhello world\r\n'.encode()
    part_heads = [f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="clip{n}.wav"\r\n'
                  "Content-Type: audio/wav\r\n\r\n".encode() for n in range(SCORE_PARTS)]
    tail = f"--{boundary}--\r\n".encode()
    length = len(head) + sum(len(h) + SCORE_PART_BYTES + 2 for h in part_heads) + len(tail)
    block = b"\0" * CHUNK

    def chunks() -> Iterator[bytes]:
        yield head
        for part_head in part_heads:
            yield part_head
            for start in range(0, SCORE_PART_BYTES, CHUNK):
                yield block[:min(CHUNK, SCORE_PART_BYTES - start)]
            yield b"\r\n"
        yield tail

    return StreamedBody(chunks, length), f"multipart/form-data; boundary={boundary}"


def send(method: str, url: str, headers: dict[str, str], body: bytes | StreamedBody) -> str:
    """The status code of one request on a connection of its own (with "*" when the answer is not JSON:
    not the API's error shape, e.g. gunicorn's own), or `reset` / `timeout`."""
    try:
        with requests.Session() as http:
            response = http.request(method.upper(), url, data=body, headers=headers, timeout=TIMEOUT)
    except requests.Timeout:
        return "timeout"
    except requests.ConnectionError:
        return "reset"
    json = response.headers.get("Content-Type", "").startswith("application/json")
    return str(response.status_code) + ("" if json else "*")


def write_operations(schema: dict) -> list[tuple[str, str, bool]]:
    """(method, concrete path, needs no sign-in) of every write operation with a request body."""
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in WRITE_METHODS and "requestBody" in operation and ONLY.search(f"{method.upper()} {path}"):
                concrete = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
                security = operation.get("security", schema.get("security", []))
                operations.append((method, concrete, not security or {} in security))
    return operations


def server_pids(port: int) -> tuple[int, list[int]]:
    """The gunicorn master bound to `port` (a child of this process) and its workers (its children)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            # The command name in (...) may hold spaces; the fields after it do not. ppid is the second.
            parents[pid] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    for pid, ppid in parents.items():
        try:
            cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if ppid == os.getpid() and f"127.0.0.1:{port}".encode() in cmdline:
            return pid, sorted(child for child, parent in parents.items() if parent == pid)
    raise SystemExit(f"no gunicorn master on port {port} among this process's children")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB."""
    fields = {}
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0])
    return fields


@contextmanager
def stderr_to(path: str) -> Iterator[None]:
    """File descriptor 2 pointed at `path` (emptied) meanwhile, so that a server started now logs there."""
    saved = os.dup(2)
    with open(path, "wb") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_files_limit(pid: int) -> str:
    """The soft limit on open files of a process: with DATA_UPLOAD_MAX_NUMBER_FILES near it, Django's
    temporary-file upload handler (one open file per file part) meets it before the count limit."""
    for line in (Path("/proc") / str(pid) / "limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return line.split()[3]
    return "?"


def print_table(rows: list[tuple[str, list[str]]], columns: list[str]) -> None:
    width = max(len(label) for label, _ in rows)
    print(f"{'operation':<{width}}  " + "  ".join(f"{column:>{len(column)}}" for column in columns))
    for label, cells in rows:
        print(f"{label:<{width}}  " + "  ".join(f"{cell:>{len(column)}}" for cell, column in zip(cells, columns,
                                                                                               strict=True)))


def main() -> None:
    staff = {"Authorization": harness.bearer(harness.new_user("hostile", is_staff=True))}
    bodies = hostile_bodies()
    with ExitStack() as stack:
        with stderr_to(SERVER_LOG):
            base = stack.enter_context(harness.gunicorn("--workers", "1", "--threads", "4", "--timeout", "60",
                                                        "--no-control-socket"))
        schema = requests.get(f"{base}/api/schema/?format=json", headers=staff, timeout=TIMEOUT)
        schema.raise_for_status()
        operations = write_operations(schema.json())
        rows: list[tuple[str, list[str]]] = []
        port = int(base.rsplit(":", 1)[1])
        _, workers = server_pids(port)
        sends = [(staff, f"{method.upper()} {path}") for method, path, _ in operations]
        sends += [({}, f"{method.upper()} {path} (anon)") for method, path, public in operations if public]
        seconds = dict.fromkeys(bodies, 0.0)
        for headers, label in sends:
            method, path = label.split()[:2]
            cells = []
            for column, (body, content_type) in bodies.items():
                started = time.perf_counter()
                cells.append(send(method, base + path, {**headers, "Content-Type": content_type}, body))
                seconds[column] = max(seconds[column], time.perf_counter() - started)
            rows.append((label, cells))
        print(f"{len(operations)} write operations in the schema, {len(sends) - len(operations)} of them also "
              f"sent anonymously; {len(sends) * len(bodies)} requests; the worker may open "
              f"{open_files_limit(workers[0])} files\n")
        print_table([*rows, ("slowest request, s", [f"{value:.1f}" for value in seconds.values()])],
                    list(bodies))

        _, workers = server_pids(port)  # again: a worker that died meanwhile was replaced
        if len(workers) != 1:
            raise SystemExit(f"expected one gunicorn worker, found {workers}")
        streamed, content_type = streamed_score_body()
        before = memory_kb(workers[0])
        started = time.perf_counter()
        status = send("post", base + SCORE_PATH, {**staff, "Content-Type": content_type}, streamed)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)  # let the worker finish whatever it still does with the request
        after = memory_kb(workers[0]) if Path(f"/proc/{workers[0]}").exists() else None
        label = f"POST {SCORE_PATH}"
        column = f"{SCORE_PARTS}x{SCORE_PART_BYTES / 1e6:.1f}MB"
        print(f"\n{len(streamed) / 1e6:.0f} MB streamed, answered in {elapsed:.1f} s; "
              f"memory of worker {workers[0]} in MB\n")
        print(f"{'operation':<{len(label)}}  {column}  {'RSS before':>10}  {'RSS after':>9}  {'peak growth':>11}")
        if after is None:
            memory = f"{before['VmRSS'] / 1024:>10.0f}  {'(worker gone)':>22}"
        else:
            memory = (f"{before['VmRSS'] / 1024:>10.0f}  {after['VmRSS'] / 1024:>9.0f}  "
                      f"{(after['VmHWM'] - before['VmHWM']) / 1024:>+11.0f}")
        print(f"{label}  {status:>{len(column)}}  {memory}")
        rows.append((label, [status]))

    cells = [cell for _, row in rows for cell in row]
    errors = sum(cell.startswith("5") for cell in cells)
    tracebacks = Path(SERVER_LOG).read_text(errors="replace").count("Traceback (most recent call last)")
    print(f"\n{errors} × 5xx of {len(cells)} requests ({cells.count('reset')} reset, {cells.count('timeout')} "
          f"timeout); {tracebacks} tracebacks in the server log"
          + (f" ({SERVER_LOG})" if os.environ.get("BENCH_SERVER_LOG") else ""))


main()
