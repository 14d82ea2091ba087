import { afterEach, describe, expect, it, vi } from "vitest";
import { checkTakeaway, wrapText } from "../lib/notebook/takeaway";

afterEach(() => vi.restoreAllMocks());

describe("checkTakeaway", () => {
  it("prints one line of measurements when the run agrees, and a NOTE naming each claim that does not", () => {
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((text: string) => void printed.push(text));
    const claims = [{ says: "nearly all facts", holds: true, measured: "facts 99.0%" }, { says: "the rules", holds: true, measured: "rules 100.0%" }];
    checkTakeaway(claims);
    expect(printed[0]).toBe("Measured on this run, the takeaway holds: facts 99.0%; rules 100.0%.");
    checkTakeaway([claims[0], { ...claims[1], holds: false, measured: "rules 40.0%" }]);
    expect(printed[1]).toBe("NOTE: measured on this run, 1 of 2 points differ from the takeaway above:\n  - the rules: here rules 40.0%");
    checkTakeaway(claims, "the three shipped seeds");
    expect(printed[2]).toBe("Measured on the three shipped seeds, the takeaway holds: facts 99.0%; rules 100.0%.");
    expect(() => checkTakeaway([])).toThrow(/no claims/);
  });
});

describe("wrapText", () => {
  it("breaks between words at the width, indents later lines, and keeps a longer word whole", () => {
    expect(wrapText("one two three four", 9)).toBe("one two\n  three\n  four");
    expect(wrapText("short", 9)).toBe("short");
    expect(wrapText("a verylongword b", 5, "")).toBe("a\nverylongword\nb");
  });
});
