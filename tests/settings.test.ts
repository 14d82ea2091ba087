import { describe, expect, it } from "vitest";
import { makeConfig } from "../lib/model";
import { checkSeconds, checkShippedKnobs, checkSteps, modelFromKnobs } from "../lib/notebook/settings";

const GOOD = { NUM_HEADS: 4, NUM_LAYERS: 2, D_MODEL: 64, SEED: 0 };

describe("modelFromKnobs", () => {
  it("turns the knobs into the model's config fields", () => {
    expect(modelFromKnobs(GOOD)).toEqual({ numHeads: 4, numLayers: 2, dModel: 64, seed: 0 });
    expect(makeConfig(modelFromKnobs({ ...GOOD, NUM_HEADS: 1, NUM_LAYERS: 1, D_MODEL: 32 })).ffnHidden).toBe(128);
  });

  it("names the knob and what to use when a value is wrong", () => {
    expect(() => modelFromKnobs({ ...GOOD, NUM_HEADS: 3 })).toThrow(/^NUM_HEADS 3 does not divide D_MODEL 64.*use one of 1, 2, 4, 8, 16, 32, 64.*settings cell/);
    expect(() => modelFromKnobs({ ...GOOD, NUM_LAYERS: 0 })).toThrow(/^NUM_LAYERS must be a positive whole number, got 0/);
    expect(() => modelFromKnobs({ ...GOOD, D_MODEL: 2.5 })).toThrow(/^D_MODEL must be a positive whole number, got 2.5/);
    expect(() => modelFromKnobs({ ...GOOD, SEED: 0.5 })).toThrow(/^SEED must be a whole number, got 0.5/);
  });
});

describe("checkSeconds", () => {
  it("accepts a positive number and names the knob otherwise", () => {
    expect(checkSeconds("TIME_BUDGET_SECONDS", 20)).toBe(20);
    for (const bad of [0, -5, Infinity, NaN]) expect(() => checkSeconds("TIME_BUDGET_SECONDS", bad)).toThrow(new RegExp(`^TIME_BUDGET_SECONDS must be a positive number of seconds.*got ${bad}`));
  });
});

describe("checkSteps", () => {
  it("accepts a whole number of steps, 1 or more, and names the knob otherwise", () => {
    expect(checkSteps("LOOP_STEPS", 300)).toBe(300);
    for (const bad of [0, -1, 2.5, NaN]) expect(() => checkSteps("LOOP_STEPS", bad)).toThrow(new RegExp(`^LOOP_STEPS must be a whole number of steps.*got ${bad}`));
  });
});

describe("checkShippedKnobs", () => {
  it("accepts the shipped model's knobs and names each one that differs, with the value to use", () => {
    const shipped = makeConfig(modelFromKnobs(GOOD));
    expect(() => checkShippedKnobs(GOOD, shipped, "USE_SHIPPED_MODEL")).not.toThrow();
    expect(() => checkShippedKnobs({ ...GOOD, NUM_HEADS: 8, SEED: 1 }, shipped, "USE_SHIPPED_MODEL")).toThrow(
      /^USE_SHIPPED_MODEL = true loads the shipped course model, but NUM_HEADS is 8, SEED is 1\. Set NUM_HEADS = 4, SEED = 0 in the settings cell, or USE_SHIPPED_MODEL = false/,
    );
  });
});
