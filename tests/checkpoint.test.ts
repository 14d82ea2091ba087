import * as tf from "@tensorflow/tfjs";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignWeights, loadCheckpoint, saveCheckpoint } from "../lib/training/checkpoint";
import { ModelConfig, Transformer } from "../lib/model";
import { readSafetensors, writeSafetensors } from "../lib/training/safetensors";
import { maxAbsDiff, take, useBackend } from "./helpers";

useBackend();

const SMALL: Partial<ModelConfig> = { dModel: 8, numHeads: 2, numLayers: 1, contextLength: 8, seed: 5 };
const IDS = [[1, 5, 30, 6, 3, 11]];
const PYTHON = path.join(__dirname, "..", ".venv", "bin", "python");

let dir: string;
let model: Transformer;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-test-"));
  model = new Transformer(SMALL);
  // Move the weights away from their initial values, so that loading cannot pass by re-initialising from the seed.
  for (const w of Object.values(model.namedWeights())) tf.tidy(() => w.assign(w.add(tf.randomNormal(w.shape, 0, 0.3, "float32", 17))));
});
afterAll(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const logitsOf = (m: Transformer) => {
  const { logits, attention } = m.forward(IDS);
  tf.dispose(attention);
  return take(logits);
};
const file = (name: string) => path.join(dir, name);

describe("saveCheckpoint and loadCheckpoint", () => {
  it("give back a model with identical config, weights and logits", () => {
    const p = file("model.safetensors");
    saveCheckpoint(p, model, undefined, { note: "hello" });
    const { model: loaded, metadata } = loadCheckpoint(p, { dModel: 8 });
    expect(loaded.config).toEqual(model.config);
    expect(metadata.note).toBe("hello");
    const saved = model.namedWeights();
    for (const [name, w] of Object.entries(loaded.namedWeights())) expect(maxAbsDiff(w.dataSync(), saved[name].dataSync()), name).toBe(0);
    expect(maxAbsDiff(logitsOf(loaded), logitsOf(model))).toBe(0);
    loaded.dispose();
  });

  it("write a file that Python's safetensors reads with the same names, shapes and values", () => {
    if (!fs.existsSync(PYTHON)) {
      console.warn(`SKIPPED the Python check: ${PYTHON} is missing (run \`npm run setup\` to create the venv).`);
      return;
    }
    const p = file("for-python.safetensors");
    saveCheckpoint(p, model);
    const expected: Record<string, { shape: number[]; values: number[] }> = {};
    for (const [name, w] of Object.entries(model.namedWeights())) expected[name] = { shape: w.shape, values: Array.from(w.dataSync()) };
    const expectedPath = file("expected.json");
    fs.writeFileSync(expectedPath, JSON.stringify({ tensors: expected, config: model.config }));
    const script = `
import json, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
expected = json.load(open(sys.argv[2]))
tensors = load_file(sys.argv[1])
assert sorted(tensors) == sorted(expected["tensors"]), (sorted(tensors), sorted(expected["tensors"]))
for name, want in expected["tensors"].items():
    got = tensors[name]
    assert got.dtype == np.float32, (name, got.dtype)
    assert list(got.shape) == want["shape"], (name, got.shape, want["shape"])
    assert np.array_equal(got.reshape(-1), np.array(want["values"], dtype=np.float32)), name
with safe_open(sys.argv[1], framework="numpy") as f:
    config = json.loads(f.metadata()["config"])
assert config == expected["config"], (config, expected["config"])
print("ok", len(tensors))
`;
    const out = execFileSync(PYTHON, ["-c", script, p, expectedPath], { encoding: "utf8" });
    expect(out.trim()).toBe(`ok ${Object.keys(expected).length}`);
  });

  it("keep the previous good checkpoint when a save fails", () => {
    const p = file("kept.safetensors");
    saveCheckpoint(p, model);
    const before = fs.readFileSync(p);
    const other = new Transformer({ ...SMALL, seed: 99 });
    fs.mkdirSync(`${p}.tmp`); // the temporary file cannot be written: the save fails part way
    expect(() => saveCheckpoint(p, other)).toThrow();
    fs.rmdirSync(`${p}.tmp`);
    expect(fs.readFileSync(p).equals(before)).toBe(true);
    const { model: loaded } = loadCheckpoint(p);
    expect(maxAbsDiff(logitsOf(loaded), logitsOf(model))).toBe(0);
    loaded.dispose();
    other.dispose();
  });

  it("fail for a path in a missing folder or a path that is a folder, leaving the folder as it was", () => {
    const missing = file("no-such-folder/model.safetensors");
    expect(() => saveCheckpoint(missing, model)).toThrow(/no-such-folder/);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
    const folder = file("a-folder");
    fs.mkdirSync(folder);
    expect(() => saveCheckpoint(folder, model)).toThrow(/a-folder/);
    expect(fs.statSync(folder).isDirectory()).toBe(true);
    expect(fs.readdirSync(folder)).toEqual([]);
  });
});

describe("loading a bad checkpoint", () => {
  let good: Buffer;
  beforeAll(() => {
    saveCheckpoint(file("good.safetensors"), model);
    good = fs.readFileSync(file("good.safetensors"));
  });
  const writeBytes = (name: string, bytes: Buffer) => {
    fs.writeFileSync(file(name), bytes);
    return file(name);
  };

  it("names a missing file", () => {
    expect(() => loadCheckpoint(file("nothing-here.safetensors"))).toThrow(/nothing-here\.safetensors.*does not exist/);
  });

  it("names a truncated file and the tensor that does not fit", () => {
    const p = writeBytes("truncated.safetensors", good.subarray(0, good.length - 10));
    expect(() => loadCheckpoint(p)).toThrow(/truncated\.safetensors.*not a valid \.safetensors file.*head\.bias.*does not fit/);
    const tiny = writeBytes("tiny.safetensors", good.subarray(0, 5));
    expect(() => loadCheckpoint(tiny)).toThrow(/tiny\.safetensors.*only 5 bytes/);
    const headerCut = writeBytes("header-cut.safetensors", good.subarray(0, 40));
    expect(() => loadCheckpoint(headerCut)).toThrow(/header-cut\.safetensors.*header claims/);
  });

  it("names a garbage header", () => {
    const garbage = Buffer.from(good);
    garbage.write("this is not json at all", 8, "utf8");
    expect(() => loadCheckpoint(writeBytes("garbage.safetensors", garbage))).toThrow(/garbage\.safetensors.*header is not JSON/);
    const noise = Buffer.alloc(256, 0xab); // header length 0xabab... is far beyond the file
    expect(() => loadCheckpoint(writeBytes("noise.safetensors", noise))).toThrow(/noise\.safetensors.*header claims/);
  });

  it("names a file from another program and a tensor with another dtype", () => {
    const p = file("foreign.safetensors");
    writeSafetensors(p, { x: { shape: [2], data: new Float32Array([1, 2]) } }, { producer: "someone else" });
    expect(readSafetensors(p).tensors.x.data).toEqual(new Float32Array([1, 2]));
    expect(() => loadCheckpoint(p)).toThrow(/foreign\.safetensors.*not written by attention-workshop/);
    const f16 = Buffer.from(good.toString("latin1").replace('"dtype":"F32"', '"dtype":"F16"'), "latin1");
    expect(() => loadCheckpoint(writeBytes("f16.safetensors", f16))).toThrow(/dtype F16; expected F32/);
  });

  it("names the key and both values when the config differs from the expected one", () => {
    expect(() => loadCheckpoint(file("good.safetensors"), { dModel: 16 })).toThrow(/good\.safetensors.*dModel = 8.*16/);
    expect(() => loadCheckpoint(file("good.safetensors"), { numLayers: 2 })).toThrow(/numLayers = 1.*2/);
  });

  it("names the weight and both shapes when loading into a model of another width", () => {
    const wider = new Transformer({ ...SMALL, dModel: 16 });
    const { tensors } = readSafetensors(file("good.safetensors"));
    expect(() => assignWeights("good.safetensors", wider.namedWeights(), tensors)).toThrow(/"embedding\.token" has shape \[\d+,8\].*\[\d+,16\]/);
    const deeper = new Transformer({ ...SMALL, numLayers: 2 });
    expect(() => assignWeights("good.safetensors", deeper.namedWeights(), tensors)).toThrow(/no tensor "blocks\.1\.[\w.]+"/);
    wider.dispose();
    deeper.dispose();
  });

  it("names the file when its stored config is unusable or not JSON", () => {
    const { tensors, metadata } = readSafetensors(file("good.safetensors"));
    const config = JSON.parse(metadata.config);
    writeSafetensors(file("bad-config.safetensors"), tensors, { ...metadata, config: JSON.stringify({ ...config, numHeads: 3 }) });
    expect(() => loadCheckpoint(file("bad-config.safetensors"))).toThrow(/bad-config\.safetensors" has an unusable model config: numHeads 3 does not divide dModel 8/);
    writeSafetensors(file("not-json.safetensors"), tensors, { ...metadata, config: "{oops" });
    expect(() => loadCheckpoint(file("not-json.safetensors"))).toThrow(/not-json\.safetensors" has an unusable model config/);
  });

  it("names a weight that holds NaN", () => {
    const { tensors, metadata } = readSafetensors(file("good.safetensors"));
    const broken = { ...tensors, "head.bias": { ...tensors["head.bias"], data: tensors["head.bias"].data.map((v, i) => (i === 2 ? NaN : v)) } };
    writeSafetensors(file("nan.safetensors"), broken, metadata);
    expect(() => loadCheckpoint(file("nan.safetensors"))).toThrow(/"head\.bias" holds NaN or infinite values/);
  });
});
