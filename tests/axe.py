"""The service's pages checked by axe-core in headless Chromium (tests/tools/axe_pages.js, one
browser for all pages): WCAG 2.1 A and AA rules, sideways scrolling at 320 px, and Tab reach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conftest import ROOT
from tests.phone import in_chromium

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
    items = [{"name": name, "html": html} for name, html in pages]
    return [Checked(**checked) for checked in in_chromium(SCRIPT, AXE, items)]
