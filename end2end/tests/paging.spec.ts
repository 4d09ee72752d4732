import { APIRequestContext, expect } from "@playwright/test";
import { open, test, uniqueTitle } from "./support";

/// Writes through a server function, as a script would.
async function write(request: APIRequestContext, endpoint: string, form: Record<string, string>) {
  const response = await request.post(`/api/${endpoint}`, { form, headers: { Accept: "application/json" } });
  expect(response.ok(), `${endpoint} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return (await response.json()) as { entity_id: string };
}

function createTask(request: APIRequestContext, title: string, priority = "0") {
  return write(request, "create_task", { title, status: "todo", priority, actor: "pager" });
}

/// Deletes what a test created, so the tests after it still find the demo story on the first
/// page of the list.
async function deleteAll(request: APIRequestContext, ids: Iterable<string>) {
  for (const id of ids) {
    await write(request, "delete_task", { entity_id: id, actor: "pager" });
  }
}

test("the list shows 50 tasks a page and pages on with plain links that skip and repeat nothing", async ({
  page,
  request,
  javaScriptEnabled,
}, testInfo) => {
  // Enough priority-5 tasks of one search word to fill two pages and start a third.
  const word = uniqueTitle("Pageable").replace(/\W/g, "");
  const created = new Set<string>();
  for (let n = 0; n < 105; n++) {
    created.add((await createTask(request, `${word} task ${n}`, "5")).entity_id);
  }

  await open(page, "/tasks", javaScriptEnabled);
  await page.getByLabel("Search").fill(word);
  await page.getByLabel("Sort by").selectOption("priority");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]q=${word}`));

  const seen: string[] = [];
  const rows = page.locator("ul.task-list > li.task-row");
  for (const expected of [50, 50, 5]) {
    await expect(rows).toHaveCount(expected);
    seen.push(...(await rows.evaluateAll((items) => items.map((item) => item.getAttribute("data-entity-id") ?? ""))));
    const next = page.getByRole("link", { name: "Next page →" });
    if (expected === 50) {
      await expect(page.getByRole("link", { name: "← First page" })).toHaveCount(seen.length > 50 ? 1 : 0);
      await next.click();
      await expect(page).toHaveURL(/[?&]after=/);
    } else {
      await expect(next).toHaveCount(0);
    }
  }
  expect(new Set(seen).size, "no task on two pages").toBe(seen.length);
  expect(new Set(seen)).toEqual(created);
  await testInfo.attach("last page", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  await page.getByRole("link", { name: "← First page" }).click();
  await expect(page).not.toHaveURL(/[?&]after=/);
  await expect(rows).toHaveCount(50);
  await deleteAll(request, created);
});

test("a title search finds any part of a title and says when nothing matches", async ({ page, request, javaScriptEnabled }) => {
  const word = uniqueTitle("Needle").replace(/\W/g, "");
  const created = [
    (await createTask(request, `Find the ${word} in the haystack`)).entity_id,
    (await createTask(request, `${word.toUpperCase()} again`)).entity_id,
  ];

  await open(page, `/tasks?q=${word.slice(3, 12).toLowerCase()}`, javaScriptEnabled);
  await expect(page.getByLabel("Search")).toHaveValue(word.slice(3, 12).toLowerCase());
  await expect(page.locator("ul.task-list > li.task-row")).toHaveCount(2);

  await open(page, `/tasks?q=${word}zzz`, javaScriptEnabled);
  await expect(page.getByText("No tasks here.")).toBeVisible();
  await deleteAll(request, created);
});

test("a damaged page link is a clear error, not a crash", async ({ page }) => {
  const response = await page.goto("/tasks?after=not-a-cursor");
  expect(response?.status()).toBe(422);
  await expect(page.getByText(/after/)).toBeVisible();
});

test("a long history pages, and stepping and comparing cross its pages", async ({ page, request, javaScriptEnabled }) => {
  const title = uniqueTitle("Long history");
  const created = await write(request, "create_task", { title, status: "todo", priority: "0", actor: "pager" });
  for (let version = 1; version < 60; version++) {
    await write(request, "update_task", {
      entity_id: created.entity_id,
      expected_version: String(version),
      title: `${title} edit ${version}`,
      description: "",
      status: "todo",
      priority: String(version % 6),
      due_date: "",
      actor: "pager",
    });
  }
  const history = `/tasks/${created.entity_id}/history`;
  await open(page, history, javaScriptEnabled);
  await expect(page.getByText("Versions 11–60 of 60, 50 to a page")).toBeVisible();
  await expect(page.locator(".timeline-item")).toHaveCount(50);
  await expect(page.locator(".stepper-position")).toHaveText("Version 60 of 60");

  await page.getByRole("link", { name: "Older versions →" }).click();
  await expect(page.getByText("Versions 1–10 of 60, 50 to a page")).toBeVisible();
  await expect(page.locator(".timeline-item")).toHaveCount(10);
  await expect(page.locator(".stepper-position")).toHaveText("Version 10 of 60");
  // The oldest version on a page is compared with its predecessor on the page before.
  // (Version n + 1 is edit n.)
  await expect(page.locator("#version-10")).toContainText(/edit 8 → .* edit 9/);

  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page.locator(".stepper-position")).toHaveText("Version 11 of 60");
  await expect(page.locator("#version-11")).toBeVisible();
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(page.locator(".stepper-position")).toHaveText("Version 10 of 60");
  await expect(page.locator("#version-10.selected")).toBeVisible();

  await page.locator("#compare-from").fill("1");
  await page.locator("#compare-to").fill("60");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page.getByRole("heading", { name: "From version 1 to version 60" })).toBeVisible();
  await expect(page.locator(".chain-intact")).toBeVisible();
  await write(request, "delete_task", { entity_id: created.entity_id, actor: "pager" });
});
