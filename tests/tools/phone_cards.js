// Adaptive Cards at a phone's width, for tests/dialogs/test_phone_cards.py.
//
//   node tests/tools/phone_cards.js < cards.json > report.json
//
// stdin: a JSON array of {"name": "...", "card": {...}}. Each card is drawn by Microsoft's
// reference renderer (npm `adaptivecards`) in one page of headless Chromium (Debian's
// /usr/bin/chromium, or $CHROMIUM), 360 px wide, with a host config close to Teams' (its font
// stack, sizes, line heights and spacing). stdout: a JSON array with, per card,
//   {"name", "height": px, "overflow": [what sticks out past the card's edge],
//    "cut": [text wider than its box: cut off, or over the next], "broken": [words split],
//    "buttons": [button titles cut off with an ellipsis: more buttons than a row holds]}
// With LEDARPULS_PHONE_SHOTS=<folder>, each card is also saved as <folder>/<name>.png, and the
// report as <folder>/phone.json (every card's height, and the button titles cut off).
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const WIDTH = 360;
const RENDERER = require.resolve("adaptivecards/dist/adaptivecards.min.js");
// Teams' own stack; where Segoe UI is missing (Linux), Arial's metrics (Liberation Sans) stand in
// for the Roboto and Helvetica a phone has
const FONT =
  "'Segoe UI', 'Segoe UI Web (West European)', -apple-system, BlinkMacSystemFont, Roboto, " +
  "'Helvetica Neue', Arial, 'Liberation Sans', sans-serif";

// Close to the host config of Teams' light theme (the Adaptive Cards Designer's "Microsoft Teams")
const HOST_CONFIG = {
  supportsInteractivity: true,
  fontTypes: {
    default: {
      fontFamily: FONT,
      fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
      fontWeights: { lighter: 200, default: 400, bolder: 600 },
    },
    monospace: {
      fontFamily: "Consolas, 'Courier New', 'Liberation Mono', monospace",
      fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
      fontWeights: { lighter: 200, default: 400, bolder: 600 },
    },
  },
  lineHeights: { small: 16, default: 20, medium: 20, large: 24, extraLarge: 32 },
  spacing: { small: 8, default: 12, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: "#EEEEEE" },
  imageSizes: { small: 32, medium: 52, large: 100 },
  containerStyles: {
    default: {
      backgroundColor: "#FFFFFF",
      foregroundColors: {
        default: { default: "#242424", subtle: "#6E6E6E" },
        accent: { default: "#5B5FC7", subtle: "#8B8CC7" },
        good: { default: "#237B4B", subtle: "#237B4B" },
        warning: { default: "#835C00", subtle: "#835C00" },
        attention: { default: "#C4314B", subtle: "#C4314B" },
      },
    },
    emphasis: {
      backgroundColor: "#F5F5F5",
      foregroundColors: {
        default: { default: "#242424", subtle: "#6E6E6E" },
        accent: { default: "#5B5FC7", subtle: "#8B8CC7" },
        good: { default: "#237B4B", subtle: "#237B4B" },
        warning: { default: "#835C00", subtle: "#835C00" },
        attention: { default: "#C4314B", subtle: "#C4314B" },
      },
    },
  },
  actions: {
    maxActions: 6,
    spacing: "default",
    buttonSpacing: 8,
    showCard: { actionMode: "inline", inlineTopMargin: 16, style: "emphasis" },
    actionsOrientation: "horizontal",
    actionAlignment: "stretch",
  },
  adaptiveCard: { allowCustomStyle: true },
  imageSet: { imageSize: "medium", maxImageHeight: 100 },
  factSet: {
    title: { size: "default", color: "default", weight: "bolder", wrap: true, maxWidth: 150 },
    value: { size: "default", color: "default", weight: "default", wrap: true },
    spacing: 16,
  },
};

const STYLES = require.resolve("adaptivecards/dist/adaptivecards.css");
const PAGE = `<!doctype html><html lang="sv"><head><meta charset="utf-8">
<style>
  html, body { margin: 0; padding: 0; background: #fff; }
  #card { width: ${WIDTH}px; }
  /* the package's style sheet names Segoe UI alone; buttons and inputs take Teams' stack */
  #card .ac-pushButton, #card .ac-input { font-family: ${FONT}; }
  /* a card gives an input no width; the package's sheet makes a filtered choice set 100 % wide
     plus its padding. Teams' inputs are as wide as the card */
  #card .ac-input { box-sizing: border-box; max-width: 100%; }
</style></head><body><div id="card"></div></body></html>`;

