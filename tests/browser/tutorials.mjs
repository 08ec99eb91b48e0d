// /tutorials in headless Chromium: the five walkthroughs' steps as a
// checklist whose ticks stay after a reload, and a step's link opens its page.
// Run through run.sh, which starts the demo and sets BASE_URL.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS } = env(["BASE_URL", "SCREENSHOT_DIR"]);
const TIMEOUT = 30_000;
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1100, height: 900, timeout: TIMEOUT });

try {
  await check("50-tutorials", page, async () => {
    await page.goto(`${BASE}/`);
    await page.click("nav >> text=Tutorials");
    await page.waitForURL(/\/tutorials$/);
    expect((await page.locator("section.tutorial").count()) === 5, "five tutorials");
    expect((await page.locator("input[data-step]").count()) >= 25, "their steps");
    const box = page.locator("input[data-step=t002-1]");
    await box.check();
    await page.reload();
    expect(await page.locator("input[data-step=t002-1]").isChecked(), "the tick stays");
    const link = page.locator("#t004-1 .step-links a[href=\"/blog\"]");
    const href = await link.getAttribute("href");
    await link.click();
    await page.waitForURL((u) => u.pathname === href);
    // The page (and the next ones) lead back to the step.
    const back = page.locator("#tutorial-back a");
    expect((await back.getAttribute("href")) === "/tutorials#t004-1", `back to the step: ${await back.getAttribute("href")}`);
    await page.click("nav >> text=Snippets");
    await page.waitForURL(/\/snippets$/);
    await page.screenshot({ path: `${SHOTS}/51-tutorial-step-back.png` });
    await page.locator("#tutorial-back a").click();
    await page.waitForURL(/\/tutorials#t004-1$/);
    // Hidden with ×, it stays hidden.
    await page.goto(`${BASE}/blog`);
    await page.click("#tutorial-back button");
    await page.reload();
    expect((await page.locator("#tutorial-back").count()) === 0, "hidden for good");
    await page.goto(`${BASE}/tutorials`);
  });
} catch (e) {
  fail("tutorials", e);
} finally {
  await close();
}

finish("tutorials: ");
