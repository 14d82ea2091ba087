import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, timeCall, warmUp } from "../lib/analysis/timing";
import { useBackend } from "./helpers";

useBackend();

/** A clock that only the call moves: the n-th call takes costs(n) ms. */
function fakeCall(costs: (n: number) => number) {
  let now = 0;
  let n = 0;
  return { clock: () => now, run: () => ((now += costs(n++)), tf.scalar(0)) };
}

describe("timeCall", () => {
  it("keeps the fastest of its samples, each long enough to read, after a warm-up", async () => {
    const { clock, run } = fakeCall((n) => (n === 0 ? 100 : 2)); // a slow first call, then 2 ms each
    const before = tf.memory().numTensors;
    const timing = await timeCall(run, { samples: 3, sampleMs: 10, warmUpMs: 150, clock });
    expect(timing).toEqual({ ms: 2, spread: 0, samples: [2, 2, 2] });
    expect(tf.memory().numTensors).toBe(before); // every result freed
  });

  it("gives the spread of the samples relative to the fastest, and checks its options", async () => {
    const { clock, run } = fakeCall((n) => (n % 2 === 0 ? 1 : 3)); // samples of one call alternate 1 ms and 3 ms
    const timing = await timeCall(run, { samples: 4, sampleMs: 1, warmUpMs: 1, clock });
    expect(timing.ms).toBe(1);
    expect(timing.spread).toBe(2);
    await expect(timeCall(run, { samples: 0 })).rejects.toThrow("samples must be a whole number above 0, got 0.");
    await expect(timeCall(run, { sampleMs: -1 })).rejects.toThrow("sampleMs must be above 0, got -1.");
  });
});

describe("warmUp", () => {
  it("runs until the time per call stops falling", async () => {
    const { clock, run } = fakeCall((n) => Math.max(1, 8 - Math.floor(n / 10))); // 8 ms a call, 1 ms less every 10 calls, down to 1
    const blocks = await warmUp(run, { blockMs: 20, patience: 3, clock });
    expect(blocks[0]).toBe(8);
    expect(blocks.slice(-4)).toEqual([1, 1, 1, 1]); // the first block at 1 ms, then 3 without a gain
    const slow = fakeCall(() => 10);
    expect(await warmUp(slow.run, { blockMs: 10, patience: 100, maxMs: 50, clock: slow.clock })).toHaveLength(5); // stops at maxMs
  });
});

describe("formatting", () => {
  it("prints bytes in binary units and durations in the largest unit that keeps them at least 1", () => {
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(4 * 2 ** 40)).toBe("4 TiB");
    expect(formatBytes(100)).toBe("100 B");
    expect(formatDuration(0.5)).toBe("0.5 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(5400000)).toBe("1.5 hours");
    expect(formatDuration(90e3)).toBe("1.5 minutes");
  });
});
