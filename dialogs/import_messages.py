"""Import problems and reports in plain words, in the user's language."""

from __future__ import annotations

from dialogs.texts import t
from followup.imports.changes import ImportReport
from followup.imports.problems import Location, Problem


def describe_location(language: str, location: Location) -> str:
    yaml = location.kind == "yaml"
    parts = [location.file]
    if location.sheet:
        parts.append(t(language, "loc.yaml_section" if yaml else "loc.sheet", sheet=location.sheet))
    if location.row:
        parts.append(t(language, "loc.yaml_line" if yaml else "loc.row", row=location.row))
    if location.column:
        parts.append(t(language, "loc.yaml_key" if yaml else "loc.column", column=location.column))
    return ", ".join(parts)


def describe_problem(language: str, problem: Problem) -> str:
    return f"{describe_location(language, problem.location)}: " + t(
        language, f"import.error.{problem.code}", **problem.params
    )


def describe_report(language: str, report: ImportReport) -> list[str]:
    if report.unchanged:
        return [t(language, "cli.import_unchanged", file=report.file)]
    lines = [t(language, "cli.import_done", file=report.file)]
    for name, changes in report.sections.items():
        lines.append(
            t(
                language,
                "cli.import_section",
                section=t(language, f"section.{name}"),
                added=len(changes.added),
                changed=len(changes.changed),
                deactivated=len(changes.deactivated),
            )
        )
        for kind, keys in (
            ("added", changes.added),
            ("changed", changes.changed),
            ("deactivated", changes.deactivated),
        ):
            if keys:
                lines.append(t(language, f"cli.import_keys_{kind}", keys=", ".join(keys)))
    return lines
