// initBackend: wasm by default, the argument first, then $TFJS_BACKEND; unknown names rejected.
// Each test file runs in its own worker, so switching backends and editing process.env here
// touches no other file's tests.
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackendName, initBackend } from "../lib/fast/backend";
import "../lib/fast/ops"; // importing lib changes no kernel: initBackend does

/** Whether the wasm backend's Identity kernel gives back the tensor's own data instead of a copy. */
function identitySharesData(): boolean {
  return tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.engine().runKernel("Identity", { x }) as tf.Tensor;
    return y.dataId === x.dataId && Array.from(y.dataSync()).join() === "1,2,3";
  });
}

describe("initBackend", () => {
  it("makes the wasm backend's Identity kernel share data, when it starts wasm (not when lib is imported)", async () => {
    await tf.setBackend("wasm");
    expect(identitySharesData()).toBe(false);
    await initBackend("wasm");
    expect(identitySharesData()).toBe(true);
    await initBackend("wasm"); // again: installed once
    expect(identitySharesData()).toBe(true);
  });

  const saved = process.env.TFJS_BACKEND;
  beforeEach(() => {
    delete process.env.TFJS_BACKEND;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TFJS_BACKEND;
    else process.env.TFJS_BACKEND = saved;
  });

  it("starts wasm when nothing is asked for", async () => {
    await initBackend("cpu"); // start elsewhere, so the default has to switch
    expect(await initBackend()).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("treats an empty $TFJS_BACKEND as unset", async () => {
    await initBackend("cpu");
    process.env.TFJS_BACKEND = "";
    expect(await initBackend()).toBe("wasm");
  });

  for (const name of ["cpu", "wasm"] as BackendName[]) {
    it(`starts ${name} when asked by argument`, async () => {
      await initBackend(name === "cpu" ? "wasm" : "cpu");
      expect(await initBackend(name)).toBe(name);
      expect(tf.getBackend()).toBe(name);
      expect(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0])).toBe(5); // and it computes
    });
  }

  it("honours $TFJS_BACKEND", async () => {
    await initBackend("wasm");
    process.env.TFJS_BACKEND = "cpu";
    expect(await initBackend()).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("lets the argument win over $TFJS_BACKEND", async () => {
    process.env.TFJS_BACKEND = "cpu";
    expect(await initBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("rejects an unknown name, saying which and where from", async () => {
    await expect(initBackend("webgl" as BackendName)).rejects.toThrow(/Unknown backend "webgl" from initBackend\(\): expected "wasm" or "cpu"/);
    process.env.TFJS_BACKEND = "tpu";
    await expect(initBackend()).rejects.toThrow(/Unknown backend "tpu" from \$TFJS_BACKEND/);
  });

  it("leaves the running backend alone when it rejects a name", async () => {
    await initBackend("cpu");
    await expect(initBackend("gpu" as BackendName)).rejects.toThrow(/"gpu"/);
    expect(tf.getBackend()).toBe("cpu");
  });
});
