// Which tfjs backend runs the course: wasm (fast, installs offline from npm) or cpu (pure JS).
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export type BackendName = "wasm" | "cpu";

const BACKENDS: readonly BackendName[] = ["wasm", "cpu"];

/**
 * Selects the backend. Order: the argument, then $TFJS_BACKEND (empty counts as unset), then
 * wasm with cpu as fallback. Returns the name of the backend now running.
 */
export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  const fromEnv = process.env.TFJS_BACKEND || undefined;
  const wanted = preferred ?? fromEnv;
  if (wanted !== undefined && !BACKENDS.includes(wanted as BackendName)) {
    const source = preferred === undefined ? "$TFJS_BACKEND" : "initBackend()";
    throw new Error(`Unknown backend "${wanted}" from ${source}: expected "wasm" or "cpu".`);
  }
  tf.enableProdMode(); // before the first tensor: no "install tfjs-node" banner
  const candidates = wanted ? [wanted as BackendName] : BACKENDS;
  for (const name of candidates) {
    if (tf.getBackend() === name || (await tf.setBackend(name))) {
      await tf.ready();
      if (name === "wasm") shareDataInWasmIdentity();
      return name;
    }
    console.warn(`tfjs backend "${name}" did not start; trying the next one.`);
  }
  throw new Error(`No tfjs backend could start; tried ${candidates.map((b) => `"${b}"`).join(" and ")}.`);
}

/**
 * While gradients are being recorded, tfjs keeps a copy (kernel "Identity") of every tensor a
 * gradient will need, many in every training step. The wasm backend's Identity
 * copies the data; tfjs never changes a tensor's data once made, so the copy may share it, as the
 * cpu backend's Identity does.
 */
function shareDataInWasmIdentity(): void {
  if (tf.getKernel("Identity", "wasm")?.kernelFunc === sharedIdentity) return;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: sharedIdentity });
}

const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const { dataId, shape, dtype } = inputs.x as tf.TensorInfo;
  (backend as tf.KernelBackend).incRef(dataId);
  return { dataId, shape, dtype };
};
