"""Every card the product can build is checked by Microsoft's Adaptive Cards reference renderer."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT

VALIDATOR = ROOT / "tests/tools/validate_cards.js"
RENDERER = ROOT / "node_modules/adaptivecards/dist/adaptivecards.js"


def card_events(cards: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The reference renderer's events per card (parse warnings, validation failures)."""
    node = shutil.which("node")
    if node is None or not RENDERER.is_file():
        pytest.skip(
            "Node.js or the npm package adaptivecards is not installed (make test installs it)"
        )
    result = subprocess.run(
        [node, str(VALIDATOR)],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    events: list[list[dict[str, Any]]] = json.loads(result.stdout)
    return events


def assert_valid_cards(cards: list[dict[str, Any]]) -> None:
    for card, events in zip(cards, card_events(cards), strict=True):
        assert events == [], (events, json.dumps(card, ensure_ascii=False)[:500])
        assert card["version"] == "1.5"
        # Teams shows messages well under about 80 KB; a card should stay far below that
        assert len(json.dumps(card).encode()) < 40_000
        assert_accessible(card)


def assert_accessible(card: dict[str, Any]) -> None:
    """Every input says what it is about: a label of its own (a screen reader reads the label,
    never the text above it), an error message where an answer is required or checked, no
    `maxLength`, and no two inputs of a card under the same label (five "Status" say nothing
    of which activity is which)."""
    inputs = [e for e in walk(card) if str(e.get("type", "")).startswith("Input.")]
    for element in inputs:
        assert str(element.get("label") or "").strip(), element
        if element.get("isRequired") or element.get("regex"):
            assert str(element.get("errorMessage") or "").strip(), element
        # a limit is said in the label and checked with a message (`regex`), never a
        # `maxLength` that cuts a pasted text without a word
        assert "maxLength" not in element, element
    labels = [element["label"] for element in inputs]
    assert len(labels) == len(set(labels)), labels


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every element of a card, actions and show-cards included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def seen(card: dict[str, Any]) -> list[str]:
    """What a reader sees on a card, line by line: each text, and each fact as "title: value"
    (a FactSet's, or a two-cell table row's)."""
    lines: list[str] = []
    for element in walk(card):
        kind = element.get("type")
        if kind in ("TextBlock", "TextRun"):
            lines.append(element["text"])
        elif kind == "FactSet":
            lines += [f"{f['title']}: {f['value']}" for f in element["facts"]]
        elif kind == "TableRow":
            cells = [
                " ".join(r["text"] for r in walk(cell) if "text" in r) for cell in element["cells"]
            ]
            lines.append(": ".join(cells))
    return lines
