// The workshop checklist of mistakes a learner makes, in one place, through the calls the notebooks
// use (answer, Transformer, Trainer, runTraining, loadCheckpoint, Trainer.resume). Each test pins the
// whole message, because the message is the point: it names the bad value and says what was expected.
// Narrower checks of the same errors live next to their code:
//   unknown word, out of range, empty text  tests/vocab.test.ts ("names an unknown word ...", 'rejects "one hundred" ...',
//                                           "rejects numbers outside 0..99 by value", "rejects empty input")
//   empty and too-long prompts              tests/generate.test.ts ("refuses an empty prompt", "names both lengths ..."),
//                                           tests/model.test.ts ("names both numbers when the input is longer than the context ...")
//   heads that do not divide dModel         tests/model.test.ts, tests/multihead.test.ts, tests/block.test.ts
//   zero or negative sizes                  tests/model.test.ts ("names the key and value ..."), tests/train.test.ts ("names a bad steps ...")
//   NaN loss, diverging learning rate       tests/train.test.ts ("names the step ...", "stops with that error ...")
//   corrupt or mismatched checkpoints       tests/checkpoint.test.ts ("loading a bad checkpoint"), tests/train.test.ts ("refuses to resume ...")
//   a kill during a save                    tests/resume.test.ts
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../lib/training/checkpoint";
import { allProblems, splitProblems } from "../lib/data";
import { answer } from "../lib/generate";
import { ModelConfig, Transformer } from "../lib/model";
import { Trainer, runTraining } from "../lib/train";
import { numberToWords, wordsToNumber } from "../lib/vocab";
import { useBackend } from "./helpers";

useBackend();

const TRAIN = splitProblems(allProblems(), 0.1, 0).train.slice(0, 200);
const SMALL: Partial<ModelConfig> = { dModel: 16, numHeads: 2, numLayers: 1, contextLength: 12, seed: 0 };

let dir: string;
let model: Transformer;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-test-"));
  model = new Transformer(SMALL);
});
afterAll(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The message of the error `fn` throws (the test fails if it throws nothing). */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error, but the call succeeded");
}

describe("a question the calculator cannot read", () => {
  it("names an unknown word and suggests the closest known one", () => {
    expect(messageOf(() => answer(model, "two plus thre"))).toBe(
      'Unknown word "thre": it is not in the vocabulary of 37 words. Did you mean "three"?',
    );
    expect(messageOf(() => answer(model, "two plus 3"))).toBe(
      'Unknown word "3": it is not in the vocabulary of 37 words. Did you mean "three" (numbers are written as words)?',
    );
  });

  it("names a number out of range and the range", () => {
    const outOfRange = (word: string) => `"${word}" is out of range: the calculator knows the numbers zero to ninety nine (0..99).`;
    expect(messageOf(() => answer(model, "one hundred plus two"))).toBe(outOfRange("hundred"));
    expect(messageOf(() => answer(model, "100 plus 2"))).toBe(outOfRange("100"));
    expect(messageOf(() => wordsToNumber("one hundred"))).toBe(outOfRange("hundred"));
    expect(messageOf(() => numberToWords(100))).toBe("numberToWords: 100 is out of range; expected a whole number from 0 to 99.");
  });

  it("says an empty prompt is empty and shows what a prompt looks like", () => {
    for (const empty of ["", "   "]) {
      expect(messageOf(() => answer(model, empty))).toBe('answer: the prompt is empty; expected a question such as "two plus three".');
    }
  });

  it("names both lengths when the prompt does not fit the context", () => {
    const short = new Transformer({ ...SMALL, contextLength: 6 });
    expect(messageOf(() => answer(short, "twenty three plus forty four"))).toBe(
      "answer: the prompt has 7 tokens but the model's context holds 6, leaving no room for an answer.",
    );
    expect(messageOf(() => short.forward([[1, 5, 6, 7, 8, 9, 3]]))).toBe("forward: 7 tokens do not fit the context of 6 tokens.");
    short.dispose();
  });
});

