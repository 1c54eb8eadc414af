"""Headless Chromium over the DevTools protocol, for the browser tests and the bench's screenshots.

websocket-client (requirements/dev.txt) speaks the protocol, so no chromedriver is needed. Debian's
`chromium` package provides the browser (CHROMIUM overrides where it is).
"""

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = (os.environ.get("CHROMIUM") or os.environ.get("BENCH_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser") or "")
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
            if "method" in message:  # an event: kept for waits and for what the page asked the network
                self._events.append(message)

    def wait_for_event(self, method: str) -> None:
        for index, event in enumerate(self._events):
            if event["method"] == method:
                del self._events[: index + 1]
                return
        while True:
            message = json.loads(self._socket.recv())
            if message.get("method") == method:
                return
            if "method" in message:
                self._events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired")

    def click_and_wait(self, selector: str) -> None:
        """Clicks what `selector` finds (a submit button) and waits for the page it leads to."""
        self._events.clear()  # a load event kept from earlier must not end this wait
        if not self.evaluate(f"(b => b ? (b.click(), true) : false)(document.querySelector({json.dumps(selector)}))"):
            raise RuntimeError(f"nothing to click at {self.evaluate('location.href')}: {selector}")
        self.wait_for_event("Page.loadEventFired")

    def set_files(self, selector: str, paths: list[str]) -> None:
        """Picks files in a file input, as the editor's file dialog would (which fires "change")."""
        document = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=document, selector=selector)["nodeId"]
        self.call("DOM.setFileInputFiles", nodeId=node, files=paths)

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

    def events(self, method: str) -> list[dict[str, Any]]:
        """The events of one kind received so far (and not consumed by a wait)."""
        return [event["params"] for event in self._events if event["method"] == method]

    def close(self) -> None:
        self._socket.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium with a throwaway profile; yields its one page, stops it at the end."""
    if not CHROMIUM:
        raise SystemExit("Chromium not found: apt-get install chromium (or set CHROMIUM)")
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
