// Drives headless Chromium over each running service's /docs/ page, as a reader of the docs would: the page
// renders with no request leaving the machine, shows every operation of the spec the service serves, and a
// "Try it out" call made with the demo credential succeeds. Arguments: one JSON object per service,
//   {"name", "base", "auth": {"scheme", "value"}, "call": {"method", "path", "params": {..}}}
// Exit status 1 on the first service that fails, with what was seen.
import { chromium } from 'playwright-core';

const services = process.argv.slice(2).map((arg) => JSON.parse(arg));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let failed = false;
for (const service of services) {
  try {
    await check(service);
  } catch (err) {
    failed = true;
    console.error(`docs-browser: ${service.name}: ${err.message}`);
  }
}
await browser.close();
process.exit(failed ? 1 : 0);

async function check({ name, base, auth, call }) {
  const page = await (await browser.newContext()).newPage();
  // Offline: anything not served by this machine is refused and counted.
  const outside = [];
  await page.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === 'localhost' || host === '127.0.0.1') return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto(`${base}/docs/`);
  const spec = await (await page.request.get(`${base}/openapi.json`)).json();
  const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
  const operations = Object.values(spec.paths).flatMap((item) => methods.filter((m) => m in item)).length;
  await page.locator('.opblock').first().waitFor({ timeout: 30000 });
  const shown = await page.locator('.opblock').count();
  if (shown !== operations) throw new Error(`the page shows ${shown} operations, the spec has ${operations}`);

  // Try it out against this very service: the server entry on the page's own origin.
  const options = await page.locator('.servers select option').evaluateAll((all) =>
    all.map((option) => option.value),
  );
  const own = options.find((value) => new URL(value, page.url()).origin === new URL(base).origin);
  if (own === undefined) throw new Error(`no server entry on ${base}: ${options.join(', ')}`);
  await page.locator('.servers select').selectOption(own);

  await page.locator('.btn.authorize').first().click();
  const field = page.locator(`.auth-container:has-text("${auth.scheme}") input`).first();
  await field.fill(auth.value);
  await page.locator(`.auth-container:has-text("${auth.scheme}") .btn.authorize`).first().click();
  await page.locator('.btn-done, .close-modal').first().click();

  const block = page.locator(`.opblock-${call.method}`, {
    has: page.locator(`.opblock-summary-path[data-path="${call.path}"]`),
  }).first();
  await block.locator('.opblock-summary').click();
  await block.locator('.try-out__btn').click();
  for (const [param, value] of Object.entries(call.params || {})) {
    await block.locator(`tr[data-param-name="${param}"] input`).fill(value);
  }
  await block.locator('.execute').click();
  const status = block.locator('.live-responses-table tbody tr.response .response-col_status').first();
  await status.waitFor({ timeout: 30000 });
  const code = (await status.innerText()).trim().split(/\s/)[0];
  if (!code.startsWith('2')) {
    const body = await block.locator('.live-responses-table .microlight').first().innerText().catch(() => '');
    throw new Error(`Try it out ${call.method.toUpperCase()} ${call.path} answered ${code}: ${body.slice(0, 300)}`);
  }
  if (outside.length > 0) throw new Error(`the page asked for ${outside.length} outside URL(s): ${outside.join(', ')}`);
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log(`docs-browser: ${name}: ${shown} operations shown offline; ${call.method.toUpperCase()} ${call.path} via Try it out: ${code}`);
}
