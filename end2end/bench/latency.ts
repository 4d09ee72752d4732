import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "@playwright/test";
import { open, test, uniqueTitle } from "../tests/support";

// How long a write takes to show up in another open browser (one tab, and the last of twenty tabs
// in one browser), compared with how long the write itself takes. Both clocks are `timeOrigin + now()`: wall-clock based and sub-millisecond in
// Node and in Chromium alike, so instants from the two processes on one machine compare. Both
// use the global `performance`: an imported one would be renamed by the transpiler inside the
// functions sent to the page, where it does not exist.

const backend = process.env.BACKEND ?? "sqlite";
const writes = Number(process.env.BENCH_WRITES ?? "60");

interface Sample {
  title: string;
  writeMs: number;
  visibleMs: number;
}

/// Nearest-rank percentile.
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const tabCounts = [1, Number(process.env.BENCH_TABS ?? "20")];

for (const tabCount of tabCounts) {
  test(`write-to-visible latency on ${backend}, ${tabCount} tab(s) in one browser`, async ({ page }, testInfo) => {
    expect(Number.isInteger(writes) && writes > 0, `BENCH_WRITES must be a positive whole number`).toBe(true);
    expect(Number.isInteger(tabCount) && tabCount > 0, `BENCH_TABS must be a positive whole number`).toBe(true);
    const baseURL = testInfo.project.use.baseURL;
    expect(baseURL, "baseURL from the main playwright.config.ts").toBeTruthy();

    const prefix = uniqueTitle("bench");
    // Every tab of one browser context, as a person with many tabs open has them. Each records
    // the first moment each benchmark title is in its list's DOM. A whole scan per mutation batch
    // also catches rows the list re-renders rather than appends.
    const tabs = [page];
    for (let n = 1; n < tabCount; n++) tabs.push(await page.context().newPage());
    for (const tab of tabs) {
      await open(tab, "/", true);
      await expect(tab.locator(".live-indicator")).toHaveAttribute("data-state", "live");
      await tab.evaluate((prefix) => {
        const seen: Record<string, number> = {};
        (window as any).__seen = seen;
        new MutationObserver(() => {
          const now = performance.timeOrigin + performance.now();
          for (const link of document.querySelectorAll("li.task-row a.task-title")) {
            const title = link.textContent?.trim() ?? "";
            if (title.startsWith(prefix) && !(title in seen)) seen[title] = now;
          }
        }).observe(document.body, { childList: true, subtree: true, characterData: true });
      }, prefix);
    }

    const samples: Sample[] = [];
    for (let n = 1; n <= writes; n++) {
      const title = `${prefix} #${n}`;
      const t0 = performance.timeOrigin + performance.now();
      // Plain fetch rather than Playwright's request context, whose extra hop would inflate the
      // baseline the visible latency is compared with.
      const response = await fetch(new URL("/api/create_task", baseURL), {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ title, status: "todo", priority: "0", actor: "bench" }),
      });
      const t1 = performance.timeOrigin + performance.now();
      expect(response.ok, `write ${n} answered ${response.status}: ${await response.text()}`).toBe(true);
      // Visible means visible in the last tab to show it.
      let lastSeen = 0;
      for (const tab of tabs) {
        const seenAt = await tab.waitForFunction((title) => (window as any).__seen[title], title, { timeout: 15_000 });
        lastSeen = Math.max(lastSeen, (await seenAt.jsonValue()) as number);
      }
      samples.push({ title, writeMs: t1 - t0, visibleMs: lastSeen - t0 });
    }
    for (const tab of tabs) {
      const seenCount = await tab.evaluate(() => Object.keys((window as any).__seen).length);
      expect(seenCount, "every write became visible in every tab").toBe(writes);
    }
    for (const tab of tabs.slice(1)) await tab.close();

    const write = samples.map((sample) => sample.writeMs);
    const visible = samples.map((sample) => sample.visibleMs);
    const result = {
      backend,
      baseURL,
      tabs: tabCount,
      writes,
      write_round_trip_ms: { p50: percentile(write, 50), p95: percentile(write, 95) },
      write_to_visible_ms: { p50: percentile(visible, 50), p95: percentile(visible, 95) },
      ratio_visible_to_write: {
        p50: percentile(visible, 50) / percentile(write, 50),
        p95: percentile(visible, 95) / percentile(write, 95),
      },
      samples,
    };

    const rows: [string, string][] = [
      ["backend", backend],
      ["tabs in one browser", String(tabCount)],
      ["writes", String(writes)],
      ["write round trip p50 / p95 (ms)", `${result.write_round_trip_ms.p50.toFixed(1)} / ${result.write_round_trip_ms.p95.toFixed(1)}`],
      ["write-to-visible p50 / p95 (ms)", `${result.write_to_visible_ms.p50.toFixed(1)} / ${result.write_to_visible_ms.p95.toFixed(1)}`],
      ["visible ÷ write at p50 / p95", `${result.ratio_visible_to_write.p50.toFixed(2)} / ${result.ratio_visible_to_write.p95.toFixed(2)}`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(["", ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`)].join("\n"));

    const file = path.resolve(__dirname, "..", "test-results", `latency-${backend}-${tabCount}-tabs.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    await testInfo.attach(`latency-${backend}-${tabCount}-tabs.json`, { path: file, contentType: "application/json" });
  });
}
