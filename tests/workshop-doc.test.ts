// docs/workshop.md is written by `npm run workshop` from the notebooks: it must still match them, and
// its 3-hour plan must fit in 3 hours.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { PLAN, WORKSHOP_DOCUMENT, measureSections, planMinutes, runSecondsIn, workshopDocument } from "../scripts/workshop";

describe("the workshop document", () => {
  const committed = fs.readFileSync(WORKSHOP_DOCUMENT, "utf8");
  const sections = measureSections(undefined, runSecondsIn(committed)); // run times as last measured

  it("matches the notebooks as they are (run `npm test`, then `npm run workshop`, after editing a notebook)", () => {
    expect(committed).toBe(workshopDocument(sections));
  });

  it("plans no more than its minutes, and names only sections that exist", () => {
    const minutes = planMinutes(sections);
    expect(minutes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(PLAN.minutes);
    const renamed = sections.map((s) => (s.heading === "The same with lib" ? { ...s, heading: "renamed" } : s));
    expect(() => planMinutes(renamed)).toThrow('The workshop plan skips "The same with lib" in 02-query-key-value, which has no such heading.');
  });

  it("reads the run times back from its own table", () => {
    const measured = sections.find((s) => s.runSeconds > 0)!;
    expect(runSecondsIn(committed)(measured.notebook, measured.heading)).toBe(measured.runSeconds);
  });
});
