// Pictures of the Agents Playground's web page, for `make screenshots` (tests/e2e/camera.py).
//
//   node tests/tools/playground_camera.js <folder> <playground url>...
//
// Opens each Playground in headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) and says
// {"ready": true}. Then, for each line {"page": i, "name": "...", "text": "...", "most": px} on
// stdin, it finds the newest card in page i that shows `text`, waits until it is drawn, saves it
// with the bot's name above it (at most `most` pixels high) as <folder>/<name>.png and answers
// {"saved": "<file>"} (or {"error": "..."}).
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { chromium } = require("playwright-core");

const [folder, ...urls] = process.argv.slice(2);
const WIDTH = 1100; // the Playground shows the chat alone, its cards as wide as in Teams
const HEIGHT = 900;
const MARGIN = 12;
const HEADER = 21; // the bot's name and the time above a card

function answer(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

async function open(browser, url) {
  const page = await browser.newPage({
    viewport: { width: WIDTH, height: HEIGHT },
    timezoneId: "Europe/Stockholm",
  });
  await page.goto(url);
  // opening the Playground installs the app; the log beside the chat is not for the pictures
  await page.getByTitle("Hide log panel").click();
  return page;
}

// Scroll the chat so that the card's bottom sits at the bottom of the chat pane, the message's
// header (the bot's name and the time) in view above it.
async function showWhole(card) {
  await card.evaluate((element) => {
    for (let e = element.parentElement; e; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowY;
      if (overflow === "auto" || overflow === "scroll") {
        e.scrollTop += element.getBoundingClientRect().bottom - e.getBoundingClientRect().bottom + 16;
        return;
      }
    }
  });
}

async function shoot(page, { name, text, most }) {
  const card = page.locator(".fai-OutputCard", { hasText: text }).last();
  await card.waitFor({ state: "visible", timeout: 20000 });
  // a long card (the receipt, the digest) fits once the window is taller than it
  const height = (await card.boundingBox()).height;
  await page.setViewportSize({ width: WIDTH, height: Math.max(HEIGHT, Math.ceil(height) + 300) });
  await showWhole(card);
  await page.waitForTimeout(300); // the card's layout settles
  const box = await card.boundingBox();
  const top = box.y - HEADER;
  const file = path.join(folder, `${name}.png`);
  await page.screenshot({
    path: file,
    clip: {
      x: 0,
      y: top,
      width: box.x + box.width + MARGIN,
      height: Math.min(box.y + box.height + MARGIN - top, most || Infinity),
    },
  });
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  return file;
}

async function main() {
  fs.mkdirSync(folder, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const pages = [];
    for (const url of urls) pages.push(await open(browser, url));
    answer({ ready: true });
    const lines = readline.createInterface({ input: process.stdin });
    for await (const line of lines) {
      if (!line.trim()) continue;
      const order = JSON.parse(line);
      try {
        answer({ saved: await shoot(pages[order.page], order) });
      } catch (error) {
        answer({ error: String(error.message || error) });
      }
    }
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  answer({ error: String(error.message || error) });
  process.exit(1);
});
