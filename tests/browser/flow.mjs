// The flow view (/lessons/flow) in headless Chromium: from the home page, the
// boxes for the web node, the demo's worker-01 and worker-02 and the stream
// live; then slow jobs and one urgent job pressed on the playground (from a
// second tab, as a student would) move as dots to the workers and finish
// green, with counts per worker. Run through run.sh (BASE_URL, SCREENSHOT_DIR).
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS } = env(["BASE_URL", "SCREENSHOT_DIR"]);
const TIMEOUT = 60_000;
const { check, fail, finish } = checker(SHOTS);
const { context, page, close } = await openBrowser({ width: 1280, height: 900, timeout: TIMEOUT });
const scriptErrors = [];
const cspErrors = [];
page.on("pageerror", (e) => scriptErrors.push(e.message));
page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

try {
  await check("80-flow-idle", page, async () => {
    await page.goto(`${BASE}/`);
    await page.click("#flow-link");
    await page.waitForURL(/\/lessons\/flow$/);
    await page.locator("#flow-status.live").waitFor();
    await page.locator("#flow-worker-worker-01").waitFor();
    await page.locator("#flow-worker-worker-02").waitFor();
    // The queues the workers serve, drawn while still empty.
    await page.locator("#flow-queue-default .big", { hasText: "0" }).waitFor();
    await page.locator("#flow-queue-urgent").waitFor();
    expect((await page.textContent("#flow-worker-worker-01")).includes("threads"), "worker-01 says its threads");
    await page.locator("#flow-processed", { hasText: /^\d+$/ }).waitFor();
    expect(await page.locator("a[href='/lessons/load']").count() > 0, "a link to the load lesson");
  });

  await check("81-flow-busy", page, async () => {
    const other = await context.newPage();
    await other.goto(`${BASE}/playground`);
    await other.fill("#delay", "4");
    await other.fill("#message", "flow");
    await other.fill("#count", "12");
    await other.click("#demo-form button[type=submit]");
    await other.waitForURL(/done=/);
    await other.goto(`${BASE}/playground`);
    await other.click("#urgent-form button[type=submit]");
    await other.waitForURL(/done=/);
    await other.close();
    // Waiting dots in a queue, then running dots on both workers.
    await page.locator("#flow-queue-default .big", { hasText: /^[1-9]\d*$/ }).waitFor();
    await page.locator("#flow-queue-urgent").waitFor();
    await page.waitForFunction(() => document.querySelectorAll(".flow-dot.running").length >= 2);
    await page.locator("#flow-worker-worker-01 .counts", { hasText: /running [1-9]/ }).waitFor();
    await page.locator("#flow-log", { hasText: /picked up DemoWorker/ }).waitFor();
    await page.locator("#flow-log", { hasText: /finished DemoWorker/ }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll(".flow-dot.running").length >= 2);
    // Let the dots land (they move in 0.6 s) for a picture a class can read.
    await page.waitForTimeout(800);
  });

  await check("82-flow-done", page, async () => {
    await page.locator("#flow-worker-worker-01 .counts", { hasText: /done [1-9]/ }).waitFor();
    await page.locator("#flow-worker-worker-02 .counts", { hasText: /done [1-9]/ }).waitFor();
    expect(scriptErrors.length === 0, `script errors: ${scriptErrors.join("; ")}`);
    expect(cspErrors.length === 0, `CSP errors: ${cspErrors.join("; ")}`);
  });
} catch (e) {
  fail("flow view", e);
} finally {
  await close();
}
finish("flow view: ");
