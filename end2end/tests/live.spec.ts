import path from "node:path";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { freePort, startServer, type ServerHandle } from "./servers";
import { open, test as base, uniqueTitle, watchForErrors } from "./support";

// Title tags pick the projects (see playwright.config.ts): "[js]" needs a hydrated page,
// "[no-js]" is about plain HTML forms, "[postgres]" needs two processes sharing one PostgreSQL.

const test = base.extend<{
  /// A second person: a page in its own browser context, failing the test if its scripts throw.
  otherPage: Page;
  /// Starts an extra server on the shared e2e database, on a free port unless given one (to
  /// restart a server where its pages expect it), with extra settings in its environment; every
  /// one started is stopped afterwards.
  extraServer: (options?: { port?: number; settings?: Record<string, string> }) => Promise<ServerHandle>;
}>({
  otherPage: async ({ browser }, use) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await use(page);
    await context.close();
    expect(errors, "errors thrown by the other page's scripts").toEqual([]);
  },
  extraServer: async ({}, use, testInfo) => {
    const started: ServerHandle[] = [];
    await use(async ({ port, settings } = {}) => {
      const chosen = port ?? (await freePort());
      const server = await startServer(chosen, e2eDatabaseUrl(), testInfo.outputPath(`server-${chosen}.log`), settings);
      started.push(server);
      return server;
    });
    const failures: unknown[] = [];
    for (const server of started) {
      await server.stop().catch((error) => failures.push(error));
    }
    for (const logFile of new Set(started.map((server) => server.logFile))) {
      await testInfo.attach(path.basename(logFile), { path: logFile, contentType: "text/plain" });
    }
    expect(failures, "extra servers that would not stop").toEqual([]);
  },
});

/// The database the main server uses; scripts/test.sh exports it so extra servers can share it.
function e2eDatabaseUrl(): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) {
    throw new Error(
      "E2E_DATABASE_URL is not set: export the DATABASE_URL of the server at BASE_URL " +
        "(scripts/test.sh does), so the extra servers these tests start share its database",
    );
  }
  return url;
}

/// A version as the write endpoints answer it with `Accept: application/json`.
interface Version {
  entity_id: string;
  version: number;
  position: number;
  recorded_at: string;
  fields: { title: string; description: string | null; status: string; priority: number; due_date: string | null };
}

