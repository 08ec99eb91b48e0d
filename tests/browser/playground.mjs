// The playground in headless Chromium as tutorial 004 uses it: the answer
// comes by POST/redirect/GET (a reload re-submits nothing), every field
// keeps what was typed, and the urgent button says it waits for the slow
// jobs to start. Run through run.sh, which starts the demo and sets BASE_URL.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS } = env(["BASE_URL", "SCREENSHOT_DIR"]);
const TIMEOUT = 30_000;
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1100, height: 900, timeout: TIMEOUT });

try {
  await check("30-playground-prg", page, async () => {
    await page.goto(`${BASE}/playground`);
    await page.fill("#delay", "0");
    await page.fill("#message", "kept after submit");
    await page.fill("#count", "3");
    await page.click("#demo-form button[value=async]");
    await page.locator("#outcome").waitFor();
    expect(/\/playground\?done=demo/.test(page.url()), `a GET after the POST: ${page.url()}`);
    expect((await page.inputValue("#message")) === "kept after submit", "message kept");
    expect((await page.inputValue("#count")) === "3", "count kept");
    expect((await page.inputValue("#delay")) === "0", "delay kept");
    const jids = await page.locator("#outcome .jids li").allTextContents();
    await page.reload();
    await page.locator("#outcome").waitFor();
    const again = await page.locator("#outcome .jids li").allTextContents();
    expect(JSON.stringify(jids) === JSON.stringify(again), "a reload shows the same jobs, enqueues none");
  });

  await check("31-playground-urgent", page, async () => {
    await page.goto(`${BASE}/playground`);
    await page.fill("#slow_count", "4");
    await page.click("#urgent-form button[type=submit]");
    await page.locator("#outcome", { hasText: "as soon as a worker has started" }).waitFor();
    expect((await page.inputValue("#slow_count")) === "4", "slow count kept");
    expect((await page.textContent("main")).includes("-q urgent,10 -q default,1"), "the weights named");
  });
} catch (e) {
  fail("playground", e);
} finally {
  await close();
}

finish("playground: ");
