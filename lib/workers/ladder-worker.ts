// What a ladder worker thread runs (started by LadderThreads, lib/ladder/run-ladder.ts, through the
// pool): its own tfjs backend; it trains each variant it is sent and sends back progress and the result.
import { parentPort } from "worker_threads";
import { BackendName, initBackend } from "../fast/backend";
import { trainVariant } from "../ladder/train-variant";
import { LadderJob, LadderReply } from "../ladder/variants";
import { threadData } from "./pool";

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
