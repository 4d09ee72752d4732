import { defineConfig } from "@playwright/test";
import main from "../playwright.config";

// The latency benchmark: `npx playwright test --config bench/playwright.config.ts` against a
// server already running at BASE_URL. Same browser and server address as the end-to-end tests.

const backend = process.env.BACKEND ?? "sqlite";

export default defineConfig({
  testDir: ".",
  testMatch: ["latency.ts", "bundle.ts"],
  // Its own folder: Playwright empties the output folder on every run.
  outputDir: `../test-results/bench-${backend}`,
  timeout: 5 * 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [["list"]],
  use: {
    baseURL: main.use?.baseURL,
    launchOptions: main.use?.launchOptions,
    trace: "retain-on-failure",
  },
  projects: [{ name: `${backend}-latency`, use: { javaScriptEnabled: true } }],
});
