// The job-state block of each record's page in headless Chromium: a snippet
// shows queued or running before its worker is done (the demo's highlight
// delay is 1 s), then "Job done: worker-0N ran it"; a FibTastic request and a
// blog post end done, the post again after Edit with its new tags.
// Run through run.sh, which starts the demo and sets BASE_URL.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS } = env(["BASE_URL", "SCREENSHOT_DIR"]);
const TIMEOUT = 30_000;
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1100, height: 800, timeout: TIMEOUT });

const state = () => page.getAttribute("#job-state", "data-state");
const done = () => page.locator("#job-state[data-state=done]").waitFor();

try {
  await check("20-job-state-snippet", page, async () => {
    await page.goto(`${BASE}/snippets/new`);
    await page.selectOption("#language", "ruby");
    await page.fill("#code", "puts 'state'\n");
    await page.click("button[value=async]");
    await page.waitForURL(/\/snippets\/\d+$/);
    const first = await state();
    expect(first === "queued" || first === "running", `before the worker is done: ${first}`);
    expect((await page.textContent("#job-state")).includes("refreshes itself"), "live");
    await done();
    const text = await page.textContent("#job-state");
    expect(/Job done: worker-0\d ran it in \d+\.\d+ s/.test(text), `done by a worker: ${text}`);
  });

  await check("21-job-state-fibtastic", page, async () => {
    await page.goto(`${BASE}/fibtastic`);
    await page.fill("#email", "grace@example.com");
    await page.fill("#sequence_length", "30");
    await page.click("button[value=async]");
    await page.waitForURL(/\/fibtastic\/requests\/\d+$/);
    await done();
    await page.getByText("is in your inbox now").waitFor();
  });

  await check("22-job-state-blog-edit", page, async () => {
    await page.goto(`${BASE}/blog/posts/new`);
    await page.fill("#title", "Queues");
    await page.fill("#body", "Redis queues hold jobs; Sidekiq workers take jobs from queues.");
    await page.click("button[value=async]");
    await page.waitForURL(/\/blog\/posts\/\d+$/);
    await done();
    await page.click("text=Edit");
    await page.fill("#title", "Pipelines");
    await page.fill("#body", "Pipelines feed pipelines; pipelines everywhere.");
    await page.click("button[value=async]");
    await page.waitForURL(/\/blog\/posts\/\d+$/);
    const after = await state();
    if (after !== "done") {
      expect((await page.textContent("#job-state")).includes("Re-tagging after your edit"), "says it re-tags");
    }
    await done();
    await page.locator("#auto-tags", { hasText: "pipelines" }).waitFor();
  });
} catch (e) {
  fail("job state", e);
} finally {
  await close();
}

finish("job state: ");
