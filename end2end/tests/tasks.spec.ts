import { expect } from "@playwright/test";
import { open, test, uniqueTitle } from "./support";

test("the list holds the seeded story, read from the read model", async ({ page, javaScriptEnabled }) => {
  // Found by title: by the time this runs the other tests' tasks fill the first page.
  await open(page, "/?q=append-only+trigger", javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Tasks", level: 1 })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Write the append-only trigger" })).toBeVisible();
  await expect(page.getByText("task_current", { exact: true })).toBeVisible();
  // Deleted at v2, restored at v3: back in the list. The pizza task stays deleted.
  await open(page, "/?q=time-travel+demo", javaScriptEnabled);
  await expect(page.getByRole("listitem").filter({ hasText: "Prepare the time-travel demo" })).toContainText("v3");
  await open(page, "/?q=pizza", javaScriptEnabled);
  await expect(page.getByText("No tasks here.")).toBeVisible();
  await expect(page.getByText("Order pizza for the workshop")).toHaveCount(0);
});

test("a created task appears in the list and is still there after a reload", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/", javaScriptEnabled);
  const title = uniqueTitle(`Buy <b>milk</b> & "eggs" <script>alert(1)</script>`);

  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Description").fill("Two litres");
  await page.getByLabel("Status").selectOption("in_progress");
  await page.getByLabel("Priority (0–5)").fill("4");
  await page.getByLabel("Due date").fill("2026-12-24");
  await page.getByLabel("Your name").fill("playwright");
  await page.getByRole("button", { name: "Create task" }).click();

  const row = page.getByRole("listitem").filter({ hasText: title });
  await expect(row).toBeVisible();
  await page.reload();
  await expect(row).toBeVisible();
  await expect(row).toContainText("v1");
  await expect(row).toContainText("In progress");
  await expect(row).toContainText("P4");
  await expect(row).toContainText("due 2026-12-24");
  // The title is text, not markup: no <b> or <script> element was created from it.
  await expect(row.locator("b, script")).toHaveCount(0);

  await testInfo.attach("task list", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("filtering by status keeps only matching tasks and lives in the URL", async ({ page, javaScriptEnabled }) => {
  await open(page, "/", javaScriptEnabled);
  await page.getByLabel("Show", { exact: true }).selectOption("done");
  await page.getByLabel("Sort by").selectOption("priority");
  await page.getByRole("button", { name: "Apply" }).click();

  await expect(page).toHaveURL(/status=done/);
  await expect(page).toHaveURL(/sort=priority/);
  await expect(page.getByRole("listitem").filter({ hasText: "Sketch the task version table" })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Write the append-only trigger" })).toHaveCount(0);
});

test("an unknown address answers with a 404 page, not an error", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("invalid input is explained next to its field and creates nothing", async ({ page, javaScriptEnabled }) => {
  await open(page, "/", javaScriptEnabled);
  const before = await page.getByRole("listitem").count();
  // Spaces pass the browser's `required` check; the server has the final word.
  await page.getByLabel("Title").fill("   ");
  await page.getByRole("button", { name: "Create task" }).click();

  await expect(page.locator("#new-title-error")).toHaveText("is required");
  await expect(page.getByText("Please fix the fields marked above.")).toBeVisible();
  await page.goto("/");
  await expect(page.getByRole("listitem")).toHaveCount(before);
});