describe("a model or training setting that cannot work", () => {
  it("names both numbers when the head count does not divide dModel, and suggests counts that do", () => {
    expect(messageOf(() => new Transformer({ dModel: 30, numHeads: 4 }))).toBe(
      "numHeads 4 does not divide dModel 30: each head needs a whole slice of D (use one of 1, 2, 3, 5, 6, 10, 15, 30).",
    );
  });

  it("names the key of a zero, negative or fractional size", () => {
    for (const key of ["vocabSize", "contextLength", "dModel", "numHeads", "numLayers", "ffnHidden"] as const) {
      for (const bad of [0, -2, 1.5]) {
        expect(messageOf(() => new Transformer({ ...SMALL, [key]: bad })), `${key} = ${bad}`).toBe(`${key} must be a positive whole number, got ${bad}.`);
      }
    }
    for (const key of ["steps", "batchSize"] as const) {
      for (const bad of [0, -2]) {
        expect(messageOf(() => new Trainer(model, TRAIN, { [key]: bad }))).toBe(`${key} must be a positive whole number, got ${bad}.`);
      }
    }
    expect(messageOf(() => new Trainer(model, TRAIN, { learningRate: 0 }))).toBe("learningRate must be positive, got 0.");
  });
});

describe("training that diverges", () => {
  it("stops at the first NaN loss, names the step, suggests a lower learning rate and keeps the last good checkpoint", async () => {
    const trainer = new Trainer(new Transformer(SMALL), TRAIN, { steps: 10, batchSize: 8, learningRate: 0.01, warmupSteps: 2, seed: 0 });
    const checkpointPath = path.join(dir, "diverged.safetensors");
    const run = runTraining(trainer, {
      checkpointPath, checkpointEvery: 2,
      onStep: ({ step }) => {
        if (step === 3) tf.tidy(() => trainer.model.head.assign(tf.fill(trainer.model.head.shape, NaN))); // as if step 3 had blown up
      },
    });
    await expect(run).rejects.toThrow(
      "Training diverged: the loss is NaN at step 4. The weights were left as they were after step 3; try a lower learning rate than 0.01.",
    );
    expect(trainer.step).toBe(3);
    const saved = Trainer.resume(checkpointPath, TRAIN);
    expect(saved.step).toBe(2);
    const savedWeights = Object.values(saved.model.namedWeights()).flatMap((w) => Array.from(w.dataSync()));
    expect(savedWeights.every(Number.isFinite)).toBe(true);
    saved.dispose();
    trainer.dispose();
  });
});

describe("a checkpoint that does not fit", () => {
  let good: string;
  beforeAll(() => {
    good = path.join(dir, "good.safetensors");
    saveCheckpoint(good, model);
  });

  /** A copy of the good checkpoint with its model config changed in the file's metadata. */
  function withConfig(name: string, change: Partial<ModelConfig>): string {
    const bytes = fs.readFileSync(good);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
    header.__metadata__.config = JSON.stringify({ ...JSON.parse(header.__metadata__.config), ...change });
    const json = JSON.stringify(header);
    const padded = Buffer.from(json + " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8), "utf8");
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(padded.length));
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.concat([length, padded, bytes.subarray(8 + headerLength)]));
    return file;
  }

  it("names the setting and both values when the file holds another model than expected", () => {
    expect(messageOf(() => loadCheckpoint(good, { dModel: 32 }))).toBe(`Checkpoint "${good}" has dModel = 16, but 32 was expected.`);
  });

  it("names the weight and both shapes when the tensors do not match the config", () => {
    const file = withConfig("wider.safetensors", { dModel: 32 });
    expect(messageOf(() => loadCheckpoint(file))).toBe(
      `Checkpoint "${file}": "embedding.token" has shape [37,16] but the model expects [37,32].`,
    );
  });

  it("names the file and the tensor that is cut off when resuming from a truncated file", () => {
    const trainer = new Trainer(new Transformer(SMALL), TRAIN, { steps: 4, batchSize: 8 });
    const file = path.join(dir, "truncated.safetensors");
    trainer.save(file);
    trainer.dispose();
    fs.truncateSync(file, fs.statSync(file).size - 100);
    expect(messageOf(() => Trainer.resume(file, TRAIN))).toMatch(
      new RegExp(`^Checkpoint "${file.replace(/[.]/g, "\\.")}" is not a valid \\.safetensors file: tensor "adam\\.v\\.[\\w.]+" \\(shape \\[[\\d,]+\\]\\) does not fit its byte range \\d+\\.\\.\\d+\\.$`),
    );
  });

  it("names the file and both numbers when the config stored in the file is impossible", () => {
    const file = withConfig("three-heads.safetensors", { numHeads: 3 });
    expect(messageOf(() => loadCheckpoint(file))).toMatch(/three-heads\.safetensors" has an unusable model config: numHeads 3 does not divide dModel 16\b/);
  });
});
