// Accounts in headless Chromium: sign-up styled like the app, a new
// non-admin lands on /account (how an admin grants access, not a 403), the
// header says who is signed in on every page and signs out.
// Run through run.sh, which starts the demo and sets BASE_URL.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS } = env(["BASE_URL", "SCREENSHOT_DIR"]);
const TIMEOUT = 30_000;
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1100, height: 800, timeout: TIMEOUT });
const EMAIL = `student${Date.now()}@example.com`;
const PASSWORD = "a long enough password";

try {
  await check("40-sign-up", page, async () => {
    await page.goto(`${BASE}/sign_up`);
    expect((await page.textContent("#account")).includes("sign in"), "header offers sign in");
    const box = await page.locator("#email").boundingBox();
    const label = await page.locator("label[for=email]").boundingBox();
    expect(box.y > label.y + label.height - 1, "the input sits under its label");
    expect(box.width >= 300, `a full-width input: ${box.width}`);
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.fill("#password_confirmation", PASSWORD);
  });

  await check("41-new-account", page, async () => {
    await page.click("#sign-up-form button[type=submit]");
    await page.waitForURL(/\/account$/);
    expect((await page.textContent("#grant-command")).trim() === `kiqlab admin grant ${EMAIL}`, "the grant command");
    expect((await page.textContent("#account-user")).trim() === EMAIL, "signed in as, in the header");
    // The dashboard sends a non-admin here too, not to a 403.
    const r = await page.goto(`${BASE}/sidekiq`);
    expect(r.status() === 200 && /\/account$/.test(page.url()), `to /account: ${r.status()} ${page.url()}`);
  });

  await check("42-signed-in-header", page, async () => {
    await page.goto(`${BASE}/fibtastic`);
    expect((await page.textContent("#account")).includes(`signed in as ${EMAIL}`), "on an app page");
    await page.click("#sign-out");
    await page.waitForURL(/\/sign_in/);
    await page.locator("#sign-in-link").waitFor();
  });
} catch (e) {
  fail("accounts", e);
} finally {
  await close();
}

finish("accounts: ");
