"""The service's pages checked by axe-core in headless Chromium (tests/tools/axe_pages.js, one
browser for all pages): WCAG 2.1 A and AA rules, sideways scrolling at 320 px, and Tab reach."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.phone import PLAYWRIGHT, chromium

SCRIPT = ROOT / "tests/tools/axe_pages.js"
AXE = ROOT / "node_modules/axe-core/axe.min.js"


@dataclass(frozen=True)
class Checked:
    """What axe and the two measurements beside it found on one page."""

    name: str
    violations: list[dict[str, Any]]  # {"id", "impact", "help", "width", "targets", "summary"}
    passes: int  # rules that passed
    sideways: int  # px the page is wider than 320 px
    unreached: list[str]  # links, fields and buttons the Tab key never focused


def check_pages(pages: list[tuple[str, str]]) -> list[Checked]:
    """Every (name, HTML) checked, in one browser."""
    node = shutil.which("node")
    if node is None or not AXE.is_file() or not PLAYWRIGHT.is_file():
        pytest.skip("Node.js or the npm packages are not installed (make test installs them)")
    if chromium() is None:
        pytest.skip("Chromium is not installed (make chromium, or CHROMIUM=/path/to/chromium)")
    result = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps([{"name": name, "html": html} for name, html in pages]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [Checked(**checked) for checked in json.loads(result.stdout)]
