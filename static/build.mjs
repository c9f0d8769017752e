// Build the front-end assets: compile static/src/app.scss, copy the scripts
// and images, and write each file to static/dist/ under a name that contains
// a hash of its contents, with static/dist/manifest.json mapping each logical
// name ("app.css") to its hashed name ("app.3f9a1c2b.css"). The app serves
// static/dist/ with a one-year immutable cache, which is safe because a
// changed file always gets a new name.
//
// Run with `npm run build` after `npm ci`. Reads only local files.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as sass from "sass";

import { renderFaviconIco, renderFaviconSvg } from "./src/favicon.mjs";

const STATIC_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT_DIR = path.dirname(STATIC_DIR);
const SOURCE_DIR = path.join(STATIC_DIR, "src");
const DIST_DIR = path.join(STATIC_DIR, "dist");
// The build writes here first and renames it to DIST_DIR only when every step
// has succeeded, so a failed build leaves the previous output in place.
const STAGING_DIR = path.join(STATIC_DIR, ".dist-staging");

const NODE_MODULES_DIR = path.join(ROOT_DIR, "node_modules");
const GOVUK_DIR = path.join(NODE_MODULES_DIR, "govuk-frontend", "dist", "govuk");
const GOVUK_IMAGES_DIR = path.join(GOVUK_DIR, "assets", "images");
const GOVUK_SCRIPT = path.join(GOVUK_DIR, "govuk-frontend.min.js");
const HTMX_SCRIPT = path.join(NODE_MODULES_DIR, "htmx.org", "dist", "htmx.min.js");

// Optional Pygments rules for highlighted code blocks, appended to app.css.
const HIGHLIGHT_CSS = path.join(SOURCE_DIR, "highlight.css");

// Hex digits of the SHA-256 content hash kept in each file name.
const HASH_LENGTH = 8;

// The import in static/src/app.js that the build points at the hashed file.
const GOVUK_IMPORT = 'from "govuk-frontend"';
// Modules in static/src/ that app.js imports by relative path.
const LOCAL_MODULES = ["live.js"];

/** Writes files under content-hashed names and records them in a manifest. */
class AssetWriter {
  constructor(outputDir) {
    this.outputDir = outputDir;
    this.manifest = new Map();
  }

  has(logicalName) {
    return this.manifest.has(logicalName);
  }

  hashedName(logicalName) {
    return this.manifest.get(logicalName);
  }

  /** Write `contents` for `logicalName` ("images/x.svg") and return its hashed name. */
  write(logicalName, contents) {
    if (this.manifest.has(logicalName)) {
      throw new Error(`Asset ${logicalName} was written twice.`);
    }
    const hash = createHash("sha256").update(contents).digest("hex").slice(0, HASH_LENGTH);
    const { dir, name, ext } = path.posix.parse(logicalName);
    const hashedName = path.posix.join(dir, `${name}.${hash}${ext}`);

    const outputPath = path.join(this.outputDir, ...hashedName.split("/"));
    fs.mkdirSync(path.dirname(outputPath), { recursive: true });
    fs.writeFileSync(outputPath, contents);
    this.manifest.set(logicalName, hashedName);
    return hashedName;
  }

  writeManifest() {
    const entries = [...this.manifest.entries()].sort(([a], [b]) => a.localeCompare(b));
    const json = `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
    fs.writeFileSync(path.join(this.outputDir, "manifest.json"), json);
  }
}

function checkDependencies() {
  for (const required of [GOVUK_SCRIPT, HTMX_SCRIPT]) {
    if (!fs.existsSync(required)) {
      throw new Error(`${path.relative(ROOT_DIR, required)} not found. Run \`npm ci\` first.`);
    }
  }
}

function writeImages(writer) {
  writer.write("images/favicon.ico", renderFaviconIco());
  writer.write("images/favicon.svg", renderFaviconSvg());
}

/**
 * Return the Sass function `forum-asset-url($logical-name)`, which returns a
 * url() for the hashed file, relative to app.css at the root of static/dist/.
 * GOV.UK Frontend images are copied the first time the Sass uses them, so
 * only the images that the CSS refers to are shipped.
 */
