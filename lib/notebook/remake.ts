// Tensors that one notebook cell hands to later cells. The cell makes them through remake() under a
// name; when the cell runs again, what it made under that name before is disposed, so re-running a
// cell (or the whole notebook) does not pile up tensors:
//     const x = remake("x", () => tf.randomNormal([1, 5, 32]).mul(2)); // [B, T, D]
//     const mha = remake("mha", () => new MultiHeadAttention({ dModel: 32, numHeads: 4 }, rng));
import * as tf from "@tensorflow/tfjs";

// On globalThis rather than in this module: tslab loads lib files afresh when they change and an
// import cell runs again, and the tensors made before that must still be found.
const STORE = Symbol.for("attention-workshop/remade");

function madeByName(): Map<string, object> {
  const holder = globalThis as unknown as { [STORE]?: Map<string, object> };
  if (holder[STORE] === undefined) holder[STORE] = new Map();
  return holder[STORE];
}

/**
 * Runs `make` inside tf.tidy (tensors it creates but does not return are disposed) and returns its
 * result: a tensor, or an array, object or layer holding tensors and variables. Every tensor made
 * under `name` before is disposed, unless `make` returned the very same value again.
 */
export function remake<T extends object>(name: string, make: () => T): T {
  const value = tf.tidy(make as unknown as () => tf.TensorContainer) as unknown as T;
  const made = madeByName();
  const previous = made.get(name);
  if (previous !== undefined && previous !== value) tf.dispose(previous as tf.TensorContainer);
  made.set(name, value);
  return value;
}
