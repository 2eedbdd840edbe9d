// Validates an unpacked Teams app package with Microsoft's own schemas (npm `@microsoft/app-manifest`).
// argv[2]: the folder holding manifest.json and its localisation files.
// stdout: {"manifest": [errors], "languages": {"<tag>": [errors]}} — empty lists mean valid.
// Only the schemas bundled in the package are used: a $schema it does not bundle is an error,
// never a download.
// (`fs-extra` is in package.json because @microsoft/app-manifest 1.1.2 requires it without
// declaring it.)
"use strict";
const fs = require("fs");
const path = require("path");
const { AppManifestUtils } = require("@microsoft/app-manifest");

const PACKAGE_ROOT = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));

async function bundledSchema(url) {
  const suffix = url && AppManifestUtils.getLocalSchemaSuffix(url);
  if (!suffix || !fs.existsSync(path.join(PACKAGE_ROOT, "build", suffix))) {
    throw new Error(`$schema ${url} is not bundled in @microsoft/app-manifest`);
  }
  return AppManifestUtils.fetchSchema(url); // reads the bundled file
}

async function validate(document) {
  try {
    return await AppManifestUtils.validateAgainstSchema(document, await bundledSchema(document.$schema));
  } catch (error) {
    return [String(error.message || error)];
  }
}

function fromAppManifest(name) {
  const loaded = require(require.resolve(name, { paths: [PACKAGE_ROOT] }));
  return loaded.default || loaded;
}

// A localisation file, with the same validator and options validateAgainstSchema uses, except one:
// every bundled MicrosoftTeams.Localization.schema.json has a pattern with a lone "]"
// (`activities.activityTypes\[\b(...)\b]\.description`), legal in a plain JavaScript regular
// expression but not in the Unicode mode ajv compiles patterns in by default, so the schema is
// compiled with plain regular expressions, as written.
async function validateLocalisation(document) {
  try {
    const schema = await bundledSchema(document.$schema);
    const Ajv = fromAppManifest("ajv-draft-04");
    const ajv = new Ajv({ allErrors: true, strictTypes: false, unicodeRegExp: false });
    fromAppManifest("ajv-formats")(ajv, ["uri", "email", "regex"]);
    const check = ajv.compile(schema);
    if (check(document)) return [];
    return check.errors.map((e) => `${e.instancePath} ${e.message || ""}. Details: ${JSON.stringify(e.params)}`);
  } catch (error) {
    return [String(error.message || error)];
  }
}

async function main() {
  const folder = process.argv[2];
  const read = (name) => JSON.parse(fs.readFileSync(path.join(folder, name), "utf8"));
  const manifest = read("manifest.json");
  const result = { manifest: await validate(manifest), languages: {} };
  const languages = (manifest.localizationInfo && manifest.localizationInfo.additionalLanguages) || [];
  for (const language of languages) {
    result.languages[language.languageTag] = await validateLocalisation(read(language.file));
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error));
  process.exit(1);
});
