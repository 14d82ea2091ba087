// A child process for tests/resume.test.ts, which kills it with SIGKILL part-way. Two jobs:
//   tsx scripts/resume-probe.ts train '<json ProbeSettings>'   trains with checkpoints; prints {"step","loss"} per step
//   tsx scripts/resume-probe.ts save '<json ProbeSettings>'    saves the same trainer again and again; prints {"saving"}
//                                                              before and {"saved"} after each save (stamped as step n)
import { initBackend } from "../lib/backend";
import { allProblems, splitProblems } from "../lib/data";
import { ModelConfig, Transformer } from "../lib/model";
import { TrainConfig, Trainer, runTraining } from "../lib/train";

export interface ProbeSettings {
  model: Partial<ModelConfig>;
  train: Partial<TrainConfig>;
  splitSeed: number; // the training problems are splitProblems(allProblems(), 0.1, splitSeed).train
  checkpointPath: string;
  checkpointEvery: number;
  stepDelayMs: number; // a pause after every step, so that the test's kill lands part-way
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const report = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`); // a pipe: written before the next statement

async function main(): Promise<void> {
  const [job, json] = process.argv.slice(2);
  if ((job !== "train" && job !== "save") || !json) throw new Error("usage: tsx scripts/resume-probe.ts train|save '<json settings>'");
  const settings: ProbeSettings = JSON.parse(json);
  await initBackend();
  const trainer = new Trainer(new Transformer(settings.model), splitProblems(allProblems(), 0.1, settings.splitSeed).train, settings.train);
  if (job === "train") {
    await runTraining(trainer, {
      checkpointPath: settings.checkpointPath,
      checkpointEvery: settings.checkpointEvery,
      onStep: ({ step, loss }) => {
        report({ step, loss });
        pause(settings.stepDelayMs);
      },
    });
    report({ done: trainer.step });
  } else {
    for (let n = 1; ; n++) {
      trainer.step = n;
      report({ saving: n });
      trainer.save(settings.checkpointPath);
      report({ saved: n });
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
