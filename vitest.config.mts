import os from "node:os";
import { defineConfig } from "vitest/config";

// Tests that start kernels, browsers or other processes, or run for thousands of steps (memory); everything
// else is a unit test of lib (`npm run test:unit` runs only those). Add a new such file here.
const INTEGRATION = ["notebooks", "results", "browser", "build-site", "scripts", "notebook-tools", "resume", "solutions", "bundle", "kernel-errors", "kernel-status", "start-stop", "memory"].map((name) => `tests/${name}.test.ts`);
// Unit tests that need tfjs fresh, before any other file started a backend (they check what initBackend changes).
const FRESH_TFJS = ["backend"].map((name) => `tests/${name}.test.ts`);

export default defineConfig({
  test: {
    // Unit tests stay well under this; notebook tests set their own, longer timeouts per test.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One file per core at a time (vitest's default leaves a core free, which on a 2-core machine
    // runs every file one after another). Tests inside a file run one after another (no
    // `concurrent`), so tests/notebooks.test.ts starts one kernel at a time.
    maxWorkers: Math.max(2, os.availableParallelism()),
    projects: [
      // isolate: false: the unit files share one module cache, so tfjs and its wasm backend load once
      // per worker instead of once per file (that loading was a large share of the unit tests' CPU time).
      { extends: true, test: { name: "unit", include: ["tests/**/*.test.ts"], exclude: [...INTEGRATION, ...FRESH_TFJS], isolate: false } },
      { extends: true, test: { name: "unit-fresh-tfjs", include: FRESH_TFJS } },
      { extends: true, test: { name: "integration", include: INTEGRATION } },
    ],
  },
});
