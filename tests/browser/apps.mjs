// Page tests for kiqlab's web node: headless Chromium (Debian's) fills each
// app's form and waits for the processed result to appear, saving a
// screenshot of each to docs/screenshots/. Run through run.sh, which starts
// the demo (web, workers, mail catcher, tagger) and sets BASE_URL.
import { checker, env, expect, openBrowser } from "./harness.mjs";

const { BASE_URL: BASE, SCREENSHOT_DIR: SHOTS } = env(["BASE_URL", "SCREENSHOT_DIR"]);
const TIMEOUT = 30_000;
const WORKER = /worker-0\d \(/;
const { check, fail, finish } = checker(SHOTS);
const { page, close } = await openBrowser({ width: 1100, height: 800, timeout: TIMEOUT });

try {
  await check("01-index", page, async () => {
    await page.goto(`${BASE}/`);
    await page.getByRole("heading", { name: /Background jobs with Sidekiq/ }).waitFor();
    expect((await page.textContent("#server-time")).match(/\d+(\.\d+)? m?s/), "server time in the footer");
  });

  await check("02-snippet-async", page, async () => {
    await page.goto(`${BASE}/snippets/new`);
    await page.selectOption("#language", "python");
    await page.fill("#code", 'def greet(name):\n    print(f"<b>hello {name}</b>")\n\ngreet("class")\n');
    await page.click("button[value=async]");
    // The page shows the raw code and refreshes itself until a worker is done.
    await page.waitForURL(/\/snippets\/\d+$/);
    await page.locator("#highlighted").waitFor();
    const by = await page.textContent("#highlighted-by");
    expect(WORKER.test(by), `highlighted by a worker: ${by}`);
    expect(/pid \d+, queue default, in .* at /.test(by), `provenance: ${by}`);
    expect((await page.textContent("#highlighted")).includes("<b>hello"), "code shown as text");
  });

  await check("03-snippet-sync", page, async () => {
    await page.goto(`${BASE}/snippets/new`);
    await page.selectOption("#language", "rust");
    await page.fill("#code", 'fn main() {\n    println!("sync");\n}\n');
    await page.click("button[value=sync]");
    await page.waitForURL(/\/snippets\/\d+$/);
    expect(await page.locator("#highlighted").isVisible(), "highlighted at once");
    expect((await page.textContent("#highlighted-by")).includes("(inline)"), "done inline");
  });

  await check("04-snippet-invalid", page, async () => {
    await page.goto(`${BASE}/snippets/new`);
    await page.fill("#code", "   ");
    await page.click("button[value=async]");
    await page.locator(".field-error").first().waitFor();
    expect((await page.textContent(".field-error")).includes("Paste some code"), "message shown");
  });

  await check("05-fibtastic", page, async () => {
    await page.goto(`${BASE}/fibtastic`);
    await page.fill("#email", "ada@example.com");
    await page.fill("#sequence_length", "10");
    await page.click("button[value=async]");
    await page.getByText("Thanks! A carefully crafted fibonacci sequence").waitFor();
    await page.locator("#delivery", { hasText: "Sent by" }).waitFor();
    expect(WORKER.test(await page.textContent("#delivery")), "sent by a worker");
  });

  await check("05b-mail-catcher", page, async () => {
    // The thank-you page links to the mail catcher, mounted in the web node.
    await page.goto(`${BASE}/mail/`);
    // A click on the row (its sender cell, not the link) opens the message.
    const first = page.locator("#messages tbody tr[data-id]").first();
    const id = await first.getAttribute("data-id");
    await first.locator("td").first().click();
    await page.waitForURL(new RegExp(`/mail/view/${id}$`));
    await page.goto(`${BASE}/mail/`);
    await page.getByRole("link", { name: "Your Fib Sequence!" }).first().click();
    await page.waitForURL(/\/mail\/view\/\d+/);
    // The HTML part sits in a sandboxed iframe; the Plain tab shows the text.
    await page.click("a[href='?tab=plain']");
    await page.getByText("0, 1, 1, 2, 3, 5, 8, 13, 21, 34").first().waitFor();
  });

  await check("06-blog", page, async () => {
    await page.goto(`${BASE}/blog/posts/new`);
    await page.fill("#title", "Background jobs with Sidekiq");
    await page.fill("#body", "Sidekiq workers take jobs from Redis queues. Workers retry failed jobs; queues keep jobs safe while workers are busy.");
    await page.fill("#tag_list", "ruby, tutorials");
    await page.click("button[value=async]");
    await page.waitForURL(/\/blog\/posts\/\d+$/);
    await page.locator("#tagged-by", { hasText: "worker-0" }).waitFor();
    const auto = await page.textContent("#auto-tags");
    expect(auto.trim().length > 0 && !auto.includes("waiting"), `automatic tags: ${auto}`);
    expect((await page.textContent("#manual-tags")).includes("tutorials"), "manual tags");
    await page.click("#manual-tags >> text=tutorials");
    await page.getByRole("heading", { name: /Posts tagged/ }).waitFor();
  });

  await check("07-playground", page, async () => {
    await page.goto(`${BASE}/playground`);
    await page.fill("#count", "5");
    await page.fill("#delay", "0");
    await page.click("#demo-form button[value=async]");
    await page.locator("#outcome").waitFor();
    expect((await page.textContent("#outcome")).includes("Enqueued 5 DemoWorker"), "jids listed");
  });

  await check("08-timings", page, async () => {
    await page.goto(`${BASE}/timings`);
    await page.locator("tr[data-app=snippets] .sync-median").waitFor();
    await page.locator("tr[data-app=snippets] .async-median").waitFor();
    expect(await page.locator("svg.chart rect.bar").count() >= 2, "chart bars");
  });
} catch (e) {
  fail("script", e);
} finally {
  await close();
}

finish("");
