// Helpers of the e2e suites: the running stack (from the environment that
// run-suite exports out of $VAR/run/stack.env), memcached's text protocol over
// its unix socket (the captcha and SMS codes, sessions), the browser, and the
// person's usual steps (register, log in) done through the real pages.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
// Screenshots go to build/screenshots, so a test run leaves the tree clean;
// SCREENSHOTS_DIR=docs/screenshots refreshes the pictures the README shows.
export const SHOTS = path.resolve(ROOT, process.env.SCREENSHOTS_DIR || path.join('build', 'screenshots'));

export const URL_BASE = process.env.IHOME_URL;
export const MEMCACHED = process.env.IHOME_MEMCACHED;
export const PREFIX = process.env.IHOME_CACHE_PREFIX || 'ihome:';
export const PASSWORD = 'e2e-Passw0rd';

export const MOBILE = { width: 390, height: 844 };
export const NARROW = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

// ---------------------------------------------------------------------------
// memcached (text protocol)
// ---------------------------------------------------------------------------

function memcached(command) {
  return new Promise((resolve, reject) => {
    const sock = MEMCACHED.startsWith('/') || MEMCACHED.startsWith('unix:')
      ? net.createConnection({ path: MEMCACHED.replace(/^unix:/, '') })
      : net.createConnection({ host: MEMCACHED.split(':')[0], port: Number(MEMCACHED.split(':')[1]) });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`memcached: no answer to ${command}`)); }, 5000);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const text = buf.toString('utf8');
      if (/(^|\r\n)(END|DELETED|NOT_FOUND|ERROR|CLIENT_ERROR[^\r]*|SERVER_ERROR[^\r]*)\r\n$/.test(text)) {
        clearTimeout(timer);
        sock.end();
        resolve(text);
      }
    });
    sock.write(`${command}\r\n`);
  });
}

/** The value under key, or null. */
export async function mcGet(key) {
  const text = await memcached(`get ${key}`);
  const m = /^VALUE \S+ \d+ (\d+)\r\n/.exec(text);
  if (!m) return null;
  const start = text.indexOf('\r\n') + 2;
  return Buffer.from(text.slice(start)).subarray(0, Number(m[1])).toString('utf8');
}

export async function mcDelete(key) {
  return (await memcached(`delete ${key}`)).startsWith('DELETED');
}

