"""The import-graph check `make check` runs (scripts/check_imports.py): on the repository, then on a tmp tree
that breaks one rule: a domain app's models, services or selectors reaching the edges, HTTP or the sandbox."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "check_imports.py")], capture_output=True, text=True, timeout=120
    )


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "check_imports.py", tmp_path / "scripts" / "check_imports.py")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_repository_passes():
    done = run(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 edge violations" in done.stdout


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("tenants/services.py", "django.http"),
        ("wallet/selectors.py", "rest_framework.response"),
        ("games/models.py", "integration_hub.reports"),
        ("freerounds/services.py", "sandbox.services"),
        ("tenants/services/keys.py", "django.http"),
        ("games/markets/services.py", "sandbox"),
    ],
)
def test_a_domain_layer_importing_an_edge_fails(tmp_path, module, target):
    root = tree(tmp_path, {module: f"import {target}\n"})
    done = run(root)
    name = module.removesuffix(".py").replace("/", ".")
    assert done.returncode == 1
    assert f"edges: {name} imports {target}" in done.stdout


def test_an_import_through_another_module_is_found_and_named(tmp_path):
    root = tree(
        tmp_path,
        {
            "wallet/services.py": "from wallet import helpers\n",
            "wallet/helpers.py": "def f():\n    from django.http import HttpResponse\n",
        },
    )
    done = run(root)
    assert done.returncode == 1
    assert "edges: wallet.services imports django.http (through wallet.helpers)" in done.stdout


def test_edges_views_and_the_sandbox_may_import_http(tmp_path):
    root = tree(
        tmp_path,
        {
            "wallet/views.py": "from django.http import HttpResponse\n",
            "sandbox/services.py": "from django.http import HttpResponse\n",
            "integration_hub/igsp/views.py": "from rest_framework.views import APIView\nfrom wallet import services\n",
            "wallet/services.py": "from django.db import transaction\n",
            "config/urls.py": "from integration_hub.igsp import views\n",
        },
    )
    done = run(root)
    assert done.returncode == 0, done.stdout
