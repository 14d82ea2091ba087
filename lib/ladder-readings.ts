// What the heads and layer rungs of notebook 7's ladder say, as sentences for the run in front of
// the learner: every case the results can fall into gets its own wording.
import { LadderOutcome } from "./experiments";

/** Differences below this many points of held-out exact match count as "about the same". */
export const NOISE_POINTS = 3;

/** Below this held-out exact match for every variant compared, their differences mean nothing yet. */
export const UNTRAINED_ACCURACY = 0.2;

/** The one line to print instead of a reading when every variant compared is still guessing. */
function untrainedLine(results: LadderOutcome[], about: string): string | undefined {
  const best = Math.max(...results.map((r) => r.heldOut.accuracy));
  if (best >= UNTRAINED_ACCURACY) return undefined;
  return `None of these variants answers ${100 * UNTRAINED_ACCURACY}% of the held-out problems yet (the best: ${(100 * best).toFixed(1)}%), ` +
    `so their differences say nothing about ${about} yet: raise STEPS.`;
}

/** Points of held-out exact match by which `a` is ahead of `b` (negative: behind). */
export function pointsAhead(a: LadderOutcome, b: LadderOutcome): number {
  return 100 * (a.heldOut.accuracy - b.heldOut.accuracy);
}

const points = (x: number) => `${Math.abs(x).toFixed(1)} points`;
const aheadOrBehind = (x: number) => `${x >= 0 ? "ahead by" : "behind by"} ${points(x)}`;
type HeadsVerdict = "same" | "four" | "one";

function headsVerdict(four: LadderOutcome, one: LadderOutcome, noise: number): HeadsVerdict {
  const gap = pointsAhead(four, one);
  return Math.abs(gap) < noise ? "same" : gap > 0 ? "four" : "one";
}

/**
 * Four heads against one at the full width (`wide`) and at a narrow one (`narrow`), each pair
 * [four heads, one head]: a line per width, then what the two together suggest. A pair in which
 * neither model has learned (both below UNTRAINED_ACCURACY) is not compared.
 */
export function headsReading(wide: [LadderOutcome, LadderOutcome], narrow: [LadderOutcome, LadderOutcome], noise = NOISE_POINTS): string[] {
  const untrained = untrainedLine([...wide, ...narrow], "heads");
  if (untrained) return [untrained];
  const dh = (r: LadderOutcome) => r.config.dModel / r.config.numHeads;
  const line = ([four, one]: [LadderOutcome, LadderOutcome], verdict: HeadsVerdict | "untrained") => {
    if (verdict === "untrained") {
      const best = Math.max(four.heldOut.accuracy, one.heldOut.accuracy);
      return `At D ${four.config.dModel}, neither model has learned enough to compare: both answer under ${100 * UNTRAINED_ACCURACY}% of the held-out problems (the better: ${(100 * best).toFixed(1)}%).`;
    }
    const what = { same: "one head does about as well as four", four: "four heads do better than one", one: "one head does better than four" }[verdict];
    return `At D ${four.config.dModel}, ${what} in this run: 4 heads of Dh ${dh(four)} ${aheadOrBehind(pointsAhead(four, one))} against 1 head of Dh ${dh(one)}.`;
  };
  const verdictOf = (pair: [LadderOutcome, LadderOutcome]): HeadsVerdict | "untrained" =>
    Math.max(pair[0].heldOut.accuracy, pair[1].heldOut.accuracy) < UNTRAINED_ACCURACY ? "untrained" : headsVerdict(...pair, noise);
  const [w, n] = [verdictOf(wide), verdictOf(narrow)];
  const thin = dh(narrow[0]);
  const why =
    w === "untrained" ? `At the full width neither model has learned yet, so this run says nothing about heads there: raise STEPS.`
    : n === "untrained" ? `So this run cannot tell whether the full-width result comes from the number of heads or from their width: at this budget the narrow models have not learned yet (the README compares them over 5,000 steps).`
    : n === "one" ? `Split four ways, each narrow head has only ${thin} numbers for its queries and keys: here the width of each head matters more than the number of heads.`
    : n === "four" && w === "four" ? "More heads do better at both widths in this run."
    : n === "four" ? "Several heads help only once the model is narrow: at the full width one wide head is enough for this task."
    : w === "same" ? "At both widths the number of heads hardly matters in this run: one head's softmax can spread its weight over several tokens, so one head may read all the answer needs."
    : "The narrow pair does not repeat the full-width difference, so this run cannot say whether it comes from the number of heads or from their width.";
  return [line(wide, w), line(narrow, n), why];
}

/**
 * Two layers against one at equal steps, and against one layer given twice the steps (about the
 * same cost): the two measured gaps, then what they mean together.
 */
export function depthReading(twoLayers: LadderOutcome, oneLayer: LadderOutcome, oneLayerLonger: LadderOutcome, noise = NOISE_POINTS): string[] {
  const untrained = untrainedLine([twoLayers, oneLayer, oneLayerLonger], "depth");
  if (untrained) return [untrained];
  const [sameSteps, sameCost] = [pointsAhead(twoLayers, oneLayer), pointsAhead(twoLayers, oneLayerLonger)];
  const facts = `At equal steps two layers are ${aheadOrBehind(sameSteps)}; against one layer given twice the steps they are ${aheadOrBehind(sameCost)}.`;
  const meaning =
    sameSteps <= -noise ? "So in this run one layer learns faster than two: at this budget the second layer costs more than it buys. Whether depth pays with many more steps, this budget cannot tell (the README has longer runs)."
    : sameSteps < noise ? `So in this run the second layer buys nothing measurable at equal steps (less than ${noise} points).`
    : sameCost <= -noise ? `So in this run depth speeds learning up per step but not per unit of work: given the steps a second layer would cost, one layer does better, by ${points(sameCost)}.`
    : sameCost < noise ? `So in this run depth mostly speeds learning up: given the steps a second layer would cost, one layer catches up (to within ${noise} points).`
    : "So in this run depth matters beyond speed: even with twice the steps, one layer stays behind. Whether it catches up with many more steps, this budget cannot tell (the README has longer runs).";
  return [facts, meaning];
}

/**
 * The course model (weights started at 1/√fan-in) against the same model started at GPT-2's
 * spread of 0.02, after the same steps: the gap, and what it says about where weights start.
 */
export function initReading(fanIn: LadderOutcome, gpt2: LadderOutcome, noise = NOISE_POINTS): string[] {
  const untrained = untrainedLine([fanIn, gpt2], "the starting weights");
  if (untrained) return [untrained];
  const D = fanIn.config.dModel;
  const smaller = `At D ${D}, GPT-2's 0.02 is ${(1 / Math.sqrt(D) / 0.02).toFixed(1)} times smaller than 1/√D.`;
  const gap = pointsAhead(fanIn, gpt2);
  const meaning =
    gap >= noise ? `Started at 1/√fan-in, the model is ahead by ${points(gap)} after the same steps: where the weights start still matters at this budget.`
    : gap > -noise ? `The two starts end within ${noise} points of each other (${aheadOrBehind(gap)} for 1/√fan-in): at this budget the start makes no measurable difference.`
    : `GPT-2's start does better in this run, by ${points(gap)}.`;
  return [smaller, meaning];
}
