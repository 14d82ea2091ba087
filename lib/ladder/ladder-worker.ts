// What a ladder worker thread runs (started by LadderThreads, run-ladder.ts, through
// lib/workers/pool): its own tfjs backend; it trains each variant it is sent and sends back progress and the result.
import { parentPort } from "worker_threads";
import { BackendName, initBackend } from "../fast/backend";
import { threadData } from "../workers/pool";
import { trainVariant } from "./train-variant";
import { LadderJob, LadderReply } from "./variants";

const send = (reply: LadderReply) => parentPort!.postMessage(reply);

async function main(): Promise<void> {
  await initBackend(threadData<{ backend: BackendName }>().backend);
  parentPort!.on("message", async ({ variant, settings }: LadderJob) => {
    try {
      const result = await trainVariant(variant, settings, (progress) => send({ type: "progress", progress }));
      send({ type: "result", result });
    } catch (error) {
      send({ type: "error", message: (error as Error).message });
    }
  });
  send({ type: "ready" });
}

main().catch((error) => send({ type: "error", message: (error as Error).message }));
