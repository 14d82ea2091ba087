// Notebook 7's takeaways must hold on every seed: each variant's fully trained runs on the shipped
// seeds (results.ts), and the notebook's own ladder when it trained one, compared seed by seed.
import type { Claim } from "../notebook/takeaway";
import { SEEDS, VariantKey, readShippedMetadata, shippedRung } from "./results";
import { LadderOutcome, LossCurve, VARIANTS, Variant, resultOf } from "./variants";

/** One trained run of a variant. */
export interface Run {
  label: string; // "seed 1", or "this run" for the notebook's own ladder
  seed: number;
  accuracy: number; // held-out exact match
  finalLoss: number;
  lossCurve: LossCurve;
}

function keyOf(variant: Variant): VariantKey {
  const key = (Object.keys(VARIANTS) as VariantKey[]).find((k) => VARIANTS[k].name === variant.name);
  if (key === undefined) throw new Error(`No shipped runs of the variant "${variant.name}": only the ladder's own variants (VARIANTS) ship.`);
  return key;
}

/** Each variant's runs: the shipped seeds, then the notebook's own ladder (`own`) when it trained one. */
export class SeedRuns {
  constructor(private readonly own?: { results: readonly LadderOutcome[]; seed: number }) {}

  /** Where the claims are measured, for checkTakeaway. */
  get measuredOn(): string {
    return `the shipped ladder's ${SEEDS.length} seeds${this.own ? " and this notebook's own ladder" : ""}`;
  }

  runsOf(variant: Variant): Run[] {
    const shipped = SEEDS.map((seed) => {
      const { heldOut, finalLoss, lossCurve } = readShippedMetadata(shippedRung(keyOf(variant), seed));
      return { label: `seed ${seed}`, seed, accuracy: heldOut.accuracy, finalLoss, lossCurve };
    });
    if (this.own === undefined) return shipped;
    const here = resultOf(this.own.results, variant);
    return [...shipped, { label: "this run", seed: this.own.seed, accuracy: here.heldOut.accuracy, finalLoss: here.finalLoss, lossCurve: here.lossCurve }];
  }

  /**
   * One claim per seed (and this run): `holds(x, y, ...)` compares the runs of the variants, in the
   * order given, on the same seed; `measured` says what they measured.
   */
  claims(variants: readonly Variant[], says: string, holds: (...runs: Run[]) => boolean, measured: (...runs: Run[]) => string): Claim[] {
    const runs = variants.map((v) => this.runsOf(v));
    return runs[0].map((run, i) => {
      const sameSeed = runs.map((ofVariant) => ofVariant[i]);
      return { says, holds: holds(...sameSeed), measured: `${run.label}: ${measured(...sameSeed)}` };
    });
  }
}

/** Exact match x minus y in points, from the percentages as printed (one decimal): 0.976, 0.026 -> 95 (97.6 - 2.6). */
export function pointsAhead(x: number, y: number): number {
  const printed = (share: number) => Number((100 * share).toFixed(1));
  return Number((printed(x) - printed(y)).toFixed(1));
}

/** The step at the end of the first stretch of the loss curve whose mean is below `level`; Infinity if none is. */
export function stepsToLoss(curve: LossCurve, level: number): number {
  const first = curve.means.findIndex((loss) => loss < level);
  return first === -1 ? Infinity : (first + 1) * curve.every;
}
