// Workers that look like separate machines (issue 12, item 4), in headless
// Chromium: `kiqlab demo` gives worker-01 127.0.0.11 and worker-02
// 127.0.0.12. Snippets posted one after another through the form are
// highlighted by both in turn; the snippet page, the snippets list, Busy and
// Recent jobs show their own names and IPs, never the web node's. Run
// through run.sh, which starts the demo and sets BASE_URL and ADMIN_PASSWORD.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS, ADMIN_PASSWORD: PASSWORD } = env(["BASE_URL", "SCREENSHOT_DIR", "ADMIN_PASSWORD"]);
const TIMEOUT = 60_000;
const OWN = { "worker-01": "127.0.0.11", "worker-02": "127.0.0.12" };
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1280, height: 900, timeout: TIMEOUT });

try {
  // "This web node (HOST, IP) answers fast…"
  await page.goto(`${BASE}/`);
  const intro = await page.textContent("body");
  const web = /This web node \(([^,]+), ([^)]+)\)/.exec(intro);
  expect(web, "the home page names the web node");
  const [, webHost, webIp] = web;

  // The snippets this test posts (earlier tests post sync ones, which the
  // web node highlights itself).
  const posted = [];
  await check("70-workers-snippet", page, async () => {
    const by = [];
    for (let i = 0; i < 6; i++) {
      await page.goto(`${BASE}/snippets/new`);
      await page.selectOption("#language", "ruby");
      await page.fill("#code", `puts "snippet ${i}"\n`);
      await page.click("button[value=async]");
      await page.waitForURL(/\/snippets\/\d+$/);
      posted.push(new URL(page.url()).pathname);
      await page.locator("#highlighted").waitFor();
      const text = await page.textContent("#highlighted-by");
      const m = /(worker-0[12]) \(([\d.]+)\)/.exec(text);
      expect(m, `highlighted by a demo worker: ${text}`);
      expect(OWN[m[1]] === m[2], `${m[1]} shows its own address: ${text}`);
      expect(!text.includes(webIp), `not the web node's IP ${webIp}: ${text}`);
      by.push(m[1]);
    }
    const ones = by.filter((w) => w === "worker-01").length;
    expect(ones >= 2 && ones <= 4, `idle workers take turns: ${by.join(" ")}`);
  });

  await check("71-workers-snippets-list", page, async () => {
    await page.goto(`${BASE}/snippets`);
    const cells = [];
    for (const path of posted) {
      cells.push(await page.locator(`tr:has(a[href="${path}"]) td.worker`).textContent());
    }
    expect(cells.length === 6, `the 6 snippets posted above are listed: ${posted.join(" ")}`);
    for (const [name, ip] of Object.entries(OWN)) {
      expect(cells.some((c) => c.includes(`${name} (${ip})`)), `${name} (${ip}) in the list`);
    }
    expect(!cells.some((c) => c.includes(`(${webIp})`)), `no snippet shows the web node's IP ${webIp}`);
  });

  await check("72-workers-busy", page, async () => {
    await page.goto(`${BASE}/sidekiq/busy`);
    await page.waitForURL(/\/sign_in\?next=/);
    await page.fill("#email", "admin");
    await page.fill("#password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForURL(/\/sidekiq\/busy$/);
    await page.locator("#processes tr[data-identity]").first().waitFor();
    const rows = await page.locator("#processes tr[data-identity]").allTextContents();
    for (const [name, ip] of Object.entries(OWN)) {
      expect(rows.some((r) => r.includes(`${name}:`) && r.includes(ip)), `${name} at ${ip} on Busy: ${rows.join(" | ")}`);
    }
    expect(!rows.some((r) => r.includes(`${webHost}:`) && r.includes(webIp) && !r.includes("embedded")),
      `no worker has the web node's name and IP`);
  });

  await check("73-workers-recent", page, async () => {
    await page.goto(`${BASE}/sidekiq/recent`);
    await page.locator("#recent td.host", { hasText: /worker-0\d/ }).first().waitFor();
    const rows = await page.locator("#recent tbody tr").allTextContents();
    for (const [name, ip] of Object.entries(OWN)) {
      expect(rows.some((r) => r.includes(name) && r.includes(ip)), `${name} at ${ip} in Recent jobs`);
    }
  });
} catch (e) {
  fail("workers", e);
} finally {
  await close();
}
finish("workers: ");
