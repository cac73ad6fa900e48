"""The documentation checks `make check` runs: the README stays an entrance (scripts/check_readme.py), and the
paths docs/ pages cite exist (scripts/check_docstring_paths.py). Each on the repository, then on a tmp tree
that breaks one rule."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_docs_check_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_readme = load("check_readme")


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / f"{name}.py"), *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", ["check_readme", "check_docstring_paths"])
def test_the_repository_passes(name):
    done = run_script(name)
    assert done.returncode == 0, done.stdout + done.stderr


def tree(tmp_path: Path, readme: str, pages: dict[str, str] | None = None) -> Path:
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    for name, text in (pages or {}).items():
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    return tmp_path


ENTRANCE = "# Hub\n\nSee [the guide](docs/guide.md) and [its part](docs/guide.md#the-two-protocols).\n"
GUIDE = "# Guide\n\n## The two protocols\n\nBack to [the README](../README.md).\n"


def test_a_good_tree_passes(tmp_path):
    root = tree(tmp_path, ENTRANCE, {"guide.md": GUIDE})
    assert check_readme.check(root) == []
    done = run_script("check_readme", str(root))
    assert done.returncode == 0, done.stdout + done.stderr


def test_150_lines_pass_and_151_fail(tmp_path):
    root = tree(tmp_path, ENTRANCE + "line\n" * (150 - ENTRANCE.count("\n")), {"guide.md": GUIDE})
    assert check_readme.check(root) == []
    (root / "README.md").write_text(ENTRANCE + "line\n" * (151 - ENTRANCE.count("\n")), encoding="utf-8")
    assert check_readme.check(root) == ["README.md: 151 lines, more than 150: move the rest to docs/"]
    done = run_script("check_readme", str(root))
    assert done.returncode == 1
    assert "151 lines" in done.stdout


def test_a_dead_link_fails(tmp_path):
    root = tree(tmp_path, ENTRANCE + "Ops: [operations](docs/operations.md).\n", {"guide.md": GUIDE})
    assert check_readme.check(root) == ["README.md:4: docs/operations.md: no such file"]
    done = run_script("check_readme", str(root))
    assert done.returncode == 1
    assert "docs/operations.md: no such file" in done.stdout


def test_a_dead_anchor_fails(tmp_path):
    root = tree(tmp_path, ENTRANCE + "[Setup](#setup) and [again](docs/guide.md#signing).\n", {"guide.md": GUIDE})
    assert check_readme.check(root) == [
        "README.md:4: #setup: no heading #setup in README.md",
        "README.md:4: docs/guide.md#signing: no heading #signing in docs/guide.md",
    ]


def test_a_dead_link_in_a_docs_page_fails(tmp_path):
    root = tree(tmp_path, ENTRANCE, {"guide.md": GUIDE + "[Deploying](deployment.md)\n"})
    assert check_readme.check(root) == ["docs/guide.md:6: deployment.md: no such file"]


def test_a_docs_page_the_readme_does_not_link_fails(tmp_path):
    root = tree(tmp_path, ENTRANCE, {"guide.md": GUIDE, "orphan.md": "# Orphan\n"})
    assert check_readme.check(root) == ["docs/orphan.md: not linked from README.md"]


def test_urls_routes_the_wider_project_and_code_are_not_links_to_check(tmp_path):
    readme = ENTRANCE + (
        "[site](https://example.com/x.md), [mail](mailto:a@example.com), [admin](/admin/),\n"
        "[outside](../outside/NOTES.md), `[not a link](nowhere.md)`\n"
        "```\n[in a block](nowhere.md)\n```\n"
        "[ref]: docs/guide.md\n"
    )
    root = tree(tmp_path, readme, {"guide.md": GUIDE})
    assert check_readme.check(root) == []


def test_heading_ids_follow_github():
    text = "# A `code` title: with, punctuation!\n## Repeat\n## Repeat\n```\n# not a heading\n```\n"
    assert check_readme.anchors(text) == {"a-code-title-with-punctuation", "repeat", "repeat-1"}


def test_the_path_check_reads_docs_pages(tmp_path, monkeypatch):
    paths = load("check_docstring_paths")
    (tmp_path / "wallet").mkdir()
    (tmp_path / "wallet" / "services.py").write_text('"""The ledger."""\n', encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(
        "The ledger: `wallet/services.py`; the outbox: `wallet/outbox.py`; the layout: `services.py`.\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.md").write_text("Not a docs page: `wallet/outbox.py`.\n", encoding="utf-8")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert paths.check() == ["docs/guide.md:1: wallet/outbox.py"]