function assetUrlFunction(writer) {
  return (args) => {
    const logicalName = args[0].assertString("logical-name").text;
    if (!writer.has(logicalName)) {
      const govukImage = logicalName.startsWith("images/")
        ? path.join(GOVUK_IMAGES_DIR, logicalName.slice("images/".length))
        : null;
      if (govukImage === null || !fs.existsSync(govukImage)) {
        throw new Error(
          `forum-asset-url: no asset named "${logicalName}". ` +
            "Write it in static/build.mjs before compiling the Sass, or stop referring to it.",
        );
      }
      writer.write(logicalName, fs.readFileSync(govukImage));
    }
    return new sass.SassString(`url("${writer.hashedName(logicalName)}")`, { quotes: false });
  };
}

function compileStylesheet(writer) {
  const result = sass.compile(path.join(SOURCE_DIR, "app.scss"), {
    style: "compressed",
    loadPaths: [NODE_MODULES_DIR],
    // GOV.UK Frontend 5 uses @import and global functions, which Dart Sass
    // deprecates. Hide warnings from node_modules, and the @import warning for
    // the site's own files, which must use @import to share its variables.
    // Other warnings about the site's own files are still printed.
    quietDeps: true,
    silenceDeprecations: ["import"],
    functions: { "forum-asset-url($logical-name)": assetUrlFunction(writer) },
  });
  let css = result.css;

  if (fs.existsSync(HIGHLIGHT_CSS)) {
    const highlight = sass.compileString(fs.readFileSync(HIGHLIGHT_CSS, "utf8"), {
      syntax: "css",
      style: "compressed",
    });
    css += `\n${highlight.css}`;
  }

  // GDS Transport is licensed for GOV.UK services only. _settings.scss turns
  // it off, and this check stops a GOV.UK Frontend upgrade turning it back on.
  if (css.includes("GDS Transport")) {
    throw new Error(
      'The compiled CSS names the "GDS Transport" font. Check $govuk-font-family and ' +
        "$govuk-include-default-font-face in static/src/styles/_settings.scss.",
    );
  }

  writer.write("app.css", `${css}\n`);
}

/** Remove a trailing sourceMappingURL comment, because the maps are not copied. */
function stripSourceMapComment(script) {
  return script.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
}

function writeScripts(writer) {
  const govukName = writer.write(
    "govuk-frontend.js",
    stripSourceMapComment(fs.readFileSync(GOVUK_SCRIPT, "utf8")),
  );
  writer.write("htmx.js", stripSourceMapComment(fs.readFileSync(HTMX_SCRIPT, "utf8")));

  const appSource = fs.readFileSync(path.join(SOURCE_DIR, "app.js"), "utf8");
  if (!appSource.includes(GOVUK_IMPORT)) {
    throw new Error(`static/src/app.js must import GOV.UK Frontend as \`${GOVUK_IMPORT}\`.`);
  }
  // The site's own modules that app.js imports as "./name.js", written under
  // their hashed names. Every file sits at the root of static/dist/, so a
  // relative path resolves.
  let script = appSource.replaceAll(GOVUK_IMPORT, `from "./${govukName}"`);
  for (const moduleName of LOCAL_MODULES) {
    const hashedName = writer.write(moduleName, fs.readFileSync(path.join(SOURCE_DIR, moduleName), "utf8"));
    script = script.replaceAll(`"./${moduleName}"`, `"./${hashedName}"`);
  }
  writer.write("app.js", script);
}

function build() {
  checkDependencies();
  fs.rmSync(STAGING_DIR, { recursive: true, force: true });
  fs.mkdirSync(STAGING_DIR, { recursive: true });

  const writer = new AssetWriter(STAGING_DIR);
  writeImages(writer);
  compileStylesheet(writer);
  writeScripts(writer);
  writer.writeManifest();

  // Replacing the whole directory removes files left by earlier builds.
  fs.rmSync(DIST_DIR, { recursive: true, force: true });
  fs.renameSync(STAGING_DIR, DIST_DIR);
  return writer.manifest;
}

try {
  const manifest = build();
  for (const [logicalName, hashedName] of manifest) {
    const bytes = fs.statSync(path.join(DIST_DIR, ...hashedName.split("/"))).size;
    console.log(`${logicalName.padEnd(20)} ${hashedName} (${bytes} bytes)`);
  }
  console.log(`Wrote ${manifest.size} assets and manifest.json to ${path.relative(ROOT_DIR, DIST_DIR)}/`);
} catch (error) {
  fs.rmSync(STAGING_DIR, { recursive: true, force: true });
  console.error(`Asset build failed: ${error.message}`);
  process.exitCode = 1;
}
