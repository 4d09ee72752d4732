import { expect, type Browser, type Locator, type Page, type TestInfo } from "@playwright/test";
import { hydrated, open, test, uniqueTitle, watchForErrors } from "./support";

// Every flow here runs in both projects: hydrated (writes go through Leptos actions and the
// client-side router) and with JavaScript off (plain form posts and redirects).

/// Creates a task on /tasks/new and returns its entity id (from the page it lands on).
async function createTask(
  page: Page,
  javaScriptEnabled: boolean | undefined,
  title: string,
  description = "",
): Promise<string> {
  await open(page, "/tasks/new", javaScriptEnabled);
  await page.getByLabel("Title").fill(title);
  if (description) await page.getByLabel("Description").fill(description);
  await page.getByLabel("Your name").fill("creator");
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Created — version 1." })).toBeVisible();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}\?flash=created\.1$/);
  await hydrated(page, javaScriptEnabled);
  return new URL(page.url()).pathname.split("/")[2];
}

async function edit(
  page: Page,
  javaScriptEnabled: boolean | undefined,
  id: string,
  changes: { title?: string; description?: string; priority?: string; note?: string; actor?: string },
) {
  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  if (changes.title !== undefined) await page.getByLabel("Title").fill(changes.title);
  if (changes.description !== undefined) await page.getByLabel("Description").fill(changes.description);
  if (changes.priority !== undefined) await page.getByLabel("Priority (0–5)").fill(changes.priority);
  if (changes.actor !== undefined) await page.getByLabel("Your name").fill(changes.actor);
  if (changes.note !== undefined) await page.getByLabel("Change note").fill(changes.note);
  await page.getByRole("button", { name: "Save" }).click();
}

