import { defineConfig } from "vitest/config";

// End-to-end suites (real git pushes, real daemons) are named *.e2e.test.ts;
// `npm run test:fast` leaves them out.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/fixtures/**", "node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    pool: "forks",
    maxWorkers: 2,
  },
});
