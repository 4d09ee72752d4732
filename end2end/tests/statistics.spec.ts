import { expect, type Page, type APIRequestContext, type TestInfo } from "@playwright/test";
import { open, test, uniqueTitle } from "./support";

/// The two positions the page's staleness line names: refreshed at change N, now at change M.
async function staleness(page: Page): Promise<{ refreshedAt: number; now: number }> {
  const line = page.locator(".statistics-staleness");
  await expect(line).toContainText(/Refreshed at change \d+, now at change \d+/);
  const [, refreshedAt, now] = (await line.innerText()).match(/Refreshed at change (\d+), now at change (\d+)/)!;
  return { refreshedAt: Number(refreshedAt), now: Number(now) };
}

/// The statistics page end to end: figures and chart drawn by the server, a refresh on demand,
/// and the staleness line moving when the log gains a change the stored figures have not seen.
async function statisticsFlow(page: Page, request: APIRequestContext, javaScriptEnabled: boolean | undefined, testInfo: TestInfo) {
  await open(page, "/learn", javaScriptEnabled);
  await page.getByRole("link", { name: "Materialized views" }).click();
  await expect(page.getByRole("heading", { name: "Materialized views: the board's statistics", level: 1 })).toBeVisible();
  const outcome = page.getByRole("region", { name: "The figures, as stored" });
  await expect(outcome.getByRole("heading", { name: "Live tasks per status" })).toBeVisible();
  await expect(outcome.getByRole("heading", { name: "Changes per person" })).toBeVisible();
  await expect(outcome.getByRole("heading", { name: "Median time from created to done" })).toBeVisible();
  await expect(outcome.locator(".statistics-status tbody tr").first()).toBeVisible();

  const chart = outcome.getByRole("img", { name: /Changes per day/ });
  await expect(chart).toBeVisible();
  await expect(chart.locator("rect.chart-bar")).toHaveCount(30);
  await expect(chart.locator("rect.chart-bar title").last()).toHaveText(/^\d{4}-\d{2}-\d{2}: \d+ changes?$/);

  await page.getByRole("button", { name: "Refresh now" }).click();
  await expect(page).toHaveURL(/refresh=\d+/);
  await expect(outcome).toContainText("on demand (by this page view)");
  const fresh = await staleness(page);
  expect(fresh.refreshedAt, "a refresh on demand catches up with the log").toBe(fresh.now);
  await expect(outcome.locator(".statements-run pre").first()).toBeVisible();
  await testInfo.attach("statistics refreshed", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  const created = await request.post("/api/create_task", { form: { title: uniqueTitle("Counted") }, headers: { Accept: "application/json" } });
  expect(created.ok()).toBe(true);
  await open(page, "/learn/statistics", javaScriptEnabled);
  const later = await staleness(page);
  expect(later.refreshedAt, "the stored figures stay where they were refreshed").toBe(fresh.refreshedAt);
  expect(later.now, "the log has moved on").toBeGreaterThan(fresh.now);
  await expect(page.locator(".statistics-staleness")).toContainText(`${later.now - later.refreshedAt} change(s) behind`);

  await page.getByRole("button", { name: "Compute from the log as well" }).click();
  await expect(page).toHaveURL(/compare=\d+/);
  await expect(page.getByRole("region", { name: "The figures, as stored" })).toContainText("Computed from the log now, the figures differ from the stored ones");
  await expect(page.getByRole("row", { name: /compute the figures from the log \d+\.\d+ ms/ })).toBeVisible();
  await testInfo.attach("statistics compared with the log", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  const another = await request.post("/api/create_task", { form: { title: uniqueTitle("Counted too") }, headers: { Accept: "application/json" } });
  const { position } = await another.json();
  if (javaScriptEnabled !== false) {
    // Hydrated, the page hears of the change on its live stream, and its forms name it.
    await expect(page.locator('input[name="refresh"]')).toHaveValue(String(position));
  }
  await page.getByRole("button", { name: "Refresh now" }).click();
  await expect(page).toHaveURL(/refresh=\d+/);
  await expect(page.locator(".statistics-staleness")).toContainText("0 change(s) behind");
  const caughtUp = await staleness(page);
  expect(caughtUp.refreshedAt).toBe(caughtUp.now);
  expect(caughtUp.now).toBeGreaterThanOrEqual(position);
}

test("[js] the statistics page draws the stored figures, refreshes them on demand and says how stale they are", async ({ page, request, javaScriptEnabled }, testInfo) => {
  await statisticsFlow(page, request, javaScriptEnabled, testInfo);
});

test("[no-js] the statistics page draws the stored figures, refreshes them on demand and says how stale they are", async ({ page, request, javaScriptEnabled }, testInfo) => {
  await statisticsFlow(page, request, javaScriptEnabled, testInfo);
});
