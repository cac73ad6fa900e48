#!/usr/bin/env python3
"""The docs' screenshots: the operations dashboard (docs/operations.md) and the partner portal (docs/partners.md).

Runs the two browser tests that take them (tests/portal/test_dashboard_browser.py at 1440 px, the portal's
overview of tests/portal/test_pages_browser.py), which write ``test-artifacts/``, and copies their PNGs to
``docs/img/``. Needs what the browser tests need (Debian's Chromium at /usr/bin/chromium, the database of
``DATABASE_URL`` or SQLite); exits 1, copying nothing, when a test fails or is skipped. Rerun it after a change
to the dashboard's or the portal's pages and commit the images: ``.venv/bin/python scripts/screenshots.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
IMAGES = ROOT / "docs" / "img"
TESTS = (
    "tests/portal/test_dashboard_browser.py::test_dashboard_uses_a_1440_px_screen_and_matches_reconciliation",
    "tests/portal/test_pages_browser.py::test_portal_page_draws_health_charts",
)
SHOTS = {  # test-artifacts/<name> → docs/img/<name>
    "admin-operations-dashboard.png": "operations-dashboard.png",
    "portal-overview.png": "partner-portal.png",
}


def main() -> int:
    for name in SHOTS:
        (ARTIFACTS / name).unlink(missing_ok=True)
    # -rs: a skip (no Chromium) is printed with its reason; the screenshots then are missing and nothing is copied
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *TESTS], cwd=ROOT)
    missing = [name for name in SHOTS if not (ARTIFACTS / name).exists()]
    if run.returncode != 0 or missing:
        print(f"screenshots not updated (pytest exit {run.returncode}; missing: {missing or 'none'})", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    for source, target in SHOTS.items():
        shutil.copyfile(ARTIFACTS / source, IMAGES / target)
        print(f"docs/img/{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
