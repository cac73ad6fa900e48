"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

No browser is ever downloaded: the tests use /usr/bin/chromium (``apt-get install chromium``) and are
skipped, with that reason, when it is missing.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Expected API errors are logged by Chromium as "Failed to load resource" console errors.
EXPECTED_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (4\d\d)")


needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, which Django's async-safety check
    # mistakes for async code; the tests' ORM calls are plain synchronous calls, so allow them meanwhile.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Watched:
    """A page whose console errors, page errors and requests are recorded for the end-of-test checks."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.requests: list[str] = []
        self.allowed_http_errors: set[str] = set()
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("request", lambda req: self.requests.append(req.url))

    def allow_http_errors(self, *statuses: int) -> None:
        self.allowed_http_errors.update(str(s) for s in statuses)

    def check(self) -> None:
        foreign = [url for url in self.requests if not url.startswith((self.origin + "/", "data:", "blob:", "about:"))]
        assert not foreign, f"requests to other hosts: {foreign}"
        assert not self.page_errors, f"uncaught page errors: {self.page_errors}"
        unexpected = []
        for text in self.console_errors:
            m = EXPECTED_HTTP_ERROR.search(text)
            if not (m and m.group(1) in self.allowed_http_errors):
                unexpected.append(text)
        assert not unexpected, f"console errors: {unexpected}"


@pytest.fixture
def hub(live_server, settings, transactional_db):
    """The live hub, with launch URLs pointing at it and rounds that settle at once."""
    settings.HUB_PUBLIC_URL = live_server.url
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    settings.HUB_DEMO_SESSIONS_RATE = "1000/min"
    return live_server


@pytest.fixture
def open_page(chromium, hub):
    """open_page(device) → a Watched page in a fresh browser context; checked and closed after the test."""
    opened: list[tuple] = []

    def _open(device: dict = DESKTOP, locale: str = "en-US") -> Watched:
        context = chromium.new_context(locale=locale, **device)
        context.set_default_timeout(10_000)
        watched = Watched(context.new_page(), hub.url)
        opened.append((context, watched))
        return watched

    yield _open
    try:
        for _, watched in opened:
            watched.check()
    finally:
        for context, watched in opened:
            watched.page.unroute_all(behavior="ignoreErrors")  # a route may be serving the page's polling
            context.close()


@pytest.fixture
def open_markets(games_catalog):
    """Open markets: the demo ones from the data migration, or two of ours after a flush."""
    from django.utils import timezone

    from games.models import Market

    rows = [
        ("Will BTC close above $100k this month?", Decimal("100"), Decimal("30"), Decimal("0")),
        ("Will it rain in Lisbon on Saturday?", Decimal("200"), Decimal("0"), Decimal("60")),
    ]
    if not Market.objects.filter(status="open").exists():  # data-migrated, unless a transactional test flushed them
        for i, (title, b, q_yes, q_no) in enumerate(rows):
            Market.objects.create(
                title=title, b=b, q_yes=q_yes, q_no=q_no, close_at=timezone.now() + timedelta(days=7 + i * 5)
            )
    return list(Market.objects.filter(status="open").order_by("close_at", "id"))


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
