// Shared by the page tests: the environment run.sh sets, a headless Debian
// Chromium with a fresh profile, and named checks that screenshot their page,
// fail instead of hanging, and add up to the script's exit code.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The named environment variables, or exit 2 naming the missing ones. */
export function env(names) {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    console.error(`${missing.join(", ")} must be set (use run.sh)`);
    process.exit(2);
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n]]));
}

export function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A check that hangs (some browser calls have no timeout) fails instead.
const CHECK_LIMIT = 180_000;
function limited(promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${CHECK_LIMIT} ms`)), CHECK_LIMIT);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function openBrowser({ width, height, timeout }) {
  const profile = mkdtempSync(join(tmpdir(), "kiqlab-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width, height },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** Named checks; each saves a screenshot to `shots` (`NAME-failed.png` on failure). */
export function checker(shots) {
  mkdirSync(shots, { recursive: true });
  const results = [];
  async function check(name, page, fn) {
    const started = Date.now();
    try {
      await limited(fn());
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      results.push({ name, ok: true });
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(`FAIL ${name}: ${e.message}`);
      await page.screenshot({ path: join(shots, `${name}-failed.png`), fullPage: true }).catch(() => {});
    }
  }
  function fail(what, e) {
    results.push({ name: what, ok: false });
    console.log(`FAIL ${e.message}`);
  }
  function finish(label) {
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`${label}${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
  }
  return { check, fail, finish };
}
