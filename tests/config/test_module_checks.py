"""The module-shape check `make check` runs (scripts/check_modules.py): no private name used across modules, no
file over 600 lines. On the repository, then on tmp trees that break one rule each."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_module_check", ROOT / "scripts" / "check_modules.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_modules = load()


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_repository_passes():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_modules.py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_private_name_imported_or_reached_from_another_module_is_reported(tmp_path):
    root = tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/money.py": "def _places(c): ...\ndef precision(c): ...\n__all__ = []\n",
            "wallet/__init__.py": "",
            "wallet/a.py": "from core.money import _places, precision, __all__\n",
            "wallet/b.py": "from core import money\n\nmoney._places('EUR')\nmoney.precision('EUR')\n",
            "wallet/c.py": "import core.money as m\n\nm._places('EUR')\n",
            "wallet/d.py": "def _own(): ...\n\n_own()\n",
            "wallet/tests/test_x.py": "from core.money import _places\n",
            "wallet/migrations/0001_x.py": "from core.money import _places\n",
        },
    )
    assert check_modules.check(root) == [
        "wallet/a.py:1: uses core.money._places, private to its module: give it a public name",
        "wallet/b.py:3: uses core.money._places, private to its module: give it a public name",
        "wallet/c.py:3: uses core.money._places, private to its module: give it a public name",
    ]


def test_a_file_over_600_lines_is_reported_but_not_in_tests_or_migrations(tmp_path):
    long = "x = 1\n" * 601
    root = tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/ok.py": "x = 1\n" * 600,
            "core/big.py": long,
            "core/tests/test_big.py": long,
            "core/migrations/0001_big.py": long,
        },
    )
    assert check_modules.check(root) == ["core/big.py: 601 lines, more than 600: split it by job"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_modules.py"), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "core/big.py: 601 lines" in done.stdout
