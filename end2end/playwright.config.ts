import { execSync } from "node:child_process";
import { defineConfig } from "@playwright/test";

// Real Chromium from the system package; Playwright's own browser download is unreachable here.
// A missing browser is a failure, never a skip.
function systemChromium(): string {
  try {
    return execSync("command -v chromium", { shell: "/bin/sh" }).toString().trim();
  } catch {
    throw new Error("chromium is not installed: run scripts/install.sh --with-test-tools");
  }
}

const backend = process.env.BACKEND ?? "sqlite";

/// The titles a project must not run: those tagged for the other project, and PostgreSQL-only
/// tests when the backend is SQLite.
function notFor(otherProject: RegExp): RegExp[] {
  return backend === "postgres" ? [otherProject] : [otherProject, /\[postgres\]/];
}

export default defineConfig({
  testDir: "./tests",
  outputDir: `test-results/${backend}`,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [["list"], ["html", { open: "never", outputFolder: `playwright-report/${backend}` }]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: systemChromium(),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // Every flow runs twice: hydrated, and as plain HTML forms with JavaScript off. A title tagged
  // [js] or [no-js] belongs to one of the two; [postgres] needs what only PostgreSQL has
  // (NOTIFY reaching a second server process), so it is left out of the SQLite run.
  projects: [
    { name: `${backend}-js`, use: { javaScriptEnabled: true }, grepInvert: notFor(/\[no-js\]/) },
    { name: `${backend}-no-js`, use: { javaScriptEnabled: false }, grepInvert: notFor(/\[js\]/) },
  ],
});