async function write(request: APIRequestContext, endpoint: string, form: Record<string, string>): Promise<Version> {
  const response = await request.post(`/api/${endpoint}`, { form, headers: { Accept: "application/json" } });
  expect(response.ok(), `${endpoint} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return response.json();
}

function createTask(request: APIRequestContext, title: string, actor = "node"): Promise<Version> {
  return write(request, "create_task", { title, status: "todo", priority: "0", actor });
}

/// Saves `changes` on top of `from`, which must be the task's latest version.
function updateTask(
  request: APIRequestContext,
  from: Version,
  changes: { title?: string; description?: string; priority?: number },
  actor = "node",
): Promise<Version> {
  const fields = { ...from.fields, ...changes };
  return write(request, "update_task", {
    entity_id: from.entity_id,
    expected_version: String(from.version),
    title: fields.title,
    description: fields.description ?? "",
    status: fields.status,
    priority: String(fields.priority),
    due_date: fields.due_date ?? "",
    actor,
  });
}

function deleteTask(request: APIRequestContext, entityId: string, actor = "node"): Promise<Version> {
  return write(request, "delete_task", { entity_id: entityId, actor });
}

function restoreTask(request: APIRequestContext, entityId: string, actor = "node"): Promise<Version> {
  return write(request, "restore_task", { entity_id: entityId, actor });
}

async function expectLive(page: Page) {
  await expect(page.locator(".live-indicator")).toHaveAttribute("data-state", "live");
}

/// Marks the current document; `expectSameDocument` then proves that what happened in between
/// arrived without a page load.
async function markDocument(page: Page) {
  await page.evaluate(() => ((window as any).__marker = 1));
}

async function expectSameDocument(page: Page) {
  expect(await page.evaluate(() => (window as any).__marker), "the page was not reloaded").toBe(1);
}

function row(page: Page, entityId: string) {
  return page.locator(`li.task-row[data-entity-id="${entityId}"]`);
}

// Instants travel in URLs to the microsecond, which a JavaScript Date cannot hold, so they are
// handled as whole microseconds since the epoch.
function epochMicros(instant: string): bigint {
  const parts = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(instant);
  if (!parts) throw new Error(`not an RFC 3339 instant: ${instant}`);
  const [, wholeSeconds, fraction = "", offset] = parts;
  // The server keeps microseconds, so any digits past the sixth are zeros.
  return BigInt(Date.parse(`${wholeSeconds}${offset}`)) * 1000n + BigInt(fraction.padEnd(6, "0").slice(0, 6));
}

function rfc3339Micros(micros: bigint): string {
  const seconds = new Date(Number(micros / 1_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(micros % 1_000_000n).toString().padStart(6, "0")}Z`;
}

function boardAt(micros: bigint): string {
  return `/tasks?as_of=${rfc3339Micros(micros)}`;
}

/// The value a `datetime-local` input holds for a whole-second UTC instant. Chromium drops
/// ":00" seconds from the value, and Playwright refuses to fill a value the input would change.
function dateTimeLocal(epochMs: number): string {
  const value = new Date(epochMs).toISOString().slice(0, 19);
  return value.endsWith(":00") ? value.slice(0, 16) : value;
}

function pastRow(page: Page, entityId: string) {
  return page.locator(`ul.task-list.as-of li.task-row[data-entity-id="${entityId}"]`);
}

function pastDeletedRow(page: Page, entityId: string) {
  return page.locator(`ul.task-list.as-of li.deleted-row[data-entity-id="${entityId}"]`);
}

async function expectReadOnlyPast(page: Page) {
  await expect(page.locator(".time-travel-banner")).toContainText("read-only");
  await expect(page.getByRole("button", { name: "Create task" })).toHaveCount(0);
  await expect(page.locator("summary", { hasText: "Delete" })).toHaveCount(0);
}

test("[js] a write in one browser appears in another without a reload", async ({
  page,
  otherPage: watcher,
  request,
}, testInfo) => {
  // Two browsers and six page loads, each waiting for hydration.
  test.setTimeout(60_000);
  const title = uniqueTitle("Seen live");
  await open(watcher, "/", true);
  await expectLive(watcher);
  await markDocument(watcher);

  await open(page, "/", true);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Your name").fill("alice");
  await page.getByRole("button", { name: "Create task" }).click();

  const created = watcher.locator("li.task-row").filter({ has: watcher.locator("a.task-title", { hasText: title }) });
  await expect(created).toBeVisible();
  await expect(created).toHaveClass(/\bjust-changed\b/);
  await expect(created.locator(".task-version")).toHaveText("v1");
  const id = await created.getAttribute("data-entity-id");
  expect(id, "the new row carries its task's id").toMatch(/^[0-9a-f-]{36}$/);
  const watched = row(watcher, id!);

  await open(page, `/tasks/${id}/edit`, true);
  await page.getByLabel("Title").fill(`${title} (renamed)`);
  await page.getByLabel("Your name").fill("alice");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved — now version 2.")).toBeVisible();
  await expect(watched.locator("a.task-title")).toHaveText(`${title} (renamed)`);
  await expect(watched.locator(".task-version")).toHaveText("v2");
  await expect(watched).toHaveClass(/\bjust-changed\b/);
  const screenshot = testInfo.outputPath("live-update.png");
  await watcher.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach("the other browser right after the edit", { path: screenshot, contentType: "image/png" });

  await open(page, "/", true);
  await row(page, id!).getByText("Delete", { exact: true }).click();
  await row(page, id!).getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("Deleted — version 3 is its tombstone.")).toBeVisible();
  await expect(watched).toHaveCount(0);

  const restored = await restoreTask(request, id!, "carol");
  expect(restored.version).toBe(4);
  await expect(watched.locator(".task-version")).toHaveText("v4");
  await expectSameDocument(watcher);

  await open(watcher, `/tasks/${id}/history`, true);
  await expectLive(watcher);
  await expect(watcher.locator(".timeline-item")).toHaveCount(4);
  await markDocument(watcher);
  await updateTask(request, restored, { priority: 3 }, "dave");
  await expect(watcher.locator(".timeline-item")).toHaveCount(5);
  await expect(watcher.locator("#version-5")).toContainText("dave");
  await expectSameDocument(watcher);
});

