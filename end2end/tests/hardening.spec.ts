import { expect } from "@playwright/test";
import { open, test, uniqueTitle } from "./support";

test("no page logs a console error: no missing favicon, no script the security policy blocks", async ({ page, javaScriptEnabled, request }) => {
  const title = uniqueTitle("Console");
  const created = await request.post("/api/create_task", { form: { title }, headers: { Accept: "application/json" } });
  expect(created.status()).toBe(200);
  const { entity_id: id } = await created.json();

  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  for (const path of [
    "/",
    "/tasks?status=todo&sort=priority",
    "/tasks/new",
    "/tasks/deleted",
    "/activity",
    "/database",
    `/tasks/${id}`,
    `/tasks/${id}/edit`,
    `/tasks/${id}/history`,
    "/tasks?at_change=1",
  ]) {
    const response = await open(page, path, javaScriptEnabled);
    expect(response?.status(), path).toBe(200);
    const policy = response?.headers()["content-security-policy"] ?? "";
    expect(policy, path).toContain("'nonce-");
  }
  const missing = await page.goto("/no-such-page");
  expect(missing?.status()).toBe(404);
  expect(consoleErrors.filter((error) => !error.includes("/no-such-page"))).toEqual([]);
  const icon = await request.get("/favicon.ico");
  expect(icon.status()).toBe(200);
});

test("a form on another site cannot make the browser write a task", async ({ page, baseURL }) => {
  const title = uniqueTitle("Forged");
  // A page that is not this app (about:blank, origin "null") posting to it, as a malicious page would.
  await page.setContent(`
    <form method="post" action="${baseURL}/api/create_task">
      <input name="title" value="${title}">
      <button type="submit">Win a prize</button>
    </form>`);
  await page.getByRole("button", { name: "Win a prize" }).click();
  await expect(page.locator("body")).toContainText("came from another site");
  await page.goto("/");
  await expect(page.getByText(title)).toHaveCount(0);
});

test("[js] the bundle is served under hashed names that browsers may keep for good", async ({ page, request }) => {
  const bundle: { url: string; cacheControl: string }[] = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.startsWith("/pkg/")) {
      bundle.push({ url: response.url(), cacheControl: response.headers()["cache-control"] ?? "" });
    }
  });
  await open(page, "/", true);
  const names = bundle.map(({ url }) => new URL(url).pathname);
  for (const kind of ["js", "wasm", "css"]) {
    expect(names, `a hashed .${kind} file`).toContainEqual(expect.stringMatching(new RegExp(`^/pkg/immutable-tasks\\.[0-9a-zA-Z_-]+\\.${kind}$`)));
  }
  for (const file of bundle) expect(file.cacheControl, file.url).toBe("public, max-age=31536000, immutable");
  // A name that is not in the bundle is a plain 404 that nobody caches.
  const missing = await request.get("/pkg/immutable-tasks.0000.wasm");
  expect(missing.status()).toBe(404);
  expect(missing.headers()["cache-control"] ?? "").not.toContain("immutable");
});
