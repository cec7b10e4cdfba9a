"""The layering the house keeps: the archive library works without the crawler, Scrapy or
Twisted (reextract, exports, the API and datasette load it alone), so none of its modules
may import them, not even lazily. And a test module never imports another: what tests
share lives in a support module of tests/."""

from __future__ import annotations

import ast
import subprocess
import sys

from .conftest import ROOT

CRAWL_SIDE = ("crawler", "scrapy", "twisted", "scrapy_redis")


def test_importing_every_archive_module_loads_no_crawler_code() -> None:
    script = (
        "import importlib, pkgutil, sys, archive\n"
        "for m in pkgutil.walk_packages(archive.__path__, 'archive.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(sorted({{k.split('.')[0] for k in sys.modules}} & set({CRAWL_SIDE!r})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert proc.stdout.strip() == "[]", proc.stdout


def test_no_archive_module_names_the_crawl_side_in_an_import() -> None:
    # also the imports inside functions, which the test above does not run
    offenders = []
    for path in sorted((ROOT / "archive").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in CRAWL_SIDE:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []


def _test_modules_named(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:  # `from tests import test_x` and `from . import test_x` name it as an alias
        module = node.module or ""
        names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return [name for name in names if name.rsplit(".", 1)[-1].startswith("test_")]


def test_no_test_module_imports_another() -> None:
    # what several test modules share lives in a support module (archive_builder,
    # site_builder, servers...), so a test module's helpers stay its own to change
    offenders = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                offenders += [
                    f"{path.name}:{node.lineno} imports {name}"
                    for name in _test_modules_named(node)
                ]
    assert offenders == []
