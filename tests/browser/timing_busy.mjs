// Issue 12 items 2 and 6 in headless Chromium. A sync submit lands on a page
// that tells the submit's own time (carried through the redirect), step by
// step, with its ratio to the async median; /timings draws a linear axis.
// The dashboard's Busy count follows the work: it shows the playground's
// slow jobs while they run, and 0 again soon after the last one is counted
// processed. Run through run.sh (it starts the demo, sets BASE_URL and
// ADMIN_PASSWORD).
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS, ADMIN_PASSWORD: PASSWORD } = env(["BASE_URL", "SCREENSHOT_DIR", "ADMIN_PASSWORD"]);
const TIMEOUT = 60_000;
const { check, fail, finish } = checker(SHOTS);
const { context, page, close } = await openBrowser({ width: 1280, height: 1000, timeout: TIMEOUT });
const scriptErrors = [];
page.on("pageerror", (e) => scriptErrors.push(e.message));
const stat = async (p, name) =>
  Number((await p.textContent(`#summary [data-stat=${name}]`)).replace(/,/g, ""));

async function postSnippet(mode, code) {
  await page.goto(`${BASE}/snippets/new`);
  await page.selectOption("#language", "ruby");
  await page.fill("#code", code);
  await page.click(`button[value=${mode}]`);
  await page.waitForURL(/\/snippets\/\d+$/);
}

try {
  await check("90-submit-time", page, async () => {
    await postSnippet("async", 'puts "async first"\n');
    await page.locator("#submit-time[data-mode=async]").waitFor();
    await postSnippet("sync", 'puts "then sync"\n');
    const section = page.locator("#submit-time[data-mode=sync]");
    await section.waitFor();
    const ms = Number(await section.getAttribute("data-ms"));
    // The demo's highlight takes about a second: this is the POST's time,
    // not the redirected GET's fraction of a millisecond.
    expect(ms >= 500, `the submit's own time, not the page's: ${ms} ms`);
    const steps = await page.$$eval("#submit-time li[data-step]", (ls) => ls.map((l) => l.dataset.step));
    expect(steps.length >= 2, `the submit's steps: ${steps.join(", ")}`);
    const ratio = await page.textContent("#submit-time .ratio-value");
    expect(/^\d[\d,.]*×$/.test(ratio.trim()), `the ratio to the async median: ${ratio}`);
    expect(Number(ratio.replace(/[×,]/g, "")) > 1, `sync is slower than async: ${ratio}`);
  });

  await check("91-timings-linear", page, async () => {
    await page.goto(`${BASE}/timings`);
    expect((await page.textContent("#scale strong")).trim() === "linear", "a linear axis by default");
    await page.click("#scale a");
    await page.waitForURL(/scale=log/);
    expect((await page.textContent("#scale strong")).trim() === "logarithmic", "log only as the labelled option");
  });

  await check("92-busy-live", page, async () => {
    await page.goto(`${BASE}/sidekiq`);
    await page.waitForURL(/\/sign_in\?next=/);
    await page.fill("#email", "admin");
    await page.fill("#password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForURL(/\/sidekiq$/);
    // Earlier pages' jobs (the flow view's slow ones) finish first, so only
    // this check's jobs run.
    const idleBy = Date.now() + 120_000;
    for (;;) {
      await page.goto(`${BASE}/sidekiq/busy`);
      if ((await stat(page, "busy")) === 0 && (await stat(page, "enqueued")) === 0) break;
      expect(Date.now() < idleBy, "the workers never became idle");
      await page.waitForTimeout(500);
    }
    const processed0 = await stat(page, "processed");
    const failed0 = await stat(page, "failed");
    // Processed counts failures too (as Sidekiq's does): an earlier page's
    // retry that fails meanwhile is not one of ours.
    const succeeded = async () =>
      (await stat(page, "processed")) - processed0 - ((await stat(page, "failed")) - failed0);
    const other = await context.newPage();
    other.setDefaultTimeout(TIMEOUT);
    await other.goto(`${BASE}/playground`);
    await other.fill("#count", "4");
    await other.fill("#delay", "4");
    await other.click("#demo-form button[value=async]");
    await other.locator("#outcome").waitFor();
    await other.close();
    // While the 4-second jobs run, Busy counts them (a 5 s heartbeat would
    // often miss them altogether).
    let busySeen = 0;
    for (;;) {
      await page.reload();
      const busy = await stat(page, "busy");
      const done = await succeeded();
      if (busy > 0) {
        busySeen = busy;
        break;
      }
      expect(done < 4, "Busy never showed the slow jobs while they ran");
      await page.waitForTimeout(200);
    }
    expect(busySeen >= 1, `busy while running: ${busySeen}`);
    // Every job done: Busy drops to 0 soon after, not a heartbeat later.
    for (;;) {
      await page.reload();
      if ((await succeeded()) >= 4) break;
      await page.waitForTimeout(200);
    }
    const after = Date.now();
    for (;;) {
      await page.reload();
      if ((await stat(page, "busy")) === 0) break;
      expect(Date.now() - after < 3000, "Busy still counts jobs 3 s after they were all processed");
      await page.waitForTimeout(200);
    }
    expect(scriptErrors.length === 0, `script errors: ${scriptErrors.join("; ")}`);
  });
} catch (e) {
  fail("timings and busy", e);
} finally {
  await close();
}
finish("timings and busy: ");
