// What a training worker thread runs (started by GradientWorkers, gradient-workers.ts, through
// lib/workers/pool): its own tfjs backend and copy of the model; for each job it loads the shared
// weights and writes the gradients of its shards into shared memory.
import * as v8 from "v8";
import * as vm from "vm";
import * as tf from "@tensorflow/tfjs";
import { parentPort } from "worker_threads";
import { initBackend } from "../fast/backend";
import { Transformer } from "../model";
import { WorkerReply, threadData } from "../workers/pool";
import { GradientsDone, WorkerJob, WorkerSetup, computeShardGradients, weightLayout } from "./shards";

const send = (reply: GradientsDone | WorkerReply) => parentPort!.postMessage(reply);

/** Every this many steps the worker collects its garbage before it reports its heap, so that the heap reported then is what is alive. */
const HEAP_SAMPLE_EVERY = 250;

/** V8's full garbage collection, made callable in this thread without starting node with --expose-gc. */
function garbageCollector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

async function main(): Promise<void> {
  const setup = threadData<WorkerSetup>();
  await initBackend(setup.backend);
  const model = new Transformer(setup.modelConfig);
  const variables = Object.values(model.namedWeights());
  const { slots, total } = weightLayout(model.namedWeights());
  const weights = new Float32Array(setup.weights);
  const shardCount = setup.gradients.byteLength / 4 / total;
  const gradients = Array.from({ length: shardCount }, (_, s) => new Float32Array(setup.gradients, s * total * 4, total));

  const collectGarbage = garbageCollector();
  parentPort!.on("message", (job: WorkerJob) => {
    try {
      const started = performance.now();
      slots.forEach(({ shape, offset, size }, i) => {
        tf.tidy(() => variables[i].assign(tf.tensor(weights.slice(offset, offset + size), shape)));
      });
      const loaded = performance.now();
      const losses = job.shards.map(({ index, batch }) => computeShardGradients(model, batch, job.tokenCount, gradients[index]));
      if (job.step % HEAP_SAMPLE_EVERY === 0) collectGarbage();
      const timing = {
        loadMs: loaded - started,
        gradientMs: performance.now() - loaded,
        numTensors: tf.memory().numTensors,
        heapMB: v8.getHeapStatistics().used_heap_size / 2 ** 20,
      };
      send({ type: "done", losses, timing });
    } catch (error) {
      send({ type: "error", message: (error as Error).message });
    }
  });
  send({ type: "ready" });
}

main().catch((error) => send({ type: "error", message: (error as Error).message }));
