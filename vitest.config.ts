import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the `@tunekit/source`
// export condition, so tests never need a build first.
const conditions = ["@tunekit/source", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["node", "import"] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One temporary folder per run, removed at the end (tests' scratch folders go with it).
    globalSetup: ["./scripts/vitest-temp-dir.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: ["**/*.parity.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: { name: "parity", include: ["packages/*/src/**/*.parity.test.ts"] },
      },
    ],
  },
});
