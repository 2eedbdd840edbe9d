// The service's web pages checked by axe-core for WCAG 2.1 AA, for tests/bot/test_accessibility.py.
//
//   node tests/tools/axe_pages.js < pages.json > report.json
//
// stdin: a JSON array of {"name": "...", "html": "<!doctype html>..."}: each page as the service
// served it. Each is loaded into one page of headless Chromium (Debian's /usr/bin/chromium, or
// $CHROMIUM; one browser for all pages), at a desktop width and at a phone's, and axe-core
// (npm `axe-core`) runs the rules tagged wcag2a, wcag2aa, wcag21a and wcag21aa. Two things axe
// cannot see are measured beside it: whether the page scrolls sideways at 320 px (WCAG 1.4.10
// Reflow: 1280 px at 400 % zoom), and which links, fields and buttons the Tab key never reaches.
// stdout: a JSON array with, per page, {"name", "violations": [{"id", "impact", "help",
// "targets": [css selectors], "summary": "..."}], "passes": number of rules passed,
// "sideways": px wider than 320, "unreached": [elements Tab never focused]}.
"use strict";

const fs = require("fs");
const { chromium } = require("playwright-core");

const AXE = require.resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const WIDTHS = [1280, 320];
const INTERACTIVE = "a[href], button, input, select, textarea, [tabindex]";

async function check(page, html) {
  const found = new Map();
  let passes = 0;
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await page.setContent(html, { waitUntil: "load" });
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
      TAGS,
    );
    passes = Math.max(passes, result.passes.length);
    for (const v of result.violations) {
      if (found.has(v.id)) continue;
      found.set(v.id, {
        id: v.id,
        impact: v.impact,
        help: v.help,
        width,
        targets: v.nodes.map((n) => n.target.join(" ")),
        summary: v.nodes.map((n) => n.failureSummary).join(" | "),
      });
    }
  }
  // still at the narrowest width
  const sideways = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  return { violations: [...found.values()], passes, sideways, unreached: await unreached(page) };
}

// the interactive elements that pressing Tab (once more than there are of them) never focuses
async function unreached(page) {
  const count = await page.evaluate((selector) => {
    document.querySelectorAll(selector).forEach((e, i) => e.setAttribute("data-tab-check", i));
    return document.querySelectorAll(selector).length;
  }, INTERACTIVE);
  const reached = new Set();
  for (let i = 0; i <= count; i++) {
    await page.keyboard.press("Tab");
    const mark = await page.evaluate(() =>
      document.activeElement ? document.activeElement.getAttribute("data-tab-check") : null,
    );
    if (mark !== null) reached.add(mark);
  }
  return page.evaluate(
    ([selector, seen]) =>
      [...document.querySelectorAll(selector)]
        .filter((e) => !seen.includes(e.getAttribute("data-tab-check")))
        .map((e) => e.outerHTML.slice(0, 120)),
    [INTERACTIVE, [...reached]],
  );
}

async function main() {
  const pages = JSON.parse(fs.readFileSync(0, "utf8"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    const report = [];
    for (const { name, html } of pages) {
      report.push({ name, ...(await check(page, html)) });
    }
    process.stdout.write(JSON.stringify(report));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
