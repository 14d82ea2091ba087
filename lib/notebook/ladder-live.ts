// Notebook 7's ladder trained live: every variant on worker threads (lib/ladder/run-ladder.ts), each
// thread with its own tfjs backend, the longest first; the loss curves redraw as the threads report
// their losses, and a line is printed as each variant finishes.
import * as os from "os";
import { lossCurvesFigure } from "../ladder/readings";
import { runLadder } from "../ladder/run-ladder";
import { LadderSettings, Progress, Variant, VariantResult, lossCurveOf } from "../ladder/variants";
import { livePlot } from "./display";
import { percent } from "./format";

export interface LiveLadderOptions {
  threads?: number; // variants trained at once (default: one per core); 0 trains them one after another in this thread
  redrawSeconds?: number; // the loss curves redraw at most this often (default 2)
}

/**
 * Trains the variants and returns their results in the order given. The figure leaves out variants
 * with their own number of steps (a stepsFactor), which would stretch every panel's step axis.
 */
export async function trainLadderLive(variants: readonly Variant[], settings: LadderSettings, options: LiveLadderOptions = {}): Promise<VariantResult[]> {
  const { threads = os.availableParallelism(), redrawSeconds = 2 } = options;
  const curves = new Map(variants.filter((v) => (v.stepsFactor ?? 1) === 1).map((v) => [v.name, [] as number[]]));
  const plot = livePlot();
  const draw = () => plot.update(lossCurvesFigure([...curves].map(([name, losses]) => ({ name, curve: lossCurveOf(losses) }))));
  let lastDrawn = 0;
  const started = Date.now();
  const results = await runLadder(variants, settings, {
    threads,
    onProgress: (progress: Progress) => {
      curves.get(progress.variant)?.push(...progress.losses);
      if (Date.now() - lastDrawn < 1000 * redrawSeconds) return;
      draw();
      lastDrawn = Date.now();
    },
    onResult: (r: VariantResult) => console.log(`${r.variant.name.padEnd(18)} ${r.steps} steps in ` +
      `${r.seconds.toFixed(0).padStart(3)} s; held-out exact match ${percent(r.heldOut.accuracy)}`),
  });
  draw();
  console.log(`The ladder took ${((Date.now() - started) / 1000).toFixed(0)} s ${threads === 0 ? "in this thread" : `on ${threads} threads`}.`);
  return results;
}
