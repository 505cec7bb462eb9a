// Plain runner of the e2e suites (no test framework): each suite module
// exports `steps`, a list of {name, run(state), independent?} run in order
// with one shared state object; a step that fails makes the dependent steps
// after it fail too ("not run"), since they build on what it should have done.
// Prints one line per step and, per suite, exactly one line
//   suite-result e2e/<suite> <passed> <failed>
// that tests/run-all sums.  Exit status 1 when anything failed.
//
// usage: node run.mjs [suite …]   (default: every suite, in order)

import { launch } from './lib.mjs';

const ALL = ['journey', 'accounts', 'site', 'manage', 'landlord', 'guests', 'pricing', 'trust', 'payments', 'a11y'];
const STEP_TIMEOUT_MS = 60000;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function runSuite(name, browser) {
  const { steps } = await import(`./suites/${name}.mjs`);
  const state = { browser, visitors: [] };
  let passed = 0;
  let failed = 0;
  let broken = '';
  const started = Date.now();
  for (const step of steps) {
    const label = `e2e/${name}: ${step.name}`;
    if (broken && !step.independent) {
      failed += 1;
      console.log(`not ok - ${label} (not run: "${broken}" failed)`);
      continue;
    }
    const t0 = Date.now();
    try {
      await withTimeout(step.run(state), STEP_TIMEOUT_MS, step.name);
      passed += 1;
      console.log(`ok - ${label} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed += 1;
      if (!step.independent) broken = step.name;
      console.log(`not ok - ${label}`);
      console.log(String(err && err.stack ? err.stack : err).split('\n').map((l) => `#   ${l}`).join('\n'));
      for (const v of state.visitors) {
        if (v.page && !v.page.isClosed()) console.log(`#   (a visitor was on ${v.page.url()})`);
      }
    }
  }
  for (const v of state.visitors) await v.context.close().catch(() => {});
  console.log(`# e2e/${name}: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { passed, failed };
}

async function main() {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
  const results = [];
  let browser;
  try {
    browser = await launch();
  } catch (err) {
    console.log(`# could not start chromium: ${err.message}`);
    for (const name of names) console.log(`suite-result e2e/${name} 0 1`);
    process.exit(1);
  }
  try {
    for (const name of names) results.push([name, await runSuite(name, browser)]);
  } finally {
    await browser.close().catch(() => {});
  }
  let anyFailed = false;
  for (const [name, r] of results) {
    console.log(`suite-result e2e/${name} ${r.passed} ${r.failed}`);
    if (r.failed) anyFailed = true;
  }
  process.exit(anyFailed ? 1 : 0);
}

main().catch((err) => {
  console.log(`# e2e runner crashed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
