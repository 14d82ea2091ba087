// docs/results.md is generated from the shipped models' files: it must be what `npm run results -- --doc` writes.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { RESULTS_DOCUMENT, resultsDocument } from "../scripts/results-doc";
import { SHIPPED, readShippedMetadata } from "../lib/ladder/results";

describe("the results document", () => {
  it("is what the command writes from the shipped files (run `npm run results -- --doc` after re-making them)", () => {
    expect(fs.readFileSync(RESULTS_DOCUMENT, "utf8")).toBe(resultsDocument());
  });

  it("every shipped model names itself and was evaluated on its seed's held-out problems", () => {
    for (const m of SHIPPED) {
      const metadata = readShippedMetadata(m);
      expect(metadata.name).toBe(m.name);
      expect(metadata.seed).toBe(m.seed);
      expect(metadata.heldOut.of).toBeGreaterThan(1000);
      expect(metadata.heldOut.right).toBe(Math.round(metadata.heldOut.accuracy * metadata.heldOut.of));
    }
  });
});
