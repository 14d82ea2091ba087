import { afterEach, describe, expect, it, vi } from "vitest";
import { MIN_LOOP_STEPS, TrainingSettings, checkSettings, courseSchedules, workersFor } from "../lib/notebook/training-notebook";
import { DEFAULT_TRAIN_CONFIG } from "../lib/train";

const GOOD: TrainingSettings = { USE_SHIPPED_MODEL: false, TIME_BUDGET_SECONDS: 240, SEED: 0, NUM_HEADS: 4, NUM_LAYERS: 2, D_MODEL: 64, LOOP_STEPS: 300 };

describe("checkSettings", () => {
  let printed: string[] = [];
  afterEach(() => vi.restoreAllMocks());
  const check = (s: TrainingSettings) => {
    printed = [];
    vi.spyOn(console, "log").mockImplementation((text: string) => void printed.push(text));
    return checkSettings(s);
  };

  it("returns the model's size and seed and says what the run will do", () => {
    expect(check(GOOD)).toEqual({ numHeads: 4, numLayers: 2, dModel: 64, seed: 0 });
    expect(printed).toEqual(["seed 0; 2 layer(s) of 4 head(s), width 64; 240 s of training"]);
    check({ ...GOOD, USE_SHIPPED_MODEL: true });
    expect(printed).toEqual(["seed 0; 2 layer(s) of 4 head(s), width 64; the shipped course model, no training here"]);
  });

  it("stops at a knob that cannot work, naming it and what to use", () => {
    expect(() => check({ ...GOOD, NUM_HEADS: 3 })).toThrow(/^NUM_HEADS 3 does not divide D_MODEL 64/);
    expect(() => check({ ...GOOD, TIME_BUDGET_SECONDS: 0 })).toThrow(/^TIME_BUDGET_SECONDS must be a positive number of seconds/);
    expect(() => check({ ...GOOD, LOOP_STEPS: MIN_LOOP_STEPS - 1 })).toThrow(new RegExp(`^LOOP_STEPS must be a whole number of at least ${MIN_LOOP_STEPS} \\(for example 300\\), got ${MIN_LOOP_STEPS - 1}`));
    expect(() => check({ ...GOOD, LOOP_STEPS: 150.5 })).toThrow(/^LOOP_STEPS must be a whole number/);
    expect(() => check({ ...GOOD, USE_SHIPPED_MODEL: true, D_MODEL: 32 })).toThrow(/USE_SHIPPED_MODEL = true loads the shipped course model, but D_MODEL is 32\. Set D_MODEL = 64/);
  });
});

describe("workersFor and courseSchedules", () => {
  it("starts no worker threads for the shipped model, and at most one per shard otherwise", () => {
    expect(workersFor(true)).toBe(0);
    expect(workersFor(false)).toBeGreaterThanOrEqual(1);
    expect(workersFor(false)).toBeLessThanOrEqual(DEFAULT_TRAIN_CONFIG.shards);
  });

  it("lists the course recipe's shipped schedules, shortest first, ending with the full one", () => {
    const steps = courseSchedules().map((m) => m.steps);
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(steps[steps.length - 1]).toBe(DEFAULT_TRAIN_CONFIG.steps);
    expect(courseSchedules().map((m) => `${m.name} ${m.seed}`)).toEqual(courseSchedules().map((m) => `${m.steps === DEFAULT_TRAIN_CONFIG.steps ? "course" : `course-${m.steps}-steps`} 0`));
  });
});
