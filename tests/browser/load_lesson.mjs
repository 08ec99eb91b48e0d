// The load lesson (/lessons/load) in headless Chromium: an anonymous visitor
// is sent to sign in and back; the demo's admin runs 10 users x 30 requests
// against Snippets, watches it run (the page refreshes itself with the
// figures so far), and gets
// sync and async side by side with the latency-over-time chart. Run through
// run.sh, which starts the demo and sets BASE_URL and ADMIN_PASSWORD.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS, ADMIN_PASSWORD: PASSWORD } = env(["BASE_URL", "SCREENSHOT_DIR", "ADMIN_PASSWORD"]);
const TIMEOUT = 60_000;
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1280, height: 1000, timeout: TIMEOUT });
const scriptErrors = [];
page.on("pageerror", (e) => scriptErrors.push(e.message));
const cell = async (row, i) => (await page.textContent(`#row-${row} td:nth-child(${i + 2})`)).trim();

try {
  await check("60-load-lesson-running", page, async () => {
    await page.goto(`${BASE}/timings`);
    await page.click("#load-lesson-link");
    await page.waitForURL(/\/sign_in\?next=%2Flessons%2Fload/);
    await page.fill("#email", "admin");
    await page.fill("#password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForURL(/\/lessons\/load$/);
    await page.selectOption("#app", "snippets");
    await page.fill("#users", "10");
    await page.fill("#requests", "30");
    await page.click("#start");
    await page.locator("#lesson[data-phase=running]").waitFor();
    await page.locator("#phase", { hasText: "sync" }).waitFor();
    // The figures so far, refreshed every second while it runs.
    await page.locator("#load-results thead th", { hasText: "sync (so far)" }).waitFor();
    await page.locator("#row-answered td", { hasText: /^([5-9]|[12]\d) of 30/ }).waitFor();
    await page.locator("#load-chart polyline.sync").first().waitFor();
    expect(await page.locator("#start").isDisabled(), "no second start while it runs");
  });

  await check("61-load-lesson", page, async () => {
    // The page reloads itself every second until the run ends.
    await page.locator("#lesson[data-phase=done]").waitFor({ timeout: 120_000 });
    const heads = await page.$$eval("#load-results thead th", (ths) => ths.map((t) => t.textContent.trim()));
    expect(JSON.stringify(heads) === JSON.stringify(["", "sync", "async"]), `columns: ${heads}`);
    for (const i of [0, 1]) {
      expect((await cell("answered", i)).startsWith("30 of 30"), `mode ${i}: ${await cell("answered", i)}`);
      expect((await cell("errors", i)) === "0", `mode ${i} errors: ${await cell("errors", i)}`);
      expect(/\d/.test(await cell("p50", i)), `mode ${i} p50`);
    }
    // 10 users on 5 threads, 1 s of work each: sync queues (about 2 s each).
    const sync = await cell("p50", 0);
    expect(sync.endsWith(" s"), `sync median in seconds: ${sync}`);
    await page.locator("#ratio").waitFor();
    const lines = await page.$$eval("#load-chart polyline", (ps) => ps.map((p) => p.getAttribute("points")));
    expect(lines.length === 4 && lines.every((p) => p.split(" ").length >= 1 && p.includes(",")), `chart lines: ${lines.length}`);
    expect(scriptErrors.length === 0, `script errors: ${scriptErrors.join("; ")}`);
  });
} catch (e) {
  fail("load lesson", e);
} finally {
  await close();
}
finish("load lesson: ");
