// A notebook's settings cell checked in one place: its knobs (NUM_HEADS, D_MODEL, ...) become a
// model config, and a bad value stops with a message that names the knob, not lib's field.
import { ModelConfig, makeConfig } from "../model";

export interface ModelKnobs {
  NUM_HEADS: number;
  NUM_LAYERS: number;
  D_MODEL: number;
  SEED: number;
}

const FIELD_OF: Record<keyof ModelKnobs, keyof ModelConfig> = { NUM_HEADS: "numHeads", NUM_LAYERS: "numLayers", D_MODEL: "dModel", SEED: "seed" };

/** The knobs as Transformer overrides, checked by the model's own rules; errors name the knobs. */
export function modelFromKnobs(knobs: ModelKnobs): Partial<ModelConfig> {
  const overrides: Partial<ModelConfig> = {};
  for (const [knob, field] of Object.entries(FIELD_OF)) (overrides as Record<string, number>)[field] = knobs[knob as keyof ModelKnobs];
  try {
    makeConfig(overrides);
  } catch (e) {
    let message = (e as Error).message;
    for (const [knob, field] of Object.entries(FIELD_OF)) message = message.replace(new RegExp(`\\b${field}\\b`, "g"), knob);
    throw new Error(`${message} Change it in the settings cell.`);
  }
  return overrides;
}

/** A positive, finite number of seconds, or an error naming the knob. */
export function checkSeconds(name: string, value: number): number {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new Error(`${name} must be a positive number of seconds (for example 60), got ${value}. Change it in the settings cell.`);
  }
  return value;
}

/**
 * When the notebook loads the shipped model (its setting `useShippedKnob`), the model knobs must
 * describe that model: SEED also fixes the held-out problems, which must be the ones it never
 * trained on. An error names the knob to change.
 */
export function checkShippedKnobs(knobs: ModelKnobs, shipped: ModelConfig, useShippedKnob: string): void {
  const wrong = (Object.entries(FIELD_OF) as [keyof ModelKnobs, keyof ModelConfig][]).filter(([knob, field]) => knobs[knob] !== shipped[field]);
  if (wrong.length === 0) return;
  const want = wrong.map(([knob, field]) => `${knob} = ${shipped[field]}`).join(", ");
  const got = wrong.map(([knob]) => `${knob} is ${knobs[knob]}`).join(", ");
  throw new Error(`${useShippedKnob} = true loads the shipped course model, but ${got}. Set ${want} in the settings cell, or ${useShippedKnob} = false to train your own.`);
}

/** A whole number of steps, 1 or more, or an error naming the knob. */
export function checkSteps(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new Error(`${name} must be a whole number of steps, 1 or more (for example 300), got ${value}. Change it in the settings cell.`);
  }
  return value;
}
