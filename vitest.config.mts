import { defineConfig } from "vitest/config";

// Tests that start kernels, browsers or other processes; everything else is a unit test of lib
// (`npm run test:unit` runs only those). Add a new such file here.
const INTEGRATION = ["notebooks", "browser", "build-site", "scripts", "notebook-tools", "resume", "solutions", "bundle", "kernel-errors"].map((name) => `tests/${name}.test.ts`);

export default defineConfig({
  test: {
    // Unit tests stay well under this; notebook tests set their own, longer timeouts per test.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests inside a file run one after another (no `concurrent`), so tests/notebooks.test.ts starts
    // one kernel at a time while the other test files share the remaining workers.
    projects: [
      { extends: true, test: { name: "unit", include: ["tests/**/*.test.ts"], exclude: INTEGRATION } },
      { extends: true, test: { name: "integration", include: INTEGRATION } },
    ],
  },
});
