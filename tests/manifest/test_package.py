"""The Teams app package IT uploads: Microsoft's validator accepts it, and it says what we mean."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import Activity, ActivityTypes
from PIL import Image

from bot.app_package import (
    PACKAGE_FILES,
    PackageRefused,
    PackageValues,
    build_package,
    package_values,
    project_version,
)
from bot.settings import Settings
from dialogs.routes import command_of, command_words
from tests.bot.test_cli import Ran, run_in_process
from tests.conftest import ROOT

VALIDATOR = ROOT / "tests/tools/validate_manifest.js"
APP_MANIFEST = ROOT / "node_modules/@microsoft/app-manifest/package.json"
APP_ID = "3f2d1c4b-5a69-4e7f-8a1b-2c3d4e5f6a7b"


def settings(**extra: Any) -> Settings:
    values: dict[str, Any] = {"APP_ID": APP_ID, "public_url": "https://ledarpuls.kommun.se"}
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def unpacked(tmp_path: Path, values: PackageValues | None = None) -> Path:
    """The package built into tmp_path and unzipped next to it."""
    zip_path = build_package(values or package_values(settings()), out=tmp_path / "app.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(PACKAGE_FILES)
        archive.extractall(folder)
    return folder


def microsoft_validator(folder: Path) -> dict[str, Any]:
    """`AppManifestUtils.validateAgainstSchema` from @microsoft/app-manifest on the manifest, and
    the bundled localisation schema on each language file."""
    node = shutil.which("node")
    if node is None or not APP_MANIFEST.is_file():
        pytest.skip(
            "Node.js or the npm package @microsoft/app-manifest is not installed "
            "(make test installs it)"
        )
    result = subprocess.run(
        [node, str(VALIDATOR), str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    errors: dict[str, Any] = json.loads(result.stdout)
    return errors


def read(folder: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    return loaded


def test_microsofts_validator_accepts_the_package(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    errors = microsoft_validator(folder)
    assert errors == {"manifest": [], "languages": {"en": []}}


def test_the_validator_is_no_rubber_stamp(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    manifest = read(folder, "manifest.json")
    manifest["bots"][0]["scopes"] = ["personal", "everywhere"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    english = read(folder, "en.json")
    english["name.short"] = "Ledarpuls, med ett alldeles för långt namn"
    english["bots[0].commandLists[0].commands[10].title"] = "eleventh"
    (folder / "en.json").write_text(json.dumps(english), encoding="utf-8")
    errors = microsoft_validator(folder)
    assert any("/bots/0/scopes/1" in error for error in errors["manifest"])
    assert any("/name.short" in error for error in errors["languages"]["en"])
    assert any("commands[10]" in error for error in errors["languages"]["en"])


def test_app_id_version_and_address_are_filled_in(tmp_path: Path) -> None:
    manifest = read(unpacked(tmp_path), "manifest.json")
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://botid-{APP_ID}"}
    assert manifest["version"] == project_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["validDomains"] == ["ledarpuls.kommun.se"]
    assert manifest["developer"] == {
        "name": "Ledarpuls",
        "websiteUrl": "https://ledarpuls.kommun.se/about",
        "privacyUrl": "https://ledarpuls.kommun.se/privacy",
        "termsOfUseUrl": "https://ledarpuls.kommun.se/terms",
    }
    assert "${{" not in json.dumps(manifest)
    # a personal bot that converses; Swedish first, English beside it
    bot = manifest["bots"][0]
    assert bot["scopes"] == ["personal"] and bot["isNotificationOnly"] is False
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "sv-SE",
        "additionalLanguages": [{"languageTag": "en", "file": "en.json"}],
    }


def test_the_organisations_own_details_go_in(tmp_path: Path) -> None:
    values = package_values(
        settings(
            public_url="https://bot.region.se:8443/ledarpuls/",
            teams_app_developer="Region Gotland",
            teams_app_privacy_url="https://www.gotland.se/integritet",
        )
    )
    manifest = read(unpacked(tmp_path, values), "manifest.json")
    assert manifest["validDomains"] == ["bot.region.se"]
    assert manifest["developer"]["name"] == "Region Gotland"
    assert manifest["developer"]["privacyUrl"] == "https://www.gotland.se/integritet"
    assert manifest["developer"]["termsOfUseUrl"] == "https://bot.region.se:8443/ledarpuls/terms"


def test_the_same_settings_build_the_same_bytes(tmp_path: Path) -> None:
    values = package_values(settings())
    first = build_package(values, out=tmp_path / "a" / "ledarpuls.zip").read_bytes()
    second = build_package(values, out=tmp_path / "b" / "ledarpuls.zip").read_bytes()
    assert first == second


def test_icons_are_the_sizes_teams_asks_for(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    manifest = read(folder, "manifest.json")
    with Image.open(folder / manifest["icons"]["color"]) as color:
        assert color.format == "PNG" and color.size == (192, 192)
        assert len(set(color.convert("RGB").getcolors(192 * 192) or [])) > 2  # a drawing
    with Image.open(folder / manifest["icons"]["outline"]) as outline:
        assert outline.format == "PNG" and outline.size == (32, 32)
        assert outline.mode == "RGBA"
        red, green, blue, alpha = outline.split()
        # white on transparent: wherever anything shows, it is white; only its alpha varies
        for channel in (red, green, blue):
            shown = [c for c, a in zip(channel.tobytes(), alpha.tobytes(), strict=True) if a]
            assert set(shown) == {255}
        alphas = set(alpha.tobytes())
        assert 0 in alphas and 255 in alphas


def _manifest_value(manifest: dict[str, Any], key: str) -> Any:
    """The value at a localisation key such as `bots[0].commandLists[0].commands[3].title`."""
    node: Any = manifest
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


def test_every_swedish_string_has_its_english_one(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    manifest, english = read(folder, "manifest.json"), read(folder, "en.json")
    assert english["$schema"] == manifest["$schema"].replace(
        "MicrosoftTeams.schema.json", "MicrosoftTeams.Localization.schema.json"
    )
    localizable = ["name.short", "name.full", "description.short", "description.full"] + [
        f"bots[0].commandLists[{i}].commands[{j}].{field}"
        for i, commands in enumerate(manifest["bots"][0]["commandLists"])
        for j in range(len(commands["commands"]))
        for field in ("title", "description")
    ]
    assert sorted(key for key in english if key != "$schema") == sorted(localizable)
    for key in localizable:
        assert english[key].strip(), key
        swedish = _manifest_value(manifest, key)
        assert isinstance(swedish, str) and swedish.strip(), key
    assert "förändringsledare" in manifest["description"]["full"]
    assert "change leaders" in english["description.full"]


def _typed(word: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=word, locale="en-US")


def test_the_command_menu_offers_words_the_bot_understands(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    manifest, english = read(folder, "manifest.json"), read(folder, "en.json")
    (menu,) = manifest["bots"][0]["commandLists"]
    assert menu["scopes"] == ["personal"] and len(menu["commands"]) <= 10
    swedish_commands = []
    for j, entry in enumerate(menu["commands"]):
        typed = command_of(_typed(entry["title"]))
        command, language = typed.command, typed.word_language
        swedish_commands.append(command)
        assert command, entry["title"]
        # the Swedish menu offers Swedish words (or words of both languages)
        assert language == "sv" or command_words()[entry["title"]][1] is None, entry["title"]
        title = english[f"bots[0].commandLists[0].commands[{j}].title"]
        english_typed = command_of(_typed(title))
        assert english_typed.command == command, title
        assert english_typed.word_language in ("en", None), title
    # what chefs and HR need most; the rest is in the help
    assert {"help", "checkin", "answers", "change"} <= set(swedish_commands)
    assert {"new_round", "rounds", "status", "remind", "close", "digest"} <= set(swedish_commands)
    assert len(set(swedish_commands)) == len(swedish_commands)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"APP_ID": ""}, "cli.package_no_app_id"),
        ({"APP_ID": "ledarpuls-bot"}, "cli.package_bad_app_id"),
        ({"public_url": ""}, "cli.package_no_public_url"),
        ({"public_url": "http://ledarpuls.kommun.se"}, "cli.package_bad_url"),
        ({"teams_app_terms_url": "www.kommun.se/villkor"}, "cli.package_bad_url"),
        (
            {"teams_app_developer": "Socialförvaltningen i Storstads kommun"},
            "cli.package_long_developer",
        ),
    ],
)
def test_settings_teams_would_refuse_are_refused_first(extra: dict[str, str], key: str) -> None:
    with pytest.raises(PackageRefused) as refused:
        package_values(settings(**extra))
    assert refused.value.key == key


def _ledarpuls_package(tmp_path: Path, *args: str, **env: str) -> Ran:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("Microsoft", "APP_", "PUBLIC_URL", "TEAMS_APP_"))
    }
    # no .env of the developer's: the command's settings come from `environment` alone
    return run_in_process(
        ["package", "--out", str(tmp_path / "app.zip"), *args], {**environment, **env}
    )


def test_without_an_app_id_the_command_refuses_and_writes_nothing(tmp_path: Path) -> None:
    refused = _ledarpuls_package(tmp_path, PUBLIC_URL="https://ledarpuls.kommun.se")
    assert refused.returncode == 2
    assert "MicrosoftAppId saknas" in refused.stderr
    assert not (tmp_path / "app.zip").exists()

    built = _ledarpuls_package(
        tmp_path, "--app-id", APP_ID.upper(), PUBLIC_URL="https://ledarpuls.kommun.se"
    )
    assert built.returncode == 0, built.stderr
    assert f"app-id {APP_ID}" in built.stdout
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID


def test_the_app_id_comes_from_the_azure_bot_setting(tmp_path: Path) -> None:
    built = _ledarpuls_package(
        tmp_path, MicrosoftAppId=APP_ID, PUBLIC_URL="https://ledarpuls.kommun.se"
    )
    assert built.returncode == 0, built.stderr
    no_address = _ledarpuls_package(tmp_path, MicrosoftAppId=APP_ID)
    assert no_address.returncode == 2
    assert "PUBLIC_URL saknas" in no_address.stderr
