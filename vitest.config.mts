import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Unit tests stay well under this; notebook tests set their own, longer timeouts per test.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests inside a file run one after another (no `concurrent`), so tests/notebooks.test.ts starts
    // one kernel at a time while the other test files share the remaining workers.
  },
});
