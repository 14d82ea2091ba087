// Saving and loading a model (and, for resuming, the optimizer) as a .safetensors file whose
// metadata carries the model config, so a checkpoint knows which model it belongs to.
import * as tf from "@tensorflow/tfjs";
import { ModelConfig, Transformer, makeConfig } from "./model";
import { Adam } from "./optimizer";
import { StoredTensor, readSafetensors, writeSafetensors } from "./safetensors";

const FORMAT = "attention-workshop/1";

export interface Checkpoint {
  model: Transformer;
  metadata: Record<string, string>; // "config", "step" and whatever the trainer stored
  tensors: Record<string, StoredTensor>; // everything in the file, e.g. "adam.m.<weight>"
}

function stored(variables: Record<string, tf.Variable>, prefix = ""): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [name, v] of Object.entries(variables)) out[prefix + name] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
  return out;
}

/** Writes the model's weights (and the optimizer's state if given); the old file survives a failed save. */
export function saveCheckpoint(path: string, model: Transformer, optimizer?: Adam, extra: Record<string, string> = {}): void {
  const tensors = { ...stored(model.namedWeights()) };
  if (optimizer) Object.assign(tensors, stored(optimizer.m, "adam.m."), stored(optimizer.v, "adam.v."));
  const metadata: Record<string, string> = { format: FORMAT, config: JSON.stringify(model.config), ...extra };
  if (optimizer) metadata["adam.step"] = String(optimizer.step);
  writeSafetensors(path, tensors, metadata);
}

/** Copies stored tensors into variables, naming any missing weight or shape mismatch. */
export function assignWeights(path: string, variables: Record<string, tf.Variable>, tensors: Record<string, StoredTensor>, prefix = ""): void {
  for (const [name, variable] of Object.entries(variables)) {
    const saved = tensors[prefix + name];
    if (!saved) throw new Error(`Checkpoint "${path}" has no tensor "${prefix + name}"; it was saved from a different model.`);
    if (saved.shape.join() !== variable.shape.join()) {
      throw new Error(`Checkpoint "${path}": "${prefix + name}" has shape [${saved.shape}] but the model expects [${variable.shape}].`);
    }
    if (!saved.data.every(Number.isFinite)) throw new Error(`Checkpoint "${path}": "${prefix + name}" holds NaN or infinite values.`);
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
