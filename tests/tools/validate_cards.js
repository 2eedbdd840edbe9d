// Validates Adaptive Cards with Microsoft's reference renderer (npm `adaptivecards`).
// stdin: a JSON array of cards. stdout: a JSON array with, per card, the list of events
// (parse warnings and property validation failures) — an empty list means the card is valid.
"use strict";
const AC = require("adaptivecards/dist/adaptivecards.js");

function validate(card) {
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const events = [];
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    events.push({ phase: e.phase, source: String(e.source && e.source.getJsonTypeName && e.source.getJsonTypeName()), event: e.event, message: e.message });
  }
  const results = parsed.validateProperties();
  for (const e of results.validationEvents) {
    events.push({ phase: "validation", source: String(e.source && e.source.getJsonTypeName && e.source.getJsonTypeName()), event: e.event, message: e.message });
  }
  return events;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  process.stdout.write(JSON.stringify(cards.map(validate)));
});
