import { expect } from "@playwright/test";
import { test } from "./support";

test("[js] the API reference draws every operation from the live OpenAPI document", async ({ page }, testInfo) => {
  const document = await (await page.request.get("/api/v1/openapi.json")).json();
  const operations = Object.values(document.paths as Record<string, object>).reduce((sum, ops) => sum + Object.keys(ops).length, 0);
  await page.goto("/api/v1/docs");
  await expect(page.getByRole("heading", { name: "The HTTP API", level: 1 })).toBeVisible();
  await expect(page.locator(".opblock")).toHaveCount(operations);
  await expect(page.locator(".opblock-summary-path").filter({ hasText: "/api/v1/tasks/{id}/versions/{a}/diff/{b}" })).toBeVisible();
  // Every problem type a response names is explained where its URI points.
  await expect(page.locator("#problem-stale")).toContainText("412");
  await testInfo.attach("API reference", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});