test("[js] a row that arrived live carries this page's own form state and deletes like a drawn one", async ({
  page,
  request,
}) => {
  const list = "/tasks?status=todo&sort=priority";
  await open(page, list, true);
  await expectLive(page);
  await markDocument(page);
  const created = await createTask(request, uniqueTitle("Arrived live"), "erin");
  const arrived = row(page, created.entity_id);
  await expect(arrived).toHaveClass(/\bjust-changed\b/);
  // The server drew the row once for every browser; this page filled in its own return address
  // and a key of its own for the delete form.
  await expect(arrived.locator('input[name="return_to"]')).toHaveValue(list);
  await expect(arrived.locator('input[name="idempotency_key"]')).toHaveValue(/^[0-9a-f-]{36}$/);
  await expectSameDocument(page);

  await arrived.getByText("Delete", { exact: true }).click();
  await arrived.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("Deleted — version 2 is its tombstone.")).toBeVisible();
  await expect(page).toHaveURL(/\/tasks\?status=todo&sort=priority/);
  await expect(row(page, created.entity_id)).toHaveCount(0);
});

test("[js] the list patched live holds what the server draws for it, row for row", async ({ page, request }) => {
  test.setTimeout(90_000);
  const made: Version[] = [];
  for (let n = 0; n < 55; n++) made.push(await createTask(request, uniqueTitle(`Patched ${n}`)));
  await open(page, "/", true);
  await expectLive(page);
  await markDocument(page);
  const drawn = async (target: Page) => ({
    rows: await target
      .locator("li.task-row")
      .evaluateAll((rows) => rows.map((row) => `${row.getAttribute("data-entity-id")}:${row.getAttribute("data-version")}`)),
    next: await target.locator("a[rel=next]").getAttribute("href"),
    summary: await target.locator(".list-count").textContent(),
  });
  // The oldest of them is on the second page: changed, it comes to the top, and the first
  // page's last row moves on to the next page (whose link changes with it).
  const before = await drawn(page);
  await expect(row(page, made[0].entity_id)).toHaveCount(0);
  await updateTask(request, made[0], { priority: 4 });
  await expect(page.locator("li.task-row").first()).toHaveAttribute("data-entity-id", made[0].entity_id);
  const patched = await drawn(page);
  expect(patched.next).not.toEqual(before.next);
  const fresh = await page.context().newPage();
  await open(fresh, "/", true);
  expect(patched).toEqual(await drawn(fresh));
  // One in the middle is deleted: the next page must fill the gap, so the server draws the page.
  await deleteTask(request, made[30].entity_id);
  await expect(row(page, made[30].entity_id)).toHaveCount(0);
  await open(fresh, "/", true);
  await expect.poll(() => drawn(page)).toEqual(await drawn(fresh));
  await expectSameDocument(page);
  await fresh.close();
  // The tests after this one look for the demo story on the first page.
  await page.goto("about:blank");
  for (const task of made) {
    if (task !== made[30]) await deleteTask(request, task.entity_id);
  }
});

test("[js] an editor is told at once when someone else saves the task", async ({ page, request }) => {
  const title = uniqueTitle("Edited elsewhere");
  const v1 = await createTask(request, title);
  await open(page, `/tasks/${v1.entity_id}/edit`, true);
  await expectLive(page);
  await page.getByLabel("Description").fill("my half-typed thought");

  await updateTask(request, v1, { title: `${title} (bob's)` }, "bob");

  const notice = page.locator(".live-notice");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("while you were editing");
  await expect(notice).toContainText("bob");
  await expect(notice.locator(".change-title")).toContainText(`${title} (bob's)`);
  // The notice informs; it must not throw away what the editor typed.
  await expect(page.getByLabel("Description")).toHaveValue("my half-typed thought");
});

