import { describe, expect, it } from "vitest";
import { LadderOutcome } from "../lib/experiments";
import { depthReading, headsReading, initReading, pointsAhead } from "../lib/ladder-readings";
import { makeConfig } from "../lib/model";

const result = (accuracy: number, model: { dModel?: number; numHeads?: number } = {}): LadderOutcome => ({
  variant: { name: "v", change: "", model: {} },
  config: makeConfig(model),
  parameters: 0,
  steps: 1500,
  finalLoss: 0,
  lossCurve: { every: 1, means: [] },
  heldOut: { accuracy, perOp: {} },
  weights: {},
});
const wide = (four: number, one: number): [LadderOutcome, LadderOutcome] => [result(four), result(one, { numHeads: 1 })];
const narrow = (four: number, one: number): [LadderOutcome, LadderOutcome] => [result(four, { dModel: 16 }), result(one, { dModel: 16, numHeads: 1 })];

describe("ladder readings", () => {
  it("measures the gap in points", () => {
    expect(pointsAhead(result(0.56), result(0.719))).toBeCloseTo(-15.9, 6);
  });

  it("says one layer learns faster when it is ahead at equal steps, and never calls that depth speeding learning up", () => {
    const [facts, meaning] = depthReading(result(0.561), result(0.719), result(0.786));
    expect(facts).toBe("At equal steps two layers are behind by 15.8 points; against one layer given twice the steps they are behind by 22.5 points.");
    expect(meaning).toMatch(/one layer learns faster than two/);
    expect(meaning).not.toMatch(/speeds learning up/);
  });

  it("tells apart depth that speeds learning up, depth that matters beyond speed, and no measurable difference", () => {
    expect(depthReading(result(0.9), result(0.7), result(0.89))[1]).toMatch(/depth mostly speeds learning up/);
    expect(depthReading(result(0.9), result(0.7), result(0.8))[1]).toMatch(/depth matters beyond speed/);
    expect(depthReading(result(0.899), result(0.75), result(0.929))[1]).toMatch(/not per unit of work: .* one layer does better, by 3\.0 points/);
    expect(depthReading(result(0.9), result(0.89), result(0.95))[1]).toMatch(/buys nothing measurable at equal steps \(less than 3 points\)/);
  });

  it("reads nothing into the gaps while every variant compared is below 20%", () => {
    expect(depthReading(result(0.02), result(0.15), result(0.19))).toEqual([
      "None of these variants answers 20% of the held-out problems yet (the best: 19.0%), so their differences say nothing about depth yet: raise STEPS.",
    ]);
    expect(headsReading(wide(0.1, 0.01), narrow(0.05, 0.0))).toHaveLength(1);
    expect(headsReading(wide(0.1, 0.01), narrow(0.25, 0.0))).toHaveLength(3);
  });

  it("does not compare a pair of heads in which neither model has learned, and says what that leaves open", () => {
    const [atWide, atNarrow, why] = headsReading(wide(0.634, 0.113), narrow(0.125, 0.116));
    expect(atWide).toMatch(/^At D 64, four heads do better than one in this run: .* ahead by 52\.1 points/);
    expect(atNarrow).toBe("At D 16, neither model has learned enough to compare: both answer under 20% of the held-out problems (the better: 12.5%).");
    expect(atNarrow).not.toMatch(/about as well/);
    expect(why).toMatch(/cannot tell whether the full-width result comes from the number of heads or from their width/);
    const [, , wideUntrained] = headsReading(wide(0.15, 0.1), narrow(0.6, 0.3));
    expect(wideUntrained).toMatch(/At the full width neither model has learned yet.*raise STEPS/);
  });

  it("words the heads for every combination of the two widths, with the measured gaps", () => {
    const [atWide, atNarrow, why] = headsReading(wide(0.56, 0.257), narrow(0.231, 0.144));
    expect(atWide).toBe("At D 64, four heads do better than one in this run: 4 heads of Dh 16 ahead by 30.3 points against 1 head of Dh 64.");
    expect(atNarrow).toMatch(/^At D 16, four heads do better than one in this run: 4 heads of Dh 4 ahead by 8.7 points against 1 head of Dh 16\.$/);
    expect(why).toMatch(/better at both widths/);
    expect(headsReading(wide(0.9, 0.9), narrow(0.5, 0.7))[2]).toMatch(/only 4 numbers for its queries and keys/);
    expect(headsReading(wide(0.9, 0.9), narrow(0.7, 0.5))[2]).toMatch(/only once the model is narrow/);
    expect(headsReading(wide(0.9, 0.9), narrow(0.7, 0.7))[2]).toMatch(/hardly matters/);
    expect(headsReading(wide(0.9, 0.7), narrow(0.7, 0.7))[2]).toMatch(/cannot say/);
    expect(headsReading(wide(0.7, 0.9), narrow(0.7, 0.7))[0]).toMatch(/one head does better than four/);
  });
});

describe("initReading", () => {
  it("gives the gap and says whether the start matters, with the spread ratio of the model's width", () => {
    const [smaller, ahead] = initReading(result(0.899), result(0.561));
    expect(smaller).toBe("At D 64, GPT-2's 0.02 is 6.3 times smaller than 1/√D.");
    expect(ahead).toMatch(/ahead by 33\.8 points.*still matters/);
    expect(initReading(result(0.5), result(0.49))[1]).toMatch(/within 3 points.*no measurable difference/);
    expect(initReading(result(0.4), result(0.6))[1]).toMatch(/GPT-2's start does better in this run, by 20\.0 points/);
  });

  it("reads nothing into the gap while both starts are below 20%", () => {
    const lines = initReading(result(0.15), result(0.05));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/say nothing about the starting weights yet: raise STEPS/);
  });
});
