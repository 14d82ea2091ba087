// Memorising or generalising? Held-out times and divided-by problems sorted by what could help the
// model answer them (a 0/1 rule, or the mirror fact in the training set), and a plain reading of the
// gap between the facts it trained on and the facts it never saw.
import { Operation, Problem, makeProblem } from "./data";

/** The 0 and 1 rules: anything times 0 or 1; 0 divided by anything, anything divided by 1 or by itself. */
export function isRule(p: Problem): boolean {
  if (p.op === "times") return Math.min(p.a, p.b) <= 1;
  if (p.op === "divided") return p.a === 0 || p.b === 1 || p.result === 1;
  throw new Error(`isRule: only times and divided have fact rules, got "${p.op}".`);
}

/** "b times a" for "a times b"; "a divided by (a / b)" for "a divided by b"; undefined where that is no other problem. */
export function mirrorQuestion(p: Problem): string | undefined {
  if (p.op === "times") return p.a === p.b ? undefined : makeProblem(p.b, "times", p.a).question;
  if (p.op === "divided") return p.result === 0 || p.result === p.b ? undefined : makeProblem(p.a, "divided", p.result).question;
  throw new Error(`mirrorQuestion: only times and divided have mirror facts, got "${p.op}".`);
}

export interface FactGroups {
  op: Operation;
  rules: Problem[]; // held out, a 0 or 1 rule
  mirrorSeen: Problem[]; // held out, not a rule, its mirror is a training problem
  mirrorUnseen: Problem[]; // held out, not a rule, no mirror in training (held out too, or a square)
  trainingFacts: Problem[]; // training problems that are not rules: what the model has at least memorised
}

/** Sorts the held-out problems of `op` ("times" or "divided") into rules, facts with and without a mirror in training. */
export function factGroups(train: readonly Problem[], test: readonly Problem[], op: "times" | "divided"): FactGroups {
  const trainQuestions = new Set(train.map((p) => p.question));
  const heldOut = test.filter((p) => p.op === op);
  const facts = heldOut.filter((p) => !isRule(p));
  const seen = (p: Problem) => { const m = mirrorQuestion(p); return m !== undefined && trainQuestions.has(m); };
  return {
    op,
    rules: heldOut.filter(isRule),
    mirrorSeen: facts.filter(seen),
    mirrorUnseen: facts.filter((p) => !seen(p)),
    trainingFacts: train.filter((p) => p.op === op && !isRule(p)),
  };
}

/** A group this small says little on its own. */
export const FEW = 5;
/** Training facts minus held-out facts, in exact match, from which we call it memorising. */
export const MEMORISING_GAP = 0.15;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * The reading of one operation's groups in plain sentences. `isRight(p)` says whether the model's
 * answer to p is right. The verdict rests on the gap between training facts and held-out facts that
 * are not rules; the mirror and the rules are reported beside it.
 */
export function memorisingReading(groups: FactGroups, isRight: (p: Problem) => boolean): string {
  const share = (ps: readonly Problem[]) => ps.filter(isRight).length / ps.length;
  const heldOutFacts = [...groups.mirrorSeen, ...groups.mirrorUnseen];
  const { op } = groups;
  if (groups.trainingFacts.length === 0 || heldOutFacts.length === 0) {
    return `${op}: no ${groups.trainingFacts.length === 0 ? "training" : "held-out"} facts that are not rules, so there is no gap to read.`;
  }
  const [trained, unseen] = [share(groups.trainingFacts), share(heldOutFacts)];
  const gap = trained - unseen;
  const numbers = `${op}: ${pct(trained)} of the ${groups.trainingFacts.length} facts it trained on (rules left out), ` +
    `${pct(unseen)} of the ${heldOutFacts.length} held-out facts: a gap of ${(100 * gap).toFixed(0)} point${Math.round(100 * gap) === 1 ? "" : "s"}.`;
  let verdict: string;
  if (trained < 0.5) verdict = "It has not yet learned even the facts it trained on: train longer before reading anything into the gap.";
  else if (gap >= MEMORISING_GAP) verdict = "It has memorised the facts it saw far better than it can work out new ones: that gap is memorisation.";
  else if (unseen >= 0.8) verdict = "It answers facts it never saw almost as well as those it trained on: it has generalised.";
  else verdict = "Training and held-out facts are about equally (un)known: it is still learning both.";
  const mirror = groups.mirrorSeen.length >= FEW && groups.mirrorUnseen.length >= FEW
    ? ` Held-out facts whose mirror it trained on: ${pct(share(groups.mirrorSeen))} (${groups.mirrorSeen.length}); with no mirror in training: ${pct(share(groups.mirrorUnseen))} (${groups.mirrorUnseen.length}).`
    : ` The smaller mirror group holds ${count(Math.min(groups.mirrorSeen.length, groups.mirrorUnseen.length), "held-out fact")}, too few to compare facts with and without a mirror in training.`;
  const rules = groups.rules.length ? ` The 0 and 1 rules: ${pct(share(groups.rules))} of ${groups.rules.length} held-out problems.` : "";
  return `${numbers} ${verdict}${mirror}${rules}`;
}