test("[js][postgres] two server processes on one database stay in sync", async ({ page, request, extraServer }) => {
  expect(e2eDatabaseUrl(), "this test shares a PostgreSQL database between processes").toMatch(/^postgres(ql)?:/);
  const second = await extraServer();
  await open(page, `${second.url}/`, true);
  await expectLive(page);
  await markDocument(page);

  const title = uniqueTitle("Written through the other server");
  const created = await createTask(request, title);

  await expect(row(page, created.entity_id).locator("a.task-title")).toHaveText(title);
  await expectSameDocument(page);
});

test("[js] after the server restarts the page reconnects and shows what it missed", async ({
  page,
  request,
  extraServer,
}) => {
  test.setTimeout(120_000);
  const server = await extraServer();
  await open(page, `${server.url}/`, true);
  await expectLive(page);
  await markDocument(page);

  // An open change stream must not hold up a graceful shutdown.
  const stopping = Date.now();
  expect(await server.stop(), "the server exits cleanly on SIGTERM").toBe(0);
  expect(Date.now() - stopping, "milliseconds from SIGTERM to exit").toBeLessThan(5_000);
  await expect(page.locator(".live-indicator")).toHaveAttribute("data-state", "reconnecting");

  const missed = await createTask(request, uniqueTitle("Written while the server was down"));

  await extraServer({ port: server.port });
  await expect(row(page, missed.entity_id)).toBeVisible({ timeout: 20_000 });
  await expectLive(page);
  await expectSameDocument(page);
});

test("as of an instant the board shows what was true then", async ({ page, request, javaScriptEnabled }) => {
  const title = uniqueTitle("Time traveller");
  const v1 = await createTask(request, title);
  const v2 = await updateTask(request, v1, { title: `${title} (renamed)` });
  const v3 = await deleteTask(request, v1.entity_id);
  const v4 = await restoreTask(request, v1.entity_id);
  const id = v1.entity_id;

  await open(page, boardAt(epochMicros(v1.recorded_at) - 1n), javaScriptEnabled);
  await expectReadOnlyPast(page);
  await expect(page.locator(`[data-entity-id="${id}"]`)).toHaveCount(0);

  const expected: [Version, string, "live" | "deleted"][] = [
    [v1, title, "live"],
    [v2, `${title} (renamed)`, "live"],
    [v3, `${title} (renamed)`, "deleted"],
    [v4, `${title} (renamed)`, "live"],
  ];
  for (const [version, shownTitle, state] of expected) {
    await open(page, boardAt(epochMicros(version.recorded_at)), javaScriptEnabled);
    await expectReadOnlyPast(page);
    const [shown, absent] =
      state === "live" ? [pastRow(page, id), pastDeletedRow(page, id)] : [pastDeletedRow(page, id), pastRow(page, id)];
    await expect(shown.locator(".task-version"), `at v${version.version}`).toHaveText(`v${version.version}`);
    await expect(shown.locator(".task-title"), `at v${version.version}`).toHaveText(shownTitle);
    await expect(absent, `at v${version.version}`).toHaveCount(0);
  }

  // Each version in a task's history links to the whole board at the moment it was recorded.
  await open(page, `/tasks/${id}/history`, javaScriptEnabled);
  await page.locator("#version-2").getByRole("link", { name: "View the board at this time" }).click();
  await expect(page).toHaveURL(/[?&]as_of=/);
  await expect(pastRow(page, id).locator(".task-version")).toHaveText("v2");
});

