"""The Teams app package: the template in manifest/ filled in from the settings, zipped with its
icons and its English strings, as Teams admin center takes it."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.info_pages import page_path
from bot.settings import Settings

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
DEFAULT_OUT = MANIFEST_DIR / "build" / "ledarpuls.zip"
# the files at the root of the zip, as Teams wants them: no folders
PACKAGE_FILES = ("manifest.json", "color.png", "outline.png", "en.json")
PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
DEVELOPER_NAME_MAX = 32  # the schema's limit for developer.name
# a fixed time in the zip, so the same settings always give the same bytes
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageRefused(Exception):
    """The package cannot be built from these settings; `key` is the text that says why."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class PackageValues:
    """What the template's placeholders are filled with: ${{APP_ID}} is `app_id`, and so on."""

    app_id: str
    version: str
    public_host: str
    developer_name: str
    website_url: str
    privacy_url: str
    terms_url: str


def project_version() -> str:
    return metadata.version("ledarpuls")


def _https_host(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.hostname if parts.scheme == "https" and parts.hostname else None


def package_values(
    settings: Settings, *, app_id: str | None = None, version: str | None = None
) -> PackageValues:
    """The values from the settings (and an explicit app id), or PackageRefused saying which
    one is missing or wrong."""
    app_id = (app_id or settings.APP_ID).strip()
    if not app_id:
        raise PackageRefused("cli.package_no_app_id")
    try:
        app_id = str(uuid.UUID(app_id))
    except ValueError:
        raise PackageRefused("cli.package_bad_app_id", app_id=app_id) from None
    version = version or project_version()
    if not SEMVER.match(version):
        raise PackageRefused("cli.package_bad_version", version=version)
    public_url = settings.public_url.strip().rstrip("/")
    if not public_url:
        raise PackageRefused("cli.package_no_public_url")
    host = _https_host(public_url)
    if host is None:
        raise PackageRefused("cli.package_bad_url", name="PUBLIC_URL", url=public_url)
    urls = {
        "TEAMS_APP_WEBSITE_URL": settings.teams_app_website_url.strip()
        or public_url + page_path("about"),
        "TEAMS_APP_PRIVACY_URL": settings.teams_app_privacy_url.strip()
        or public_url + page_path("privacy"),
        "TEAMS_APP_TERMS_URL": settings.teams_app_terms_url.strip()
        or public_url + page_path("terms"),
    }
    developer = settings.teams_app_developer.strip() or "Ledarpuls"
    if len(developer) > DEVELOPER_NAME_MAX:
        raise PackageRefused("cli.package_long_developer", name=developer)
    for name, url in urls.items():
        if _https_host(url) is None:
            raise PackageRefused("cli.package_bad_url", name=name, url=url)
    return PackageValues(
        app_id=app_id,
        version=version,
        public_host=host,
        developer_name=developer,
        website_url=urls["TEAMS_APP_WEBSITE_URL"],
        privacy_url=urls["TEAMS_APP_PRIVACY_URL"],
        terms_url=urls["TEAMS_APP_TERMS_URL"],
    )


def fill(node: Any, values: PackageValues) -> Any:
    """The template with every ${{NAME}} in its strings replaced; an unknown name is an error."""
    known = {name.upper(): value for name, value in asdict(values).items()}
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value, values) for value in node]
    if isinstance(node, str):
        return PLACEHOLDER.sub(lambda match: known[match.group(1)], node)
    return node


def render_manifest(values: PackageValues, *, source: Path = MANIFEST_DIR) -> dict[str, Any]:
    template = source / "manifest.json"
    if not template.is_file():
        raise PackageRefused("cli.package_template_missing", path=str(template))
    manifest: dict[str, Any] = fill(json.loads(template.read_text(encoding="utf-8")), values)
    return manifest


def build_package(values: PackageValues, *, out: Path, source: Path = MANIFEST_DIR) -> Path:
    """Write the zip to `out` (its folder is made) and return the path."""
    manifest = render_manifest(values, source=source)
    for name in PACKAGE_FILES[1:]:
        if not (source / name).is_file():
            raise PackageRefused("cli.package_template_missing", path=str(source / name))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in PACKAGE_FILES:
            data = (
                json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                if name == "manifest.json"
                else (source / name).read_bytes()
            )
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    partial.replace(out)
    return out
