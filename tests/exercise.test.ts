import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkClose, checkExercise, firstDifference } from "../lib/notebook/exercise";
import { tensorsLeftBy, useBackend } from "./helpers";

useBackend();

let printed: string[];
beforeEach(() => {
  printed = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.join(" ")));
});
afterEach(() => vi.restoreAllMocks());

describe("firstDifference", () => {
  it("finds nothing between equal nested values and names the first place that differs", () => {
    expect(firstDifference([[1, 2], [3, 4]], [[1, 2], [3, 4]])).toBeUndefined();
    expect(firstDifference([[1, 2], [3, 4]], [[1, 2], [3, 5]])).toBe("at [1][1]: got 4, expected 5");
    expect(firstDifference([1, 2], [1, 2, 3])).toBe("at the top level: got 2 entries, expected 3");
    expect(firstDifference("a", "b")).toBe('at the value: got "a", expected "b"');
  });

  it("allows a relative tolerance on numbers", () => {
    expect(firstDifference(1000.05, 1000)).toBeUndefined();
    expect(firstDifference(1001, 1000)).toBe("at the value: got 1001, expected 1000");
  });
});

describe("checkExercise", () => {
  it("prints PASS when the attempt matches, NOT YET with the hint when it does not", () => {
    expect(checkExercise("sum", () => 1 + 2, 3, "add them")).toBe(true);
    expect(checkExercise("sum", () => 1 - 2, 3, "add them")).toBe(false);
    expect(printed).toEqual(["PASS (sum): your answer matches.", "NOT YET (sum): at the value: got -1, expected 3.\nHint: add them"]);
  });

  it("reports an attempt that throws instead of throwing, and leaves no tensors", () => {
    const left = tensorsLeftBy(() => {
      expect(checkExercise("boom", () => { tf.ones([3]); throw new Error("oops"); }, 1, "h")).toBe(false);
      expect(checkExercise("tensor", () => tf.ones([2]).mul(2), [2, 2], "h")).toBe(true);
    });
    expect(left).toBe(0);
    expect(printed[0]).toBe("NOT YET (boom): your code threw: oops.\nHint: h");
  });
});

describe("checkClose", () => {
  it("prints the largest difference when the tensors agree within the tolerance", () => {
    tf.tidy(() => checkClose("ours vs lib", tf.tensor([1, 2, 3]), tf.tensor([1, 2, 3.000001])));
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^ours vs lib: matches \(largest difference [0-9.]+e-[67]\)$/);
  });

  it("throws, naming the check, when a value is off by more than the tolerance", () => {
    tf.tidy(() => {
      expect(() => checkClose("layer norm", tf.tensor([1, 2]), tf.tensor([1, 2.5]))).toThrow("layer norm: off by 0.5, more than 0.00001.");
      expect(() => checkClose("loose", tf.tensor([1, 2]), tf.tensor([1, 2.5]), 0.6)).not.toThrow();
    });
  });

  it("throws when the shapes differ, even if the values would broadcast", () => {
    tf.tidy(() => {
      expect(() => checkClose("split", tf.zeros([2, 3]), tf.zeros([3]))).toThrow("split: shape [2,3], expected [3].");
    });
  });

  it("treats NaN as a mismatch and leaves no tensors behind", () => {
    const left = tensorsLeftBy(() => {
      tf.tidy(() => {
        expect(() => checkClose("nan", tf.tensor([NaN]), tf.tensor([0]))).toThrow("nan: off by NaN");
      });
    });
    expect(left).toBe(0);
  });
});
