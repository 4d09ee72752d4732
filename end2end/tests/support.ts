import { test as base, expect, type Page } from "@playwright/test";

/// Fails a page whose scripts threw (a hydration mismatch or a panic in the wasm bundle shows
/// up here first, often while the page still looks right).
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // A panic in the wasm bundle, or a script or style the page's Content-Security-Policy blocked.
    const text = message.text();
    if (message.type() === "error" && (text.includes("panicked") || text.includes("Content Security Policy"))) errors.push(text);
  });
  return errors;
}

/// Playwright's `test`, with every test's page watched by `watchForErrors`.
export const test = base.extend<{ scriptErrors: string[] }>({
  scriptErrors: [
    async ({ page }, use) => {
      const errors = watchForErrors(page);
      await use(errors);
      expect(errors, "errors thrown by the page's scripts").toEqual([]);
    },
    { auto: true },
  ],
});


/// Waits, when JavaScript is on, until Leptos has hydrated the page, so clicks go through
/// client-side actions rather than plain form posts.
export async function hydrated(page: Page, javaScriptEnabled: boolean | undefined) {
  if (javaScriptEnabled !== false) {
    await expect(page.locator("body[data-hydrated]")).toBeAttached();
  }
}

/// Opens a page and waits for hydration (see `hydrated`).
export async function open(page: Page, path: string, javaScriptEnabled: boolean | undefined) {
  const response = await page.goto(path);
  await hydrated(page, javaScriptEnabled);
  return response;
}

/// A title no other test run has used, so tests can share one database.
export function uniqueTitle(label: string): string {
  return `${label} ${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}
