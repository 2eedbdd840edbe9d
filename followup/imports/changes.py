"""What an import did: added, changed and deactivated records, per kind of record."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass
class Changes:
    """The keys of the records an import added, changed and deactivated."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.changed) + len(self.deactivated)


@dataclass
class ImportReport:
    """The outcome of an applied import, section by section (e.g. departments, activities)."""

    kind: str
    file: str
    sections: dict[str, Changes] = field(default_factory=dict)

    def section(self, name: str) -> Changes:
        return self.sections.setdefault(name, Changes())

    @property
    def unchanged(self) -> bool:
        return all(c.total == 0 for c in self.sections.values())


class _Activatable(Protocol):
    active: bool


M = TypeVar("M", bound=_Activatable)


def key_of(value: str) -> str:
    """Stable keys compare without regard to case or surrounding space."""
    return value.strip().casefold()


def sync_records(
    session: AsyncSession,
    *,
    existing: dict[str, M],
    wanted: Iterable[tuple[str, dict[str, Any]]],
    create: Callable[[dict[str, Any]], M],
    changes: Changes,
    deactivate_missing: Callable[[M], bool] = lambda _record: True,
    touch: Callable[[M], None] = lambda _record: None,
) -> dict[str, M]:
    """Upsert by key and deactivate what the file no longer has; returns every wanted record.

    A record the file names is active unless its attributes say `active: False`."""
    result: dict[str, M] = {}
    for display_key, attrs in wanted:
        attrs = {"active": True, **attrs}
        key = key_of(display_key)
        record = existing.get(key)
        if record is None:
            record = create(attrs)
            session.add(record)
            changes.added.append(display_key)
        else:
            diff = {name: v for name, v in attrs.items() if getattr(record, name) != v}
            for name, value in diff.items():
                setattr(record, name, value)
            if diff.get("active") is False:
                changes.deactivated.append(display_key)
            elif diff:
                changes.changed.append(display_key)
            if diff:
                touch(record)
        result[key] = record
    for key, record in existing.items():
        if key not in result and record.active and deactivate_missing(record):
            record.active = False
            touch(record)
            changes.deactivated.append(_display(record, key))
    return result


@asynccontextmanager
async def rolled_back_if(session: AsyncSession, preview: bool) -> AsyncIterator[None]:
    """The import's one transaction: committed at the end, or for a preview rolled back, so a
    preview runs the very code that applies and cannot disagree with it."""
    async with session.begin() as transaction:
        yield
        if preview:
            await transaction.rollback()


def _display(record: Any, key: str) -> str:
    for name in ("code", "upn", "number"):
        value = getattr(record, name, None)
        if value is not None:
            return str(value)
    return key
