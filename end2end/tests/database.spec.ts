import { expect } from "@playwright/test";
import { open, test } from "./support";

test("the database page shows the guards from the catalog and the database refusing every rewrite", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/", javaScriptEnabled);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Database" }).click();
  await expect(page.getByRole("heading", { name: "Inside the database", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: "task_versions_no_update" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "task_versions_no_delete" })).toBeVisible();
  const versions = Number(await page.locator("#db-version-rows").textContent());
  expect(versions).toBeGreaterThan(0);

  for (const label of ["Rewrite the newest version", "Delete the newest version", "Empty the whole table"]) {
    await page.getByRole("button", { name: label }).click();
    const outcome = page.getByRole("region", { name: `You tried: ${label}` });
    await expect(outcome).toContainText("The database refused it");
    await expect(outcome.locator(".db-message")).toHaveText(/append-only|permission denied/);
    await expect(outcome).toContainText(`before the attempt: ${versions}; after: ${versions}.`);
  }
  // The attempts are POSTs: the address stays the page's own, so a link or crawler can send none.
  await expect(page).toHaveURL(/\/database$/);
  await expect(page.locator("#db-version-rows")).toHaveText(String(versions));
  await testInfo.attach("database page", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});