test("[no-js] time travel works with JavaScript off through the GET forms", async ({ page, request }) => {
  const title = uniqueTitle("Travel by form");
  const v1 = await createTask(request, title);
  const v2 = await updateTask(request, v1, { title: `${title} (renamed)` });
  // The date-time input counts whole seconds: pick the first second boundary after v2 and make
  // sure the delete is recorded after it, so that moment shows v2 while now shows a tombstone.
  const afterV2 = (Number(epochMicros(v2.recorded_at) / 1_000_000n) + 1) * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, afterV2 + 50 - Date.now())));
  const v3 = await deleteTask(request, v1.entity_id);
  expect(epochMicros(v3.recorded_at) > BigInt(afterV2) * 1000n, "the delete came after the chosen second").toBe(true);
  const id = v1.entity_id;

  await open(page, "/tasks", false);
  await page.locator("#as-of").fill(dateTimeLocal(afterV2));
  await page.getByRole("button", { name: "Show the board then" }).click();
  await expect(page).toHaveURL(/[?&]as_of=/);
  await expectReadOnlyPast(page);
  await expect(pastRow(page, id).locator(".task-title")).toHaveText(`${title} (renamed)`);
  await expect(pastRow(page, id).locator(".task-version")).toHaveText("v2");
  await expect(pastDeletedRow(page, id)).toHaveCount(0);

  // The slider stands at the number of changes made by that second; one more is the delete
  // (tests run one at a time, so nothing else was written in between).
  const applied = Number(await page.locator("#at-change").inputValue());
  expect(applied, "changes applied by then").toBeGreaterThanOrEqual(2);
  await page.locator("#at-change").fill(String(applied + 1));
  await page.getByRole("button", { name: "Show this change" }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]at_change=${applied + 1}$`));
  await expect(pastDeletedRow(page, id).locator(".task-version")).toHaveText("v3");
  await expect(pastRow(page, id)).toHaveCount(0);

  await page.getByRole("link", { name: "← Previous change" }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]at_change=${applied}$`));
  await expect(pastRow(page, id).locator(".task-version")).toHaveText("v2");

  await page.locator(".time-travel-banner").getByRole("link", { name: "Back to now" }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.locator(".time-travel-banner")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Create task" })).toBeVisible();
  await expect(row(page, id)).toHaveCount(0);
});

/// `ACTIVITY_PAGE_SIZE` in app/src/api.rs.
const FEED_PAGE_SIZE = 25;

async function feedPositions(page: Page): Promise<number[]> {
  return page
    .locator("li.activity-item")
    .evaluateAll((items) => items.map((item) => Number(item.getAttribute("data-position"))));
}

test("/activity lists every change newest first and filters by operation and actor", async ({
  page,
  request,
  javaScriptEnabled,
}) => {
  const actor = uniqueTitle("auditor");
  const title = uniqueTitle("Audited");
  const v1 = await createTask(request, title, actor);
  await updateTask(request, v1, { title: `${title} (renamed)` }, actor);
  await deleteTask(request, v1.entity_id, actor);

  await open(page, `/activity?actor=${encodeURIComponent(actor)}`, javaScriptEnabled);
  const items = page.locator("li.activity-item");
  await expect(items.locator(".op")).toHaveText(["Deleted", "Updated", "Created"]);
  for (const who of await items.locator(".activity-who").allTextContents()) expect(who).toContain(actor);
  await expect(items.locator("a.activity-task")).toHaveText([`${title} (renamed)`, `${title} (renamed)`, title]);

  await page.locator("#activity-actor").fill(actor);
  await page.locator("#activity-op").selectOption("updated");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/[?&]op=updated/);
  await expect(items).toHaveCount(1);
  await expect(items.locator(".op")).toHaveText("Updated");
  await expect(items.locator(".change-title .old")).toHaveText(title);
  await expect(items.locator(".change-title .new")).toHaveText(`${title} (renamed)`);

  // One more change by one person than a page holds: the filter carries over to the older page.
  const busy = uniqueTitle("busy");
  let latest = await createTask(request, uniqueTitle("Busy"), busy);
  for (let edit = 1; edit <= FEED_PAGE_SIZE; edit++) latest = await updateTask(request, latest, { priority: edit % 6 }, busy);
  await open(page, `/activity?actor=${encodeURIComponent(busy)}`, javaScriptEnabled);
  await expect(items).toHaveCount(FEED_PAGE_SIZE);
  const older = page.locator("a.older");
  await expect(older).toHaveAttribute("href", /before=/);
  await expect(older).toHaveAttribute("href", /actor=/);
  const firstPage = await feedPositions(page);
  await older.click();
  await expect(items).toHaveCount(1);
  await expect(items.locator(".op")).toHaveText("Created");
  expect((await feedPositions(page))[0]).toBeLessThan(Math.min(...firstPage));

  await open(page, "/activity", javaScriptEnabled);
  const unfiltered = await feedPositions(page);
  expect(unfiltered, "newest first").toEqual([...unfiltered].sort((a, b) => b - a));
  expect(unfiltered[0]).toBe(latest.position);
  await expect(older).toHaveText("Older changes →");
  await older.click();
  await expect(page).toHaveURL(/[?&]before=/);
  await expect
    .poll(async () => Math.max(...(await feedPositions(page))), "the newest change on the older page")
    .toBeLessThan(Math.min(...unfiltered));
  await expect(items.first(), "the older page is not empty").toBeVisible();
});