test("editing creates the next version and says so", async ({ page, javaScriptEnabled }) => {
  const title = uniqueTitle("Edit me");
  const id = await createTask(page, javaScriptEnabled, title);

  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  await expect(page.getByText("You are editing version 1. Saving creates version 2.")).toBeVisible();
  await page.getByLabel("Title").fill(`${title} (edited)`);
  await page.getByLabel("Priority (0–5)").fill("3");
  await page.getByLabel("Change note").fill("sharper title");
  await page.getByRole("button", { name: "Save" }).click();

  await expect(page).toHaveURL(new RegExp(`/tasks/${id}\\?flash=updated\\.2$`));
  await expect(page.getByText("Saved — now version 2.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${title} (edited)`);
  await expect(page.locator(".meta")).toContainText("v2");
  await expect(page.locator(".meta")).toContainText("sharper title");

  await open(page, "/", javaScriptEnabled);
  await expect(page.getByRole("listitem").filter({ hasText: `${title} (edited)` })).toContainText("v2");
});

test("delete asks first, lands on the deleted page, and restore brings it back as the next version", async ({
  page,
  javaScriptEnabled,
}) => {
  const title = uniqueTitle("Delete me");
  const id = await createTask(page, javaScriptEnabled, title);

  await open(page, "/", javaScriptEnabled);
  const row = page.getByRole("listitem").filter({ hasText: title });
  await row.getByText("Delete", { exact: true }).click();
  await expect(row.getByText("it can be restored")).toBeVisible();
  await row.getByRole("button", { name: "Yes, delete" }).click();

  await expect(page.getByText("Deleted — version 2 is its tombstone.")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: title })).toHaveCount(0);

  await open(page, "/tasks/deleted", javaScriptEnabled);
  const tombstone = page.getByRole("listitem").filter({ hasText: title });
  await expect(tombstone).toContainText("v2");
  await expect(tombstone).toContainText("by creator");
  await expect(tombstone.locator("s")).toHaveText(title);

  // Its own page says it was deleted instead of pretending it never existed.
  await open(page, `/tasks/${id}`, javaScriptEnabled);
  await expect(page.getByText("This task was deleted")).toBeVisible();
  await expect(page.getByRole("link", { name: "Full history" })).toBeVisible();

  await open(page, "/tasks/deleted", javaScriptEnabled);
  await page.getByRole("listitem").filter({ hasText: title }).getByRole("button", { name: "Restore as v3" }).click();
  await expect(page.getByText("Restored as version 3.")).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/tasks/${id}\\?flash=restored\\.3$`));

  await open(page, "/", javaScriptEnabled);
  await expect(page.getByRole("listitem").filter({ hasText: title })).toContainText("v3");
  await open(page, "/tasks/deleted", javaScriptEnabled);
  await expect(page.getByRole("listitem").filter({ hasText: title })).toHaveCount(0);
});

test("history shows every version with its badge and a field diff, word by word for the description", async ({
  page,
  javaScriptEnabled,
}, testInfo) => {
  const title = uniqueTitle("History");
  const id = await createTask(page, javaScriptEnabled, title, "rows are never updated");
  await edit(page, javaScriptEnabled, id, { description: "rows are never deleted or updated", note: "be precise" });
  await expect(page.getByText("Saved — now version 2.")).toBeVisible();
  await edit(page, javaScriptEnabled, id, { priority: "5" });
  await expect(page.getByText("Saved — now version 3.")).toBeVisible();
  await open(page, "/", javaScriptEnabled);
  const row = page.getByRole("listitem").filter({ hasText: title });
  await row.getByText("Delete", { exact: true }).click();
  await row.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("Deleted — version 4 is its tombstone.")).toBeVisible();
  await open(page, `/tasks/${id}/history`, javaScriptEnabled);
  await page.getByRole("button", { name: "Restore as version 5" }).click();
  await expect(page.getByText("Restored as version 5.")).toBeVisible();

  await open(page, `/tasks/${id}/history`, javaScriptEnabled);
  const items = page.locator(".timeline-item");
  await expect(items).toHaveCount(5);
  // Newest first, each with its own badge.
  await expect(items.locator(".badge")).toHaveText(["Restored", "Deleted", "Updated", "Updated", "Created"]);
  const v2 = page.locator("#version-2");
  await expect(v2.locator("ins")).toHaveText(/deleted or/);
  await expect(v2.locator("del")).toHaveCount(0);
  await expect(v2).toContainText("be precise");
  const v3 = page.locator("#version-3");
  await expect(v3.locator(".change-priority")).toContainText("P0");
  await expect(v3.locator(".change-priority")).toContainText("P5");
  await expect(page.getByText("Hash chain intact: 5 versions")).toBeVisible();

  // Any two versions can be compared.
  await page.getByLabel("Compare", { exact: true }).selectOption("1");
  await page.getByLabel("with").selectOption("3");
  await page.getByRole("button", { name: "Compare" }).click();
  const comparison = page.locator(".comparison");
  await expect(comparison.getByRole("heading")).toHaveText("From version 1 to version 3");
  await expect(comparison.locator(".change-priority")).toContainText("P5");
  await expect(comparison.locator(".change-description ins")).toHaveText(/deleted or/);

  await testInfo.attach("history timeline", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("stepping through versions with previous / next (and the arrow keys with JavaScript)", async ({
  page,
  javaScriptEnabled,
}) => {
  const title = uniqueTitle("Step");
  const id = await createTask(page, javaScriptEnabled, title);
  await edit(page, javaScriptEnabled, id, { priority: "2" });
  await expect(page.getByText("Saved — now version 2.")).toBeVisible();
  await edit(page, javaScriptEnabled, id, { priority: "4" });
  await expect(page.getByText("Saved — now version 3.")).toBeVisible();

  await open(page, `/tasks/${id}/history`, javaScriptEnabled);
  const position = page.locator(".stepper-position");
  const selected = page.locator(".selected-version .snapshot");
  await expect(position).toHaveText("Version 3 of 3");
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(position).toHaveText("Version 2 of 3");
  await expect(selected).toContainText("P2");
  await expect(page.locator(".timeline-item.selected")).toHaveAttribute("id", "version-2");

  if (javaScriptEnabled !== false) {
    // Each key opens the version's page (the history is drawn by the server); the keys work
    // once the page's island has hydrated.
    await page.keyboard.press("ArrowLeft");
    await expect(position).toHaveText("Version 1 of 3");
    await expect(selected).toContainText("P0");
    await expect(page).toHaveURL(/version=1$/);
    await hydrated(page, javaScriptEnabled);
    await page.keyboard.press("ArrowRight");
    await expect(position).toHaveText("Version 2 of 3");
    await hydrated(page, javaScriptEnabled);
    await page.keyboard.press("ArrowRight");
    await expect(position).toHaveText("Version 3 of 3");
    await expect(selected).toContainText("P4");
  } else {
    await page.getByRole("link", { name: "Next →" }).click();
    await expect(position).toHaveText("Version 3 of 3");
    await expect(selected).toContainText("P4");
  }
});

test("reverting to an old version appends a copy of it", async ({ page, javaScriptEnabled }) => {
  const title = uniqueTitle("Revert");
  const id = await createTask(page, javaScriptEnabled, title);
  await edit(page, javaScriptEnabled, id, { title: `${title} renamed`, priority: "5" });
  await expect(page.getByText("Saved — now version 2.")).toBeVisible();

  await open(page, `/tasks/${id}/history?version=1`, javaScriptEnabled);
  await page.getByText("Revert to version 1", { exact: true }).click();
  await page.getByRole("button", { name: "Yes, revert to version 1" }).click();
  await expect(page.getByText("Reverted — now version 3.")).toBeVisible();
  await expect(page.locator(".timeline-item")).toHaveCount(3);
  await expect(page.locator("#version-3 .badge")).toHaveText("Reverted");
  await expect(page.locator("#version-3 .change-title")).toContainText(`${title} renamed`);

  await open(page, `/tasks/${id}`, javaScriptEnabled);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
});

// Two people edit the same version; the second save must not overwrite the first.
async function conflict(browser: Browser, javaScriptEnabled: boolean | undefined, testInfo: TestInfo) {
  const alice = await (await browser.newContext({ javaScriptEnabled })).newPage();
  const bob = await (await browser.newContext({ javaScriptEnabled })).newPage();
  const errors = [...[alice, bob].map(watchForErrors)];
  const done = async () => {
    expect(errors.flat(), "errors thrown by the page's scripts").toEqual([]);
    await alice.context().close();
    await bob.context().close();
  };
  const title = uniqueTitle("Contested");
  const id = await createTask(alice, javaScriptEnabled, title, "first draft");

  await open(alice, `/tasks/${id}/edit`, javaScriptEnabled);
  await open(bob, `/tasks/${id}/edit`, javaScriptEnabled);
  await bob.getByLabel("Description").fill("bob's careful rewrite");
  await bob.getByLabel("Your name").fill("bob");
  await bob.getByRole("button", { name: "Save" }).click();
  await expect(bob.getByText("Saved — now version 2.")).toBeVisible();

  await alice.getByLabel("Title").fill(`${title} by alice`);
  await alice.getByLabel("Your name").fill("alice");
  await alice.getByRole("button", { name: "Save" }).click();
  const screen = alice.getByRole("alert").filter({ hasText: "Someone else saved first" });
  await expect(screen).toBeVisible();
  await expect(screen).toContainText("You started from version 1, but version 2 was saved meanwhile.");
  await expect(screen).toContainText("last by bob");
  const added = (await screen.locator(".change-description ins").allTextContents()).join(" ");
  expect(added).toContain("bob's careful");
  expect(added).toContain("rewrite");
  await expect(screen.locator(".change-description del").first()).toHaveText(/first/);
  // Alice's edit is still in the form.
  await expect(alice.getByLabel("Title")).toHaveValue(`${title} by alice`);
  await testInfo.attach("conflict screen", { body: await alice.screenshot({ fullPage: true }), contentType: "image/png" });
  // The panel spans the whole form above the fields, on a desktop and on a phone.
  for (const width of [1280, 375]) {
    await alice.setViewportSize({ width, height: 900 });
    const panel = await screen.boundingBox();
    const form = await alice.getByRole("form", { name: "Edit the task" }).boundingBox();
    const titleField = await alice.getByLabel("Title").boundingBox();
    expect(panel && form && titleField, "panel, form and title field are laid out").toBeTruthy();
    expect(panel!.width, `panel width at ${width}px`).toBeGreaterThan(form!.width * 0.85);
    expect(panel!.y + panel!.height, `panel above the fields at ${width}px`).toBeLessThanOrEqual(titleField!.y);
    await testInfo.attach(`conflict screen at ${width} px`, { body: await alice.screenshot({ fullPage: true }), contentType: "image/png" });
  }

  // Nothing was written by the failed save.
  await open(bob, `/tasks/${id}/history`, javaScriptEnabled);
  await expect(bob.locator(".timeline-item")).toHaveCount(2);
  return { alice, bob, id, title, done };
}

test("a stale edit shows what the other person changed and can be reapplied on top", async ({
  browser,
  javaScriptEnabled,
}, testInfo) => {
  // Two browsers, four page loads, screenshots at two widths and a save on top: about 25 s
  // on two cores with the debug build, too close to the default 30 s.
  test.setTimeout(60_000);
  const { alice, id, title, done } = await conflict(browser, javaScriptEnabled, testInfo);
  await alice.getByRole("button", { name: "Save my edit on top of version 2" }).click();
  await expect(alice.getByText("Saved — now version 3.")).toBeVisible();
  await expect(alice.getByRole("heading", { level: 1 })).toHaveText(`${title} by alice`);
  // Both edits survive: alice's title on top of bob's description.
  await expect(alice.locator(".snapshot .description")).toHaveText("bob's careful rewrite");
  await open(alice, `/tasks/${id}/history`, javaScriptEnabled);
  await expect(alice.locator(".timeline-item .timeline-who")).toHaveText(["alice", "bob", "creator"]);
  await done();
});

test("a stale edit can be discarded, starting again from the newer version", async ({
  browser,
  javaScriptEnabled,
}, testInfo) => {
  // Two browsers, four page loads, screenshots at two widths and a fresh start: about 25 s
  // on two cores with the debug build, too close to the default 30 s.
  test.setTimeout(60_000);
  const { alice, title, done } = await conflict(browser, javaScriptEnabled, testInfo);
  await alice.getByRole("link", { name: "discard my edit and start from version 2" }).click();
  await expect(alice.getByText("Someone else saved first")).toHaveCount(0);
  await expect(alice.getByText("You are editing version 2. Saving creates version 3.")).toBeVisible();
  await expect(alice.getByLabel("Title")).toHaveValue(title);
  await expect(alice.getByLabel("Description")).toHaveValue("bob's careful rewrite");
  await done();
});

test("each bad field is explained next to it and nothing is saved", async ({ page, javaScriptEnabled }) => {
  const title = uniqueTitle("Validate");
  const id = await createTask(page, javaScriptEnabled, title);
  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  // Let the server judge: the browser's own checks would stop some of these values first.
  await page.locator("form.task-form").evaluate((form: HTMLFormElement) => {
    form.noValidate = true;
    form.querySelectorAll("[maxlength]").forEach((input) => input.removeAttribute("maxlength"));
  });
  await page.getByLabel("Title").fill("   ");
  await page.getByLabel("Description").fill("x".repeat(10_001));
  await page.getByLabel("Priority (0–5)").fill("9");
  await page.getByLabel("Your name").fill("n".repeat(101));
  await page.getByLabel("Change note").fill("w".repeat(1_001));
  await page.getByRole("button", { name: "Save" }).click();

  await expect(page.locator("#edit-title-error")).toHaveText("is required");
  await expect(page.locator("#edit-description-error")).toHaveText("must be at most 10000 characters");
  await expect(page.locator("#edit-priority-error")).toHaveText("must be a whole number from 0 to 5");
  await expect(page.locator("#edit-actor-error")).toHaveText("must be at most 100 characters");
  await expect(page.locator("#edit-note-error")).toHaveText("must be at most 1000 characters");
  await expect(page.getByText("Please fix the fields marked above.")).toBeVisible();
  // What was typed is still there to correct.
  await expect(page.getByLabel("Priority (0–5)")).toHaveValue("9");

  await open(page, `/tasks/${id}/history`, javaScriptEnabled);
  await expect(page.locator(".timeline-item")).toHaveCount(1);
});

test("unknown and malformed task ids get the 404 page", async ({ page }) => {
  for (const path of [
    "/tasks/01900000-0000-7000-8000-000000000000",
    "/tasks/01900000-0000-7000-8000-000000000000/history",
    "/tasks/not-a-task/edit",
  ]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "No such task" })).toBeVisible();
  }
});

test("markup in a title is shown as text on every page", async ({ page, javaScriptEnabled }) => {
  const title = uniqueTitle(`<script>window.pwned=1</script> "quoted" & 'single' <b>bold</b>`);
  const id = await createTask(page, javaScriptEnabled, title);
  for (const path of [`/tasks/${id}`, `/tasks/${id}/history`, `/tasks/${id}/edit`, "/"]) {
    await open(page, path, javaScriptEnabled);
    await expect(page.getByText(title).first()).toBeVisible();
    await expect(page.locator("main b, main script")).toHaveCount(0);
  }
});

test("a change stated true from earlier shows both times, and one from before the last corrects it", async ({
  page,
  javaScriptEnabled,
}) => {
  // `datetime-local` values, in UTC as the form says.
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString().slice(0, 19);
  const title = uniqueTitle("Found late");
  await open(page, "/tasks/new", javaScriptEnabled);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("True since (UTC, optional)").fill(hoursAgo(72));
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}\?flash=created\.1$/);
  await hydrated(page, javaScriptEnabled);
  const id = new URL(page.url()).pathname.split("/")[2];

  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  await page.getByLabel("Status").selectOption("in_progress");
  await page.getByLabel("True since (UTC, optional)").fill(hoursAgo(24));
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${id}\\?flash=updated\\.2$`));

  // A time in the future is refused beside its field, and what was typed stays.
  // Seconds that are not :00, which the browser would drop from the input's value.
  const future = `${new Date(Date.now() + 86_400_000).toISOString().slice(0, 17)}30`;
  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  await page.getByLabel("Status").selectOption("done");
  await page.getByLabel("True since (UTC, optional)").fill(future);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#edit-valid-from-error")).toContainText("is in the future");
  await expect(page.getByLabel("True since (UTC, optional)")).toHaveValue(future);

  await page.getByLabel("True since (UTC, optional)").fill(hoursAgo(48));
  await page.getByLabel("Change note").fill("it was done two days ago");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${id}\\?flash=updated\\.3$`));

  await open(page, `/tasks/${id}/history`, javaScriptEnabled);
  const newest = page.locator(".timeline-item").first();
  await expect(newest).toContainText("True since");
  await expect(newest.locator(".correction")).toHaveText("Correction: replaces what v2 stated from that time on.");
  await expect(page.locator("#version-2 .correction")).toHaveCount(0);
  await expect(page.locator("#version-2 .valid-time")).toContainText("True since");
  await expect(page.locator(".chain-intact")).toBeVisible();

  // The task's page names who set each field, and when it held.
  await open(page, `/tasks/${id}`, javaScriptEnabled);
  const blame = page.getByRole("region", { name: "Who set each field" });
  const status = blame.getByRole("row", { name: /^Status/ });
  await expect(status).toContainText("Done");
  await expect(status).toContainText("v3");
  await expect(status).toContainText("it was done two days ago");
  await expect(blame.getByRole("row", { name: /^Description/ })).toContainText("never set");
  await blame.getByText("Status: 3 values over time").click();
  await expect(blame.locator(".field-history li")).toHaveText([/^To do — v1/, /^In progress — v2/, /^Done — v3/]);
});

/// Follows "Next page →" until `row` is on the page (the board holds every other test's tasks).
async function pageTo(page: Page, row: Locator, javaScriptEnabled: boolean | undefined) {
  for (let pages = 0; pages < 20 && (await row.count()) === 0; pages++) {
    await page.getByRole("link", { name: "Next page →" }).click();
    await page.waitForLoadState();
    await hydrated(page, javaScriptEnabled);
  }
}

test("the board at a valid time as known at another shows what was true then and what the log said then", async ({
  page,
  javaScriptEnabled,
}) => {
  const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19);
  const title = uniqueTitle("Two times");
  await open(page, "/tasks/new", javaScriptEnabled);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("True since (UTC, optional)").fill(utc(Date.now() - 72 * 3_600_000));
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}\?flash=created\.1$/);
  await hydrated(page, javaScriptEnabled);
  const id = new URL(page.url()).pathname.split("/")[2];
  await page.waitForTimeout(1_100);
  // A moment after version 1 was recorded and before the news below arrives, to the second.
  const between = utc(Date.now() - 100);
  await page.waitForTimeout(1_100);
  await open(page, `/tasks/${id}/edit`, javaScriptEnabled);
  await page.getByLabel("Status").selectOption("done");
  await page.getByLabel("True since (UTC, optional)").fill(utc(Date.now() - 48 * 3_600_000 + 30_000));
  await page.getByLabel("Change note").fill("it was finished two days ago");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${id}\\?flash=updated\\.2$`));

  await open(page, "/", javaScriptEnabled);
  await page.getByLabel("True at (UTC)").fill(between);
  await page.getByRole("button", { name: "Show the board with both times" }).click();
  await expect(page).toHaveURL(/valid_at=/);
  const row = page.locator(`[data-entity-id="${id}"]`);
  await pageTo(page, row, javaScriptEnabled);
  await expect(row).toContainText("Done");
  await expect(row.locator(".valid-time")).toContainText("true since");
  await expect(row.locator(".correction")).toHaveText(
    new RegExp(`the log said: To do, “${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}” \\(v1\\)\\. Corrected since by v2\\.`),
  );

  // As the log knew it at that same moment, the task was still to do.
  await page.getByLabel("As known at (UTC; blank: now)").fill(between);
  await page.getByRole("button", { name: "Show the board with both times" }).click();
  await expect(page).toHaveURL(new RegExp(`known_at=${encodeURIComponent(between)}`));
  await pageTo(page, row, javaScriptEnabled);
  await expect(row).toContainText("To do");
  await expect(page.locator(`[data-entity-id="${id}"] .correction`)).toHaveCount(0);
});
