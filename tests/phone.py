"""Cards drawn at a phone's width: Microsoft's reference renderer in headless Chromium, 360 px
wide, with Teams' fonts and spacing (tests/tools/phone_cards.js, one browser for all cards)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cards import RENDERER
from tests.conftest import ROOT

SCRIPT = ROOT / "tests/tools/phone_cards.js"
PLAYWRIGHT = ROOT / "node_modules/playwright-core/package.json"
SHOTS_VARIABLE = "LEDARPULS_PHONE_SHOTS"  # a folder: a PNG of every card drawn


@dataclass(frozen=True)
class Drawn:
    """One card as a phone shows it."""

    name: str
    height: int  # px at 360 px wide
    overflow: list[str]  # what sticks out past the card's edge
    cut: list[str]  # text wider than its box: cut off, or over the box beside it
    broken: list[str]  # words split over two lines ("Inbjud|na")
    # button titles cut off ("Upp…"): more buttons than a row holds. Teams' phone apps scroll
    # such a row sideways instead (microsoft/AdaptiveCards#3705), so it is reported, not a fault
    buttons: list[str]


def chromium() -> Path | None:
    path = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
    return path if path.is_file() else None


def in_chromium(script: Path, needs: Path, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items given to a Node.js script (tests/tools/…) that drives one headless Chromium
    through them, and what it printed for each; skipped when Node.js, the script's npm package
    (`needs`) or Chromium is missing."""
    node = shutil.which("node")
    if node is None or not needs.is_file() or not PLAYWRIGHT.is_file():
        pytest.skip("Node.js or the npm packages are not installed (make test installs them)")
    if chromium() is None:
        pytest.skip("Chromium is not installed (make chromium, or CHROMIUM=/path/to/chromium)")
    result = subprocess.run(
        [node, str(script)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def draw(cards: list[tuple[str, dict[str, Any]]]) -> list[Drawn]:
    """Every (name, card) drawn at 360 px, in one browser."""
    items = [{"name": name, "card": card} for name, card in cards]
    return [Drawn(**drawn) for drawn in in_chromium(SCRIPT, RENDERER, items)]