// Runs in the page: draws one card and measures it.
function measure(payload) {
  const host = document.getElementById("card");
  host.innerHTML = "";
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig(payload.hostConfig);
  card.parse(payload.card);
  const element = card.render();
  host.appendChild(element);
  const box = host.getBoundingClientRect();
  const describe = (e) =>
    `${e.tagName.toLowerCase()}.${String(e.className || "").split(" ")[0]}: ` +
    (e.innerText || e.value || e.getAttribute("aria-label") || e.title || "").trim().slice(0, 80);

  const overflow = [];
  if (host.scrollWidth > host.clientWidth + 1) {
    overflow.push(`the card scrolls sideways: ${host.scrollWidth} px > ${host.clientWidth} px`);
  }
  const cut = [];
  const buttons = [];
  for (const e of host.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > box.right + 1 || r.left < box.left - 1) {
      overflow.push(`${describe(e)} (${Math.round(r.left)}–${Math.round(r.right)} px)`);
    }
    // text wider than its box: cut off there (an ellipsis, or hidden) or spilling over into
    // the box beside it (a table's column too narrow for its word)
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
      const hasText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (hasText) {
        const style = getComputedStyle(e);
        const clipped = style.overflowX === "hidden" || style.textOverflow === "ellipsis";
        const found = `${describe(e)} (${e.scrollWidth} px in ${e.clientWidth} px)`;
        if (e.closest(".ac-pushButton")) buttons.push(found);
        else if (clipped || style.display !== "inline") cut.push(found);
      }
    }
  }

  // every word on one line: a word may end a line at a space or after a hyphen or dash, never
  // inside itself ("Inbjud|na")
  const broken = [];
  const walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
  const onLines = (range) => {
    const lines = new Set();
    for (const rect of range.getClientRects()) {
      if (rect.width > 0) lines.add(Math.round(rect.top / 4));
    }
    return lines.size;
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    const whole = document.createRange();
    whole.selectNodeContents(node);
    if (onLines(whole) < 2) continue; // on one line: no word in it is broken
    const word = /[^\s\-–—\/]+[\-–—\/]?/g;
    for (let m = word.exec(text); m; m = word.exec(text)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      if (onLines(range) > 1) broken.push(m[0]);
    }
  }
  const height = Math.round(element.getBoundingClientRect().height);
  return { height, overflow, cut, broken, buttons };
}

async function main() {
  const cards = JSON.parse(fs.readFileSync(0, "utf8"));
  const shots = process.env.LEDARPULS_PHONE_SHOTS;
  if (shots) fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 800 } });
    await page.setContent(PAGE);
    await page.addStyleTag({ path: STYLES });
    await page.addScriptTag({ path: RENDERER });
    await page.evaluate(() => document.fonts.ready);
    const results = [];
    if (!shots) {
      // one round trip to the page for all of them
      const measured = await page.evaluate(
        ({ all, hostConfig, source }) => {
          const measureOne = new Function(`return (${source})`)();
          return all.map((card) => measureOne({ card, hostConfig }));
        },
        { all: cards.map((c) => c.card), hostConfig: HOST_CONFIG, source: measure.toString() }
      );
      cards.forEach(({ name }, i) => results.push({ name, ...measured[i] }));
    } else {
      for (const { name, card } of cards) {
        const result = await page.evaluate(measure, { card, hostConfig: HOST_CONFIG });
        const file = path.join(shots, `${name.replace(/[^\w.-]+/g, "_")}.png`);
        await page.locator("#card").screenshot({ path: file });
        results.push({ name, ...result });
      }
    }
    if (shots) {
      // added to what an earlier run of the same test session wrote there
      const file = path.join(shots, "phone.json");
      const earlier = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
      const names = new Set(results.map((r) => r.name));
      const all = [...earlier.filter((r) => !names.has(r.name)), ...results];
      fs.writeFileSync(file, JSON.stringify(all, null, 1));
    }
    process.stdout.write(JSON.stringify(results));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + "\n");
  process.exit(1);
});
