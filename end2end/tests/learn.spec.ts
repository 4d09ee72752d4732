import { expect } from "@playwright/test";
import { open, test, uniqueTitle } from "./support";

test("the learn index links every pattern to where it lives", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/", javaScriptEnabled);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Learn" }).click();
  await expect(page.getByRole("heading", { name: "Learn: the patterns in this app", level: 1 })).toBeVisible();
  for (const pattern of ["Append-only log", "Event sourcing and replay", "Idempotent retries", "Temporal queries", "Valid time and recorded time"]) {
    await expect(page.getByRole("link", { name: pattern })).toBeVisible();
  }
  await testInfo.attach("learn index", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("a replay of the whole log equals the read model, and an earlier position shows the changes since", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/learn/replay", javaScriptEnabled);
  await page.getByRole("button", { name: "Replay" }).click();
  const outcome = page.getByRole("region", { name: /Replayed positions 1–\d+ of \d+/ });
  await expect(outcome).toContainText("The replay equals the read model");
  await expect(outcome.locator(".statements-run pre").filter({ hasText: "INSERT INTO replayed_current" })).toBeVisible();
  await expect(outcome.locator(".statements-run")).toContainText("ROLLBACK");
  const rows = outcome.locator(".replay-digests tbody tr td:nth-child(2)");
  await expect(rows.nth(0)).toHaveText(await rows.nth(1).innerText());
  await testInfo.attach("replay", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  await page.getByLabel("Up to position (blank: the newest)").fill("1");
  await page.getByRole("button", { name: "Replay" }).click();
  await expect(page).toHaveURL(/up_to=1/);
  const earlier = page.getByRole("region", { name: /Replayed positions 1–1 of \d+/ });
  await expect(earlier).toContainText(/The board at position 1 differs from today's read model|The replay equals the read model/);
  await expect(earlier.locator(".replay-digests tbody tr td:nth-child(2)").first()).toHaveText("1");
});

test("the temporal page reads one board through the periods view and through the index walk, and they agree", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/learn", javaScriptEnabled);
  await page.getByRole("link", { name: "Temporal queries" }).click();
  const outcome = page.getByRole("region", { name: /The board at / });
  await expect(outcome).toContainText(/Both reads found the same \d+ versions, in the same order/);
  await expect(outcome.locator(".db-sql")).toContainText(/lead\(/i);
  await expect(outcome.getByRole("columnheader", { name: "superseded at" })).toBeVisible();
  await expect(outcome.locator(".statements-run pre").filter({ hasText: "task_version_periods" })).toBeVisible();
  await testInfo.attach("temporal", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  await page.getByLabel("The board at change (a position; blank: halfway through the log)").fill("1");
  await page.getByRole("button", { name: "Show the board then" }).click();
  await expect(page).toHaveURL(/at_change=1/);
  await expect(page.getByRole("region", { name: /The board at / })).toContainText("Both reads found the same 1 versions");
});

test("the two-times page reads one moment as known now and as the log said it then", async ({ page, javaScriptEnabled, request }, testInfo) => {
  // A task recorded now as true since a minute ago: the latest back-dated time in the log.
  const title = uniqueTitle("Learned late");
  const created = await request.post("/api/v1/tasks", {
    data: { title, valid_from: new Date(Date.now() - 60_000).toISOString(), note: "found on a sticky note" },
  });
  expect(created.status()).toBe(201);

  await open(page, "/learn", javaScriptEnabled);
  await page.getByRole("link", { name: "Valid time and recorded time" }).click();
  const outcome = page.getByRole("region", { name: /The board at / });
  await expect(outcome.locator(".backdated tbody tr").first()).toContainText(title);
  await expect(outcome.locator(".backdated")).toContainText("found on a sticky note");
  // Known now, the task was on the board a minute ago; at that moment the log did not have it.
  const differences = outcome.locator("table").first();
  await expect(differences.getByRole("row").filter({ hasText: title })).toContainText("not in the log yet");
  await expect(outcome.locator(".statements-run pre").filter({ hasText: "v.valid_from < v.recorded_at" }).first()).toBeVisible();
  await testInfo.attach("two times", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("the CQRS page shows a rule on the read model refusing an append, and the log not moving", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/learn", javaScriptEnabled);
  await page.getByRole("link", { name: "Read model kept by a trigger (CQRS)" }).click();
  await page.getByRole("button", { name: "Try an append the read model refuses" }).click();
  const outcome = page.getByRole("region", { name: "Appending “Refused by the read model”" });
  await expect(outcome).toContainText("The database refused the append");
  await expect(outcome.locator(".db-message")).toContainText("read_model_demo_rule");
  const positions = (await outcome.getByText(/newest position before the attempt/).innerText()).match(/before the attempt: (\d+); after it: (\d+)/);
  expect(positions?.[1]).toBe(positions?.[2]);
  await expect(outcome.locator(".statements-run pre").filter({ hasText: "INSERT INTO task_versions" })).toBeVisible();
  await testInfo.attach("cqrs", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("two editors of one task: the first save appends the next version, the second is refused", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const title = uniqueTitle("Edited twice");
  const created = await request.post("/api/create_task", { form: { title }, headers: { Accept: "application/json" } });
  const { entity_id: id } = await created.json();
  await open(page, "/learn", javaScriptEnabled);
  await page.getByRole("link", { name: "Optimistic concurrency" }).click();
  await page.getByRole("link", { name: title }).click();
  const editorA = page.getByRole("region", { name: "Editor A" });
  const editorB = page.getByRole("region", { name: "Editor B" });
  await editorA.getByRole("button", { name: "Save as editor A (from version 1)" }).click();
  await expect(editorA.getByRole("status")).toHaveText("Saved: version 2 appended.");
  if (javaScriptEnabled === false) {
    await expect(page.getByText("Saved — now version 2")).toBeVisible();
  } else {
    await expect(page, "the save answered in place").not.toHaveURL(/flash=/);
  }
  await editorB.getByRole("button", { name: "Save as editor B (from version 1)" }).click();
  await expect(editorB.getByRole("alert")).toContainText("Refused: version 2 was saved first, so a save from version 1 cannot append it again");
  await expect(editorB.getByRole("button", { name: "Save as editor B (from version 1)" }), "the refused editor still starts from version 1").toBeVisible();
  if (javaScriptEnabled !== false) {
    await expect(editorA.getByRole("status"), "both answers stay side by side").toHaveText("Saved: version 2 appended.");
  }
  await testInfo.attach("two editors", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  const history = await request.post("/api/get_task", { form: { entity_id: id }, headers: { Accept: "application/json" } });
  const { task } = await history.json();
  expect(task.version, "one save appended, the other nothing").toBe(2);
  expect(task.fields.title).toBe(`${title} (editor A)`);
});

test("a replay position that is not a number is refused with a message", async ({ page, javaScriptEnabled }) => {
  await open(page, "/learn/replay?run=1&up_to=soon", javaScriptEnabled);
  await expect(page.getByRole("alert")).toContainText("must be a position in the log");
});

test("[js] the idempotency lab sends one form twice at once and both answers name one version", async ({ page, javaScriptEnabled }, testInfo) => {
  const title = uniqueTitle("Twice");
  await open(page, "/learn/idempotency", javaScriptEnabled);
  await page.getByLabel("Title of the task to create").fill(title);
  await page.getByRole("button", { name: "Submit twice" }).click();
  const answers = page.getByRole("region", { name: /What key [0-9a-f-]{36} appended/ });
  await expect(answers).toContainText(`Version 1 of “${title}”`);
  await expect(answers).toContainText("Both answers are the same, byte for byte");
  const [first, second] = await answers.locator("pre").allInnerTexts();
  expect(first).toMatch(/^HTTP 200\n\{/);
  expect(second).toBe(first);
  await expect(page).toHaveURL(/\/learn\/idempotency$/);
  await testInfo.attach("idempotency lab", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  await open(page, `/?q=${encodeURIComponent(title)}`, javaScriptEnabled);
  await expect(page.getByRole("link", { name: title })).toHaveCount(1);
});

test("[no-js] the idempotency lab posted, then posted again from Back, names one version both times", async ({ page, javaScriptEnabled }) => {
  const title = uniqueTitle("Posted from Back");
  await open(page, "/learn/idempotency", javaScriptEnabled);
  await page.getByLabel("Title of the task to create").fill(title);
  await page.getByRole("button", { name: "Submit twice" }).click();
  await expect(page).toHaveURL(/\/learn\/idempotency\?key=[0-9a-f-]{36}&flash=created\.1$/);
  const answers = page.getByRole("region", { name: /What key [0-9a-f-]{36} appended/ });
  await expect(answers).toContainText(`Version 1 of “${title}”`);
  const first = await answers.locator("p").first().innerText();
  const landed = page.url();
  await page.goBack();
  await page.getByLabel("Title of the task to create").fill(title);
  await page.getByRole("button", { name: "Submit twice" }).click();
  await expect(page).toHaveURL(landed);
  await expect(answers.locator("p").first(), "the second post is answered with the first one's version").toHaveText(first);
  await open(page, `/?q=${encodeURIComponent(title)}`, javaScriptEnabled);
  await expect(page.getByRole("link", { name: title })).toHaveCount(1);
});

test("an idempotency key in the lab's address that is not a key is refused with a message", async ({ page, javaScriptEnabled }) => {
  const response = await open(page, "/learn/idempotency?key=not-a-key", javaScriptEnabled);
  expect(response?.status()).toBe(422);
  await expect(page.getByRole("alert")).toContainText("is not a valid idempotency key");
});

test("[no-js] a create form posted again (a retry) is answered with the task the first post created", async ({ page, request, javaScriptEnabled }) => {
  const title = uniqueTitle("Posted again");
  await open(page, "/tasks/new", javaScriptEnabled);
  const key = await page.locator('input[name="idempotency_key"]').getAttribute("value");
  expect(key, "the server writes the form's key into the page").toMatch(/^[0-9a-f-]{36}$/);
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const created = page.url().match(/\/tasks\/([0-9a-f-]{36})/)?.[1];

  const retry = await request.post("/api/create_task", { form: { title, idempotency_key: key! }, headers: { Accept: "application/json" } });
  expect(retry.status()).toBe(200);
  const answer = await retry.json();
  expect(answer.entity_id).toBe(created);
  expect(answer.version).toBe(1);
  await open(page, `/?q=${encodeURIComponent(title)}`, javaScriptEnabled);
  await expect(page.getByRole("link", { name: title })).toHaveCount(1);
  await open(page, "/tasks/new", javaScriptEnabled);
  expect(await page.locator('input[name="idempotency_key"]').getAttribute("value"), "the next form gets a new key").not.toBe(key);
});

test("[js] the create form gets a new key after each task, so two tasks in a row are two tasks", async ({ page, javaScriptEnabled }) => {
  await open(page, "/", javaScriptEnabled);
  const form = page.getByRole("form", { name: "Create a task" });
  const keys: (string | null)[] = [];
  const titles = [uniqueTitle("In a row"), uniqueTitle("In a row")];
  for (const title of titles) {
    keys.push(await form.locator('input[name="idempotency_key"]').getAttribute("value"));
    await form.getByLabel("Title").fill(title);
    await form.getByRole("button", { name: "Create task" }).click();
    await expect(page.getByRole("link", { name: title })).toBeVisible();
  }
  expect(keys[0]).not.toBe(keys[1]);
  for (const title of titles) await expect(page.getByRole("link", { name: title })).toHaveCount(1);
});

test("snapshots: one taken now, then the board at a change read from it and from the whole log agree", async ({ page, javaScriptEnabled }, testInfo) => {
  await open(page, "/learn", javaScriptEnabled);
  await page.getByRole("link", { name: "Snapshots" }).click();
  await expect(page.getByText(/A snapshot is taken each time the log grows by \d+ changes/)).toBeVisible();
  await page.getByRole("button", { name: "Take a snapshot now" }).click();
  await expect(page.getByText(/Snapshot at change \d+ taken in [\d.]+ ms|No snapshot taken/)).toBeVisible();
  if (await page.getByText(/Snapshot at change \d+ taken/).isVisible()) {
    await expect(page.locator(".statements-run pre").filter({ hasText: "INSERT INTO board_snapshot_tasks" })).toBeVisible();
  }
  await page.reload();
  await expect(page.getByText(/Snapshot at change \d+ taken|No snapshot taken/), "the outcome is shown once").toHaveCount(0);
  const newest = page.locator(".snapshot-list tbody tr").first();
  await expect(newest).toBeVisible();
  const position = (await newest.locator("th").innerText()).trim();

  await page.getByLabel("At change (blank: the newest)").fill(position);
  await page.getByRole("button", { name: "Read the board" }).click();
  await expect(page).toHaveURL(new RegExp(`at_change=${position}`));
  const outcome = page.getByRole("region", { name: `The board at change ${position}, from the snapshot at change ${position}` });
  await expect(outcome).toContainText("Both reads found the same board");
  await expect(outcome.locator(".statements-run pre").filter({ hasText: "board_snapshot_tasks" })).toBeVisible();
  const digests = outcome.locator(".replay-digests tbody tr td:nth-child(5)");
  await expect(digests.nth(0)).toHaveText(await digests.nth(1).innerText());
  await testInfo.attach("snapshots", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});
