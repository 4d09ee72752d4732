import { expect, type Page } from "@playwright/test";
import { hydrated, open, test, uniqueTitle } from "./support";

/// The pane beside every page, once opened.
function pane(page: Page) {
  return page.getByRole("complementary", { name: "Under the hood" });
}

/// Checks that the pane shows this browser's newest change: its heading, the INSERT the store
/// ran with `title` among its bind values, and the read model's title before and after.
async function showsChange(page: Page, heading: RegExp, title: string, titleBefore: string) {
  const change = pane(page);
  await expect(change.getByRole("heading", { name: heading })).toBeVisible();
  await expect(change.getByText("This is your last change.")).toBeVisible();
  const insert = change.locator(".statements-run li").filter({ hasText: "INSERT INTO task_versions" });
  await expect(insert.locator(".statement-facts")).toContainText(title);
  await expect(insert.locator(".statement-facts")).toContainText("1 row(s)");
  // SQLite appends inside BEGIN IMMEDIATE … COMMIT; PostgreSQL's statements each commit alone.
  if (process.env.BACKEND === "postgres") {
    await expect(change.locator(".statements-run pre").first()).not.toContainText("BEGIN");
    await expect(change.locator(".hood-alone")).toContainText("each statement committed on its own");
  } else {
    await expect(change.locator(".statements-run pre").last()).toHaveText("COMMIT");
  }
  const titleRow = change.locator(".hood-read-model tr").filter({ has: page.getByRole("rowheader", { name: "title", exact: true }) });
  await expect(titleRow.locator("td").nth(0)).toHaveText(titleBefore);
  await expect(titleRow.locator("td").nth(1)).toHaveText(title);
}

test("the header's switch opens the pane with JavaScript and keeps it open across pages [js]", async ({ page }) => {
  await open(page, "/", true);
  await expect(pane(page)).toHaveCount(0);
  await page.getByRole("link", { name: "Under the hood" }).click();
  await expect(pane(page)).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  await expect(pane(page).getByRole("heading", { name: /^Change #\d+: / })).toBeVisible();
  await open(page, "/activity", true);
  await expect(pane(page)).toBeVisible();
  await page.getByRole("link", { name: "Under the hood" }).click();
  await expect(pane(page)).toHaveCount(0);
  await page.reload();
  await hydrated(page, true);
  await expect(pane(page)).toHaveCount(0);
});

test("without JavaScript the header's switch leads to the newest change as a page [no-js]", async ({ page }) => {
  await open(page, "/", false);
  await page.getByRole("link", { name: "Under the hood" }).click();
  await expect(page).toHaveURL(/\/under-the-hood$/);
  await expect(page.getByRole("heading", { name: "Under the hood", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: /^Change #\d+: / })).toBeVisible();
});

test("under the hood: a create, an edit and a delete, each with its statements and the read model before and after", async ({ page, context, javaScriptEnabled, baseURL }, testInfo) => {
  // The pane's state is a cookie the server renders with, so without JavaScript it opens too.
  await context.addCookies([{ name: "hood", value: "open", url: baseURL! }]);
  const title = uniqueTitle("Under the hood");

  await open(page, "/tasks/new", javaScriptEnabled);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Your name").fill("hood");
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/flash=created\.1$/);
  await showsChange(page, /^Change #\d+: created version 1 of/, title, "(no row)");
  await testInfo.attach("under the hood after a create", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  const id = new URL(page.url()).pathname.split("/")[2];

  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  await page.getByLabel("Title").fill(`${title} (edited)`);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/flash=updated\.2$/);
  await showsChange(page, /^Change #\d+: updated version 2 of/, `${title} (edited)`, title);
  await expect(pane(page).locator(".statements-run pre").filter({ hasText: "FROM task_current" }).first()).toBeVisible();

  await open(page, "/", javaScriptEnabled);
  const row = page.getByRole("listitem").filter({ hasText: `${title} (edited)` });
  await row.getByText("Delete", { exact: true }).click();
  await row.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("Deleted — version 3 is its tombstone.")).toBeVisible();
  const change = pane(page);
  await expect(change.getByRole("heading", { name: /^Change #\d+: deleted version 3 of/ })).toBeVisible();
  const deletedAt = change.locator(".hood-read-model tr").filter({ has: page.getByRole("rowheader", { name: "deleted_at" }) });
  await expect(deletedAt.locator("td").nth(0)).toHaveText("NULL");
  await expect(deletedAt.locator("td").nth(1)).not.toHaveText("NULL");
  await expect(change.locator(".hood-announcement")).toContainText(process.env.BACKEND === "postgres" ? "pg_notify" : "SQLite has no NOTIFY");
  await testInfo.attach("under the hood after a delete", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  // The same change as a page of its own, addressed by position, and the one before it.
  await change.getByRole("link", { name: "This change as a page" }).click();
  await expect(page).toHaveURL(/\/under-the-hood\/\d+$/);
  const main = page.getByRole("main");
  await expect(main.getByRole("heading", { name: /deleted version 3 of/ })).toBeVisible();
  await main.getByRole("link", { name: "← Older change" }).click();
  await expect(main.getByRole("heading", { name: /updated version 2 of/ })).toBeVisible();
  await main.getByRole("link", { name: /^Your last change: #\d+$/ }).click();
  await expect(main.getByRole("heading", { name: /deleted version 3 of/ })).toBeVisible();
});