/** Waits until key holds a value (the server writes it just before answering). */
export async function mcWait(key, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await mcGet(key);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`memcached key ${key} never appeared`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------

let mobileSeq = 0;
/** A fresh mobile number per call (different per run, so reruns never collide). */
export function newMobile() {
  mobileSeq += 1;
  const tail = String((Date.now() * 7 + mobileSeq * 7919 + process.pid) % 100000000).padStart(8, '0');
  return `13${mobileSeq % 10}${tail}`;
}

/** An 18-character PRC id with a valid ISO 7064 MOD 11-2 check digit. */
export function idCard(base17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const total = [...base17].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return base17 + '10X98765432'[total % 11];
}

/** Local date + days as YYYY-MM-DD (the stack runs on this machine, same zone). */
export function dateIn(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--lang=zh-CN',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * A fresh browser profile (cookies) sized like a phone, or a desktop.
 * It records script errors, CSP violations and every POST to /api/ so the
 * suites can check them.
 */
export async function newVisitor(browser, { desktop = false, viewport } = {}) {
  const context = await browser.newContext({
    baseURL: URL_BASE,
    viewport: viewport || (desktop ? DESKTOP : MOBILE),
    deviceScaleFactor: 1,
    isMobile: !desktop,
    hasTouch: !desktop,
    locale: 'zh-CN',
    timezoneId: Intl.DateTimeFormat().resolvedOptions().timeZone,
  });
  context.setDefaultTimeout(15000);
  const visitor = { context, errors: [], posts: [] };
  context.on('page', (page) => watch(visitor, page));
  visitor.page = await context.newPage();
  return visitor;
}

/** A visitor kept in the suite's state `s` (closed with it): a phone at 360 px, or a desktop. */
export async function visitor(s, { desktop = false } = {}) {
  const v = await newVisitor(s.browser, { desktop });
  if (!desktop) await v.page.setViewportSize(NARROW);
  s.visitors.push(v);
  return v;
}

/** A registered person (through the register page), logged in. */
export async function person(s, opts) {
  const v = await visitor(s, opts);
  v.mobile = newMobile();
  v.password = PASSWORD;
  await register(v.page, v.mobile);
  return v;
}

/** A random valid PRC id of someone born 1950-1999. */
export function randomIdCard() {
  const r = Math.floor(Math.random() * 1e9);
  const p = (n, w) => String(n).padStart(w, '0');
  return idCard(`110105${1950 + (r % 50)}${p(1 + (r % 12), 2)}${p(1 + (r % 28), 2)}${p(r % 1000, 3)}`);
}

function watch(visitor, page) {
  page.on('pageerror', (e) => visitor.errors.push(`pageerror on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // A failed resource load is logged as an error by chromium; those we provoke
    // (none expected) would show in the tests themselves.
    if (/Failed to load resource/.test(text)) return;
    visitor.errors.push(`console on ${page.url()}: ${text}`);
  });
  page.on('dialog', (d) => d.accept());
  page.on('request', async (req) => {
    if (req.method() !== 'POST' || !new URL(req.url()).pathname.startsWith('/api/')) return;
    const cookies = await visitor.context.cookies(URL_BASE);
    const xsrf = cookies.find((c) => c.name === '_xsrf');
    visitor.posts.push({ url: req.url(), header: req.headers()['x-xsrftoken'] || '', cookie: xsrf ? xsrf.value : '' });
  });
}

export async function screenshot(page, name, { full = true, maxHeight = 1800 } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => document.fonts && document.fonts.ready);
  await settleImages(page);
  await page.evaluate(() => document.activeElement && document.activeElement.blur && document.activeElement.blur());
  const file = path.join(SHOTS, `${name}.png`);
  if (!full) return page.screenshot({ path: file });
  // The whole page in one viewport, so that the fixed bars sit at its bottom
  // as a person sees them (a full-page capture would paint them mid-page).
  const size = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, Math.min(height, maxHeight)) });
  try {
    await page.evaluate(() => window.scrollTo(0, 0));
    await settleImages(page);
    await page.waitForTimeout(150);
    return await page.screenshot({ path: file });
  } finally {
    await page.setViewportSize(size);
  }
}

/** Waits until every <img> on the page has loaded (lazy ones are forced). */
export async function settleImages(page) {
  await page.evaluate(async () => {
    const imgs = [...document.images];
    for (const img of imgs) img.loading = 'eager';
    await Promise.all(imgs.map((img) => Promise.race([
      img.decode().catch(() => {}),
      new Promise((r) => setTimeout(r, 3000)),
    ])));
  });
}

/** Text of the error shown under a field (its .field-msg). */
export async function fieldError(page, form, name) {
  const box = page.locator(`${form} [name="${name}"]`).locator('xpath=ancestor::*[contains(@class,"field")][1]').locator('.field-msg');
  await box.waitFor({ state: 'visible' });
  return (await box.textContent()).trim();
}

/** Text of a form's message box once it shows something. */
export async function formMessage(page, form) {
  const box = page.locator(`${form} .form-msg`).first();
  await assertEventually(async () => ((await box.textContent()) || '').trim() !== '', `no message in ${form}`);
  return (await box.textContent()).trim();
}

export async function assertEventually(check, message, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new assert.AssertionError({ message });
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------
// A person's steps, through the pages
// ---------------------------------------------------------------------------

/** The captcha's current codeid, from the <img> src. */
export async function captchaId(page) {
  await page.waitForFunction(() => /codeid=/.test(document.getElementById('captcha-img').getAttribute('src') || ''));
  const src = await page.getAttribute('#captcha-img', 'src');
  return new URL(src, URL_BASE).searchParams.get('codeid');
}

/**
 * Registers mobile through /register.html: captcha text and SMS code read
 * from memcached as an operator would.  Ends on the page registering leads to.
 */
export async function register(page, mobile, { next, shot } = {}) {
  await page.goto(next ? `/register.html?next=${encodeURIComponent(next)}` : '/register.html');
  const codeid = await captchaId(page);
  const text = await mcWait(`${PREFIX}imagecode:${codeid}`);
  await page.fill('#register-form [name="mobile"]', mobile);
  await page.fill('#register-form [name="image_code_text"]', text);
  await page.click('#sms-btn');
  await page.waitForFunction(() => /秒后重发/.test(document.getElementById('sms-btn').textContent));
  const sms = await mcWait(`${PREFIX}smscode:${mobile}`);
  await page.fill('#register-form [name="phonecode"]', sms);
  await page.fill('#register-form [name="password"]', PASSWORD);
  await page.fill('#register-form [name="password2"]', PASSWORD);
  if (shot) await screenshot(page, shot);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/register')), page.click('#register-form [type="submit"]')]);
}

export async function login(page, mobile, password = PASSWORD) {
  await page.goto('/login.html');
  await page.fill('#login-form [name="mobile"]', mobile);
  await page.fill('#login-form [name="password"]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('#login-form [type="submit"]')]);
}

/**
 * Forgets the visitor's cookies once the page it is on has settled: the page a
 * step ended on (say /my.html after registering) may still be checking its
 * login, and with the cookies gone meanwhile it would send the browser to
 * /login.html in the middle of the next step's navigation.
 */
export async function forgetSession(v) {
  await v.page.waitForLoadState('networkidle');
  await v.context.clearCookies();
}

/** The visitor's session id (HttpOnly: read from the browser's jar). */
export async function sessionId(context) {
  const c = (await context.cookies(URL_BASE)).find((x) => x.name === 'session_id');
  return c ? c.value : '';
}

/** JSON API call with the visitor's cookies and the X-XSRFToken header. */
export async function api(context, method, url, data, multipart) {
  const cookies = await context.cookies(URL_BASE);
  const xsrf = (cookies.find((c) => c.name === '_xsrf') || {}).value || '';
  const options = { headers: { 'X-XSRFToken': xsrf } };
  if (multipart) options.multipart = multipart;
  else if (data !== undefined) options.data = data;
  const res = method === 'GET' ? await context.request.get(url) : await context.request.post(url, options);
  return res.json();
}

// ---------------------------------------------------------------------------
// Paid stays (API.md "Orders", "Payments"): the sandbox provider, and time passing
// ---------------------------------------------------------------------------

/** One statement on the stack's SQLite file (IHOME_DB) with the sqlite3 tool, as an operator's script would. */
export function sql(statement) {
  assert.ok(process.env.IHOME_DB, 'IHOME_DB is not set (tests/e2e/run-suite exports stack.env)');
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', process.env.IHOME_DB, statement], { encoding: 'utf8' }).trim();
}

/** The guest pays an accepted order through the sandbox provider's API (order/pay, then confirm). */
export async function payOrder(context, orderId) {
  const pay = await api(context, 'POST', '/api/order/pay', { order_id: orderId });
  assert.equal(pay.errno, 0, JSON.stringify(pay));
  const done = await api(context, 'POST', '/api/pay/sandbox/confirm', { out_trade_no: pay.data.out_trade_no });
  assert.equal(done.errno, 0, JSON.stringify(done));
  assert.equal(done.data.paid, true, JSON.stringify(done));
}

/**
 * Time passes: the order's stay moves to end today (its check-out day), keeping
 * its length, and a PAID stay becomes WAIT_COMMENT, so it may be reviewed
 * (tests/integration/guests.py end_stay does the same).
 */
export function endStay(orderId) {
  const id = Number(orderId);
  assert.ok(Number.isInteger(id) && id > 0);
  const days = Number(sql(`SELECT days FROM orders WHERE id = ${id}`));
  sql(`UPDATE orders SET start_date = '${dateIn(-days)}', end_date = '${dateIn(0)}',
       status = CASE status WHEN 'PAID' THEN 'WAIT_COMMENT' ELSE status END WHERE id = ${id}`);
}

/**
 * A JPEG photo drawn by the browser itself (no image ships with the tests):
 * a house in a landscape, or a room inside.  theme picks the colours.
 */
export async function drawPhoto(page, theme = 0, kind = 'outside') {
  const dataUrl = await page.evaluate(({ theme, kind }) => {
    const themes = [
      { sky: ['#8ec5ff', '#e0f0ff'], wall: '#f5efe6', roof: '#c0504d', ground: '#7cb86b', accent: '#ffd166' },
      { sky: ['#ffb88c', '#ffe9d6'], wall: '#ffffff', roof: '#3d5a80', ground: '#94c973', accent: '#ff8fab' },
      { sky: ['#a1c4fd', '#c2e9fb'], wall: '#e9dcc9', roof: '#6d4c41', ground: '#6fb07f', accent: '#ffe066' },
      { sky: ['#fbc2eb', '#a6c1ee'], wall: '#fdfcfb', roof: '#2a9d8f', ground: '#8fc57c', accent: '#f4a261' },
    ];
    const t = themes[theme % themes.length];
    const c = document.createElement('canvas');
    c.width = 1200;
    c.height = 900;
    const g = c.getContext('2d');
    const rect = (x, y, w, h, color) => { g.fillStyle = color; g.fillRect(x, y, w, h); };
    if (kind === 'tower') {
      const sky = g.createLinearGradient(0, 0, 0, 900);
      sky.addColorStop(0, t.sky[0]);
      sky.addColorStop(1, t.sky[1]);
      g.fillStyle = sky;
      g.fillRect(0, 0, 1200, 900);
      g.fillStyle = t.accent;
      g.beginPath(); g.arc(200, 170, 60, 0, Math.PI * 2); g.fill();
      const towers = [[60, 420, 180, 'rgba(70,90,120,.35)'], [900, 300, 220, 'rgba(70,90,120,.35)'],
        [330, 160, 260, t.roof], [640, 260, 220, '#5c677d']];
      for (const [x, top, w, color] of towers) {
        rect(x, top, w, 900 - top, color);
        if (color.startsWith('rgba')) continue;
        for (let y = top + 30; y < 780; y += 56) {
          for (let wx = x + 24; wx < x + w - 40; wx += 52) rect(wx, y, 30, 34, (wx + y) % 3 ? '#ffe8a3' : '#dfe7f2');
        }
      }
      rect(0, 780, 1200, 120, t.ground);
      g.fillStyle = '#2e7d32';
      for (const x of [120, 300, 900, 1080]) { g.beginPath(); g.arc(x, 760, 50, 0, 7); g.fill(); }
    } else if (kind === 'inside') {
      rect(0, 0, 1200, 620, t.wall);
      rect(0, 620, 1200, 280, '#c8a27a');
      for (let x = 0; x < 1200; x += 120) rect(x, 620, 3, 280, '#b38b62');
      const sky = g.createLinearGradient(0, 120, 0, 460);
      sky.addColorStop(0, t.sky[0]);
      sky.addColorStop(1, t.sky[1]);
      rect(130, 110, 420, 340, '#ffffff');
      g.fillStyle = sky;
      g.fillRect(150, 130, 380, 300);
      rect(336, 130, 8, 300, '#ffffff');
      rect(150, 276, 380, 8, '#ffffff');
      rect(640, 470, 460, 170, t.roof);
      rect(610, 420, 60, 220, t.roof);
      rect(1070, 420, 60, 220, t.roof);
      rect(660, 430, 200, 80, t.accent);
      rect(880, 430, 200, 80, t.accent);
      rect(260, 700, 320, 24, '#8d6e63');
      rect(280, 724, 16, 80, '#6d4c41');
      rect(544, 724, 16, 80, '#6d4c41');
      rect(900, 140, 10, 280, '#555');
      g.fillStyle = t.accent;
      g.beginPath();
      g.moveTo(850, 140); g.lineTo(960, 140); g.lineTo(930, 60); g.lineTo(880, 60); g.closePath(); g.fill();
      g.fillStyle = '#4caf50';
      g.beginPath(); g.arc(120, 560, 70, 0, Math.PI * 2); g.fill();
      rect(95, 560, 50, 90, '#8d6e63');
    } else {
      const sky = g.createLinearGradient(0, 0, 0, 620);
      sky.addColorStop(0, t.sky[0]);
      sky.addColorStop(1, t.sky[1]);
      g.fillStyle = sky;
      g.fillRect(0, 0, 1200, 900);
      g.fillStyle = t.accent;
      g.beginPath(); g.arc(980, 150, 70, 0, Math.PI * 2); g.fill();
      g.fillStyle = 'rgba(255,255,255,.85)';
      for (const [x, y] of [[200, 140], [520, 90]]) {
        g.beginPath(); g.arc(x, y, 40, 0, 7); g.arc(x + 50, y - 15, 50, 0, 7); g.arc(x + 100, y, 40, 0, 7); g.fill();
      }
      g.fillStyle = 'rgba(60,120,80,.45)';
      g.beginPath(); g.moveTo(0, 600); g.quadraticCurveTo(300, 420, 620, 590); g.quadraticCurveTo(900, 460, 1200, 600);
      g.lineTo(1200, 900); g.lineTo(0, 900); g.fill();
      rect(0, 640, 1200, 260, t.ground);
      rect(330, 380, 540, 330, t.wall);
      g.fillStyle = t.roof;
      g.beginPath(); g.moveTo(290, 400); g.lineTo(600, 200); g.lineTo(910, 400); g.closePath(); g.fill();
      for (const x of [380, 700]) {
        rect(x, 450, 120, 100, '#ffe8a3');
        rect(x + 57, 450, 6, 100, t.wall);
        rect(x, 497, 120, 6, t.wall);
      }
      rect(545, 560, 110, 150, t.roof);
      g.fillStyle = t.accent;
      g.beginPath(); g.arc(635, 640, 7, 0, 7); g.fill();
      g.fillStyle = '#2e7d32';
      g.beginPath(); g.arc(1010, 560, 90, 0, 7); g.fill();
      rect(995, 600, 30, 120, '#6d4c41');
      g.fillStyle = '#d7ccc8';
      g.beginPath(); g.moveTo(545, 710); g.lineTo(655, 710); g.lineTo(760, 900); g.lineTo(440, 900); g.fill();
    }
    return c.toDataURL('image/jpeg', 0.82);
  }, { theme, kind });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}