test("[js] /activity shows new changes live", async ({ page, request }) => {
  await open(page, "/activity", true);
  await expectLive(page);
  await markDocument(page);
  const actor = uniqueTitle("live auditor");
  const title = uniqueTitle("Announced");

  const v1 = await createTask(request, title, actor);
  const newest = page.locator("li.activity-item").first();
  await expect(newest).toHaveAttribute("data-position", String(v1.position));
  await expect(newest.locator(".op")).toHaveText("Created");
  await expect(newest.locator(".activity-who")).toContainText(actor);
  await expect(newest.locator("a.activity-task")).toHaveText(title);
  await expect(newest).toHaveClass(/\bjust-changed\b/);

  const v2 = await updateTask(request, v1, { title: `${title} (renamed)` }, actor);
  await expect(newest).toHaveAttribute("data-position", String(v2.position));
  await expect(newest.locator(".op")).toHaveText("Updated");
  await expect(newest.locator(".change-title .new")).toHaveText(`${title} (renamed)`);
  await expect(page.locator(`li.activity-item[data-position="${v1.position}"]`)).toBeVisible();
  await expectSameDocument(page);
});

test("[js] a page turned away at the server's cap of live connections says live is paused", async ({ page, otherPage, extraServer }) => {
  const server = await extraServer({ settings: { MAX_EVENT_STREAMS: "1" } });
  await open(page, `${server.url}/`, true);
  await expectLive(page);

  await open(otherPage, `${server.url}/activity`, true);
  const badge = otherPage.locator(".live-indicator");
  await expect(badge).toHaveAttribute("data-state", "refused");
  await expect(badge).toHaveText("Live paused");
  await expect(badge).toHaveAttribute("title", /limit of live connections/);

  // When the first page leaves, its slot frees up and the waiting page gets it on its next try.
  await page.goto("about:blank");
  await expect(badge).toHaveAttribute("data-state", "live", { timeout: 25_000 });
});

test("[js] twenty tabs in one browser share one live connection and all show a write", async ({ page, extraServer, request }) => {
  // Twenty page loads, each hydrating the debug bundle.
  test.setTimeout(180_000);
  // A server that admits a single stream: a browser holding one stream per tab would leave
  // every tab but the first refused.
  const server = await extraServer({ settings: { MAX_EVENT_STREAMS: "1" } });
  const tabs = [page];
  for (let n = 1; n < 20; n++) tabs.push(await page.context().newPage());
  const errors = tabs.slice(1).map((tab) => watchForErrors(tab));
  for (const tab of tabs) {
    await open(tab, `${server.url}/`, true);
    await expectLive(tab);
  }

  // The change carries its row, so the lists patch themselves instead of reading the list again.
  const listReads: string[] = [];
  for (const tab of tabs) tab.on("request", (sent) => sent.url().includes("/api/list_tasks") && listReads.push(sent.url()));
  const title = uniqueTitle("Twenty tabs");
  await createTask(request, title, "zoe");
  for (const tab of tabs) {
    const created = tab.locator("li.task-row a.task-title", { hasText: title });
    await expect(created).toBeVisible();
  }
  expect(listReads, "list reads after the write").toEqual([]);
  for (const tab of tabs.slice(1)) await tab.close();
  expect(errors.flat(), "errors thrown by the other tabs' scripts").toEqual([]);
});
