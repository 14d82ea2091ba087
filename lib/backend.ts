// Which tfjs backend runs the course: wasm (fast, installs offline from npm) or cpu (pure JS).
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export type BackendName = "wasm" | "cpu";

/** Selects the backend once. Order: the argument, then $TFJS_BACKEND, then wasm with cpu as fallback. */
export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  const wanted = preferred ?? (process.env.TFJS_BACKEND as BackendName | undefined);
  if (wanted !== undefined && wanted !== "wasm" && wanted !== "cpu") {
    throw new Error(`Unknown backend "${wanted}": expected "wasm" or "cpu".`);
  }
  tf.enableProdMode();
  for (const name of wanted ? [wanted] : (["wasm", "cpu"] as BackendName[])) {
    if (tf.getBackend() === name) return name;
    if (await tf.setBackend(name)) {
      await tf.ready();
      return name;
    }
    console.warn(`tfjs backend "${name}" did not start; trying the next one.`);
  }
  throw new Error(`tfjs backend "${wanted}" could not start.`);
}
