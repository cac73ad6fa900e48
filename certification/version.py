"""The hub's code version, stored on every certification run: a pass certifies this code only."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


@cache
def _git_head() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - the developer's git, from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()[:40]


def hub_version() -> str:
    """``HUB_VERSION`` when set (a release or image tag), else the git commit, else the API version."""
    return getattr(settings, "HUB_VERSION", "") or _git_head() or str(settings.SPECTACULAR_SETTINGS.get("VERSION"))
