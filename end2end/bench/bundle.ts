import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "@playwright/test";
import { open, test } from "../tests/support";

// What the browser downloads of the app's code (wasm and JavaScript under /pkg/) to show and
// hydrate each page, counted as the bytes on the wire (compressed), with an empty cache. Goal P5
// of issue 19: at most 120 KB on every main page. Pages are drawn by the server and only their
// islands hydrate; all islands share one file, so every page downloads the same bundle.

const backend = process.env.BACKEND ?? "sqlite";
const pages = ["/", "/tasks/new", "/tasks/deleted", "/activity", "/database", "/learn", "/learn/statistics"];

test(`the browser bundle each page downloads, on ${backend}`, async ({ browser }, testInfo) => {
  const rows: { page: string; files: number; wireBytes: number; encodings: string[] }[] = [];
  for (const pagePath of pages) {
    // A fresh context per page: nothing cached from the page before.
    const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
    const page = await context.newPage();
    const fetched: Promise<{ bytes: number; encoding: string }>[] = [];
    page.on("requestfinished", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/pkg/") && /\.(wasm|js)$/.test(url.pathname)) {
        fetched.push(
          (async () => {
            const response = await request.response();
            return { bytes: (await request.sizes()).responseBodySize, encoding: response?.headers()["content-encoding"] ?? "identity" };
          })(),
        );
      }
    });
    // The live stream never lets the network go idle, so the count is taken once the page is
    // hydrated and its last responses are in.
    await open(page, pagePath, true);
    await page.waitForTimeout(1_000);
    const files = await Promise.all(fetched);
    expect(files.length, `${pagePath} loads the bundle`).toBeGreaterThan(0);
    rows.push({
      page: pagePath,
      files: files.length,
      wireBytes: files.reduce((sum, file) => sum + file.bytes, 0),
      encodings: [...new Set(files.map((file) => file.encoding))],
    });
    await context.close();
  }
  const width = Math.max(...rows.map((row) => row.page.length));
  console.log(
    ["", `${"page".padEnd(width)}  files  KB on the wire  encodings`, ...rows.map((row) => `${row.page.padEnd(width)}  ${String(row.files).padStart(5)}  ${(row.wireBytes / 1000).toFixed(1).padStart(13)}  ${row.encodings.join(", ")}`)].join("\n"),
  );
  const file = path.resolve(__dirname, "..", "test-results", `bundle-${backend}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  await testInfo.attach(`bundle-${backend}.json`, { path: file, contentType: "application/json" });
});
