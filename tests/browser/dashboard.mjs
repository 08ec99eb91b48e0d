// The dashboard in headless Chromium (Debian's): sign in as the demo's admin,
// watch the summary counters and the realtime graph move while 500
// DemoWorker jobs run, then take a failing job from Retries to Dead and
// retry it from the Dead tab. Screenshots go to docs/screenshots/. Run
// through run.sh, which starts the demo and sets BASE_URL and ADMIN_PASSWORD.
import { join } from "node:path";
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS, ADMIN_PASSWORD: PASSWORD } = env(["BASE_URL", "SCREENSHOT_DIR", "ADMIN_PASSWORD"]);
const TIMEOUT = 60_000;
const count = async (page, stat) =>
  Number((await page.textContent(`#summary [data-stat=${stat}]`)).replace(/,/g, ""));
const { check, fail, finish } = checker(SHOTS);
const { context, page, close } = await openBrowser({ width: 1280, height: 900, timeout: TIMEOUT });
page.on("dialog", (d) => d.accept());
const scriptErrors = [];
page.on("pageerror", (e) => scriptErrors.push(e.message));

try {
  await check("09-dashboard-sign-in", page, async () => {
    await page.goto(`${BASE}/sidekiq`);
    await page.waitForURL(/\/sign_in\?next=/);
    await page.fill("#email", "admin");
    await page.fill("#password", "not the password");
    await page.click("#sign-in-form button[type=submit]");
    await page.locator("#auth-error", { hasText: "Wrong email or password" }).waitFor();
    await page.fill("#password", PASSWORD);
  });

  await check("10-dashboard-live", page, async () => {
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForURL(/\/sidekiq$/);
    await page.locator("#signed-in-as", { hasText: "admin" }).waitFor();
    await page.selectOption("#poll-interval", "2000");
    const before = await count(page, "processed");
    // 500 DemoWorker jobs from the playground, in another tab.
    const other = await context.newPage();
    other.setDefaultTimeout(TIMEOUT);
    await other.goto(`${BASE}/playground`);
    await other.fill("#count", "500");
    await other.fill("#delay", "0.1");
    await other.click("#demo-form button[value=async]");
    await other.locator("#outcome").waitFor();
    await other.close();
    // The counters move by themselves (polling /sidekiq/stats).
    let seen = [];
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const now = await count(page, "processed");
      if (seen[seen.length - 1] !== now) seen.push(now);
      if (now >= before + 500) break;
      if (Date.now() > deadline) throw new Error(`processed stuck at ${now} (from ${before})`);
      await page.waitForTimeout(250);
    }
    expect(seen.length >= 3, `the counter moved in steps: ${seen.join(" → ")}`);
    expect(await page.locator("#realtime-chart canvas").count() === 1, "realtime chart drawn");
    expect(await page.locator("#history-chart canvas").count() === 1, "history chart drawn");
    expect((await page.textContent("#server-utc-time")).endsWith("UTC"), "server time shown");
  });

  await check("11-dashboard-busy-and-recent", page, async () => {
    await page.goto(`${BASE}/sidekiq/busy`);
    await page.locator("#processes tr[data-identity]").first().waitFor();
    expect(await page.locator("#processes tr[data-identity]").count() >= 2, "two worker processes");
    await page.goto(`${BASE}/sidekiq/recent`);
    await page.locator("#recent td.host", { hasText: /worker-0\d/ }).first().waitFor();
  });

  await check("12-dashboard-dead-retry", page, async () => {
    await page.goto(`${BASE}/playground`);
    await page.click("#wrong-form button[type=submit]");
    await page.locator("#outcome").waitFor();
    // It fails and lands in Retries; kill it from there.
    for (let i = 0; ; i++) {
      await page.goto(`${BASE}/sidekiq/retries`);
      if (await page.locator("#entries input[name='key[]']").count() > 0) break;
      if (i > 100) throw new Error("no job reached Retries");
      await page.waitForTimeout(300);
    }
    const dead0 = await count(page, "dead");
    await page.locator("#entries input[name='key[]']").first().check();
    await page.click("#set-form button[data-action=kill]");
    await page.waitForURL(/\/sidekiq\/retries$/);
    await page.click("#sidekiq .tabs >> text=Dead");
    await page.waitForURL(/\/sidekiq\/morgue$/);
    expect(await count(page, "dead") === dead0 + 1, "one more dead job");
    await page.locator("#entries tbody tr[data-jid] td:nth-child(2) a").first().click();
    await page.locator("#job-info").waitFor();
    expect((await page.textContent("#job-info")).includes("ArgumentError"), "the error is shown");
    await page.screenshot({ path: join(SHOTS, "12-dashboard-dead-job.png"), fullPage: true });
    await page.click("#job-actions button[value=retry]");
    await page.waitForURL(/\/sidekiq\/morgue$/);
    expect(await count(page, "dead") === dead0, "back out of the Dead set");
  });

  await check("13-dashboard-metrics", page, async () => {
    await page.goto(`${BASE}/sidekiq/metrics`);
    await page.locator("#metrics tr[data-class=DemoWorker]").waitFor();
    await page.click("#metrics tr[data-class=DemoWorker] a");
    await page.locator("#histogram").waitFor();
    expect(Number(await page.textContent("#class-executions")) >= 500, "500 executions counted");
  });

  await check("14-dashboard-phone", page, async () => {
    // A student's phone: the summary bar wraps instead of overflowing.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/sidekiq`);
    const box = await page.locator("#summary").boundingBox();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(box.x >= 0 && box.x + box.width <= 390, `the summary bar fits 390 px: ${box.x} + ${box.width}`);
    expect(wide <= 390, `no sideways scrolling: ${wide} px wide`);
  });
  expect(scriptErrors.length === 0, `script errors: ${scriptErrors.join("; ")}`);
} catch (e) {
  fail("script", e);
} finally {
  await close();
}

finish("dashboard: ");
