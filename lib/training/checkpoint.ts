// Saving and loading a model (and, for resuming, the optimizer) as a .safetensors file whose
// metadata carries the model config, so a checkpoint knows which model it belongs to.
import * as tf from "@tensorflow/tfjs";
import { ModelConfig, Transformer, makeConfig } from "../model";
import { Adam, AdamState } from "../optimizer";
import { StoredTensor, readSafetensors, writeSafetensors } from "./safetensors";

const FORMAT = "attention-workshop/1";

export interface Checkpoint {
  model: Transformer;
  metadata: Record<string, string>; // "config", "step" and whatever the trainer stored
  tensors: Record<string, StoredTensor>; // everything in the file, e.g. "adam.m.<weight>"
}

/** Writes the model's weights (and the optimizer's state if given); the old file survives a failed save. */
export function saveCheckpoint(path: string, model: Transformer, optimizer?: Adam, extra: Record<string, string> = {}): void {
  const weights = model.namedWeights();
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, w] of Object.entries(weights)) tensors[name] = { shape: w.shape.slice(), data: w.dataSync() as Float32Array };
  const metadata: Record<string, string> = { format: FORMAT, config: JSON.stringify(model.config), ...extra };
  if (optimizer) {
    const { step, m, v } = optimizer.state();
    for (const [name, w] of Object.entries(weights)) {
      tensors[`adam.m.${name}`] = { shape: w.shape.slice(), data: m[name] };
      tensors[`adam.v.${name}`] = { shape: w.shape.slice(), data: v[name] };
    }
    metadata["adam.step"] = String(step);
  }
  writeSafetensors(path, tensors, metadata);
}

/** The Adam state saved with a model's weights (as "adam.m.<weight>", "adam.v.<weight>"), checked like the weights. */
export function storedAdamState(path: string, weights: Record<string, tf.Variable>, tensors: Record<string, StoredTensor>, metadata: Record<string, string>): AdamState {
  const state: AdamState = { step: Number(metadata["adam.step"]), m: {}, v: {} };
  for (const which of ["m", "v"] as const) {
    for (const [name, variable] of Object.entries(weights)) {
      const saved = checkedTensor(path, tensors, `adam.${which}.${name}`, variable.shape);
      state[which][name] = saved.data;
    }
  }
  return state;
}

function checkedTensor(path: string, tensors: Record<string, StoredTensor>, name: string, shape: number[]): StoredTensor {
  const saved = tensors[name];
  if (!saved) throw new Error(`Checkpoint "${path}" has no tensor "${name}"; it was saved from a different model.`);
  if (saved.shape.join() !== shape.join()) {
    throw new Error(`Checkpoint "${path}": "${name}" has shape [${saved.shape}] but the model expects [${shape}].`);
  }
  if (!saved.data.every(Number.isFinite)) throw new Error(`Checkpoint "${path}": "${name}" holds NaN or infinite values.`);
  return saved;
}

/** Copies stored tensors into variables, naming any missing weight or shape mismatch. */
export function assignWeights(path: string, variables: Record<string, tf.Variable>, tensors: Record<string, StoredTensor>): void {
  for (const [name, variable] of Object.entries(variables)) {
    const saved = checkedTensor(path, tensors, name, variable.shape);
    tf.tidy(() => variable.assign(tf.tensor(saved.data, saved.shape)));
  }
}

/** Builds the model the file describes and loads its weights. */
export function loadCheckpoint(path: string, expected?: Partial<ModelConfig>): Checkpoint {
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== FORMAT || !metadata.config) {
    throw new Error(`Checkpoint "${path}" was not written by attention-workshop (format "${metadata.format}", expected "${FORMAT}").`);
  }
  let config: ModelConfig;
  try {
    config = makeConfig(JSON.parse(metadata.config));
  } catch (e) {
    throw new Error(`Checkpoint "${path}" has an unusable model config: ${(e as Error).message}`);
  }
  for (const [key, value] of Object.entries(expected ?? {})) {
    const saved = config[key as keyof ModelConfig];
    if (saved !== value) throw new Error(`Checkpoint "${path}" has ${key} = ${saved}, but ${value} was expected.`);
  }
  const model = new Transformer(config);
  try {
    assignWeights(path, model.namedWeights(), tensors);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, metadata, tensors };
}
