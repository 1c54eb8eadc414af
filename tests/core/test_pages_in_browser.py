"""The docs and admin pages in a real browser ask nothing of third parties and break no CSP rule.

One Chromium for the module (it is the slow part); each page is loaded with the network and
the console watched.
"""

from urllib.parse import urlsplit

import pytest

from tests.browser import CHROMIUM, chromium
from tests.conftest import REQUIRE_SERVICES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if REQUIRE_SERVICES:
            pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
        pytest.skip("Chromium not installed")
    with chromium() as page:
        page.call("Network.enable")
        page.call("Log.enable")
        page.call("Runtime.enable")
        yield page


def visit(browser, url: str, *, ready: str) -> tuple[set[str], list[str]]:
    """The hosts the page asked for and the console's errors, once `ready` (a JS expression) is true."""
    browser._events.clear()
    browser.navigate(url)
    browser.wait_until(ready, timeout=30, every=0.1)
    # Images a page adds once rendered (ReDoc's footer logo) must have been asked for too.
    browser.wait_until("Array.from(document.images).every(image => image.complete)", timeout=30, every=0.1)
    browser.evaluate("new Promise(done => setTimeout(done, 300))")
    hosts = {urlsplit(event["request"]["url"]).netloc for event in browser.events("Network.requestWillBeSent")
             if event["request"]["url"].startswith("http")}
    errors = [event["entry"]["text"] for event in browser.events("Log.entryAdded")
              if event["entry"]["level"] == "error"]
    return hosts, errors


@pytest.mark.parametrize(("path", "ready"), [
    # ReDoc: its sidebar footer (where the CDN logo was) has rendered.
    ("/api/redoc/", "!!document.querySelector('a[href=\"https://redocly.com/redoc/\"]')"),
    ("/api/docs/", "!!document.querySelector('.opblock')"),
    ("/admin/login/", "!!document.querySelector('#login-form')"),
])
def test_the_page_loads_everything_from_this_server(browser, live_server, path, ready):
    hosts, errors = visit(browser, live_server.url + path, ready=ready)

    assert hosts == {urlsplit(live_server.url).netloc}
    assert errors == []
