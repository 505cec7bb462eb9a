// Logging in and out through the pages: failures shown next to the field,
// pages that need login sending the visitor there and back, a session that
// ends meanwhile, and the register form's errors (API.md "Passport").

import assert from 'node:assert/strict';
import {
  PASSWORD, PREFIX, assertEventually, captchaId, fieldError, forgetSession, formMessage, login, mcDelete, mcGet, mcWait,
  newMobile, newVisitor, register, screenshot, sessionId,
} from '../lib.mjs';

async function submitLogin(page, mobile, password) {
  await page.fill('#login-form [name="mobile"]', mobile);
  await page.fill('#login-form [name="password"]', password);
  await page.click('#login-form [type="submit"]');
}

export const steps = [
  {
    name: 'setup: one registered person',
    async run(s) {
      s.v = await newVisitor(s.browser);
      s.visitors.push(s.v);
      s.mobile = newMobile();
      await register(s.v.page, s.mobile);
      await forgetSession(s.v);
    },
  },
  {
    name: 'login failures: a wrong password and an unknown mobile read the same, next to the password',
    async run(s) {
      const page = s.v.page;
      await page.goto('/login.html');
      await submitLogin(page, '12345', 'whatever');
      assert.equal(await fieldError(page, '#login-form', 'mobile'), '请输入正确的 11 位手机号');
      await submitLogin(page, s.mobile, 'wrong-password');
      await page.waitForSelector('#login-form [name="password"][aria-invalid="true"]');
      assert.equal(await fieldError(page, '#login-form', 'password'), '手机号或密码错误');
      assert.equal(await page.inputValue('#login-form [name="password"]'), '', 'the wrong password is cleared');
      await screenshot(page, 'login');
      await submitLogin(page, newMobile(), 'wrong-password');
      await assertEventually(async () => (await fieldError(page, '#login-form', 'password')) === '手机号或密码错误',
        'an unknown mobile reads like a wrong password');
      assert.equal(new URL(page.url()).pathname, '/login.html');
    },
  },
  {
    name: 'a page that needs login sends the visitor to log in, then back',
    async run(s) {
      const page = s.v.page;
      await page.goto('/orders.html');
      await page.waitForURL(/\/login\.html\?next=%2Forders\.html/);
      assert.match(await formMessage(page, '#login-form'), /请先登录/);
      await submitLogin(page, s.mobile, PASSWORD);
      await page.waitForURL((u) => u.pathname === '/orders.html');
      await page.waitForSelector('#orders .empty');
      assert.match(await page.textContent('#orders'), /还没有预订/);
    },
  },
  {
    name: 'a session that ends meanwhile: the next action asks to log in again, then comes back',
    async run(s) {
      const page = s.v.page;
      await page.goto('/profile.html');
      await page.waitForFunction(() => document.querySelector('[name="name"]').value !== '');
      const sid = await sessionId(s.v.context);
      assert.ok(sid, 'logged in with a session cookie');
      assert.ok(await mcGet(`${PREFIX}session:${sid}`), 'the session lives in memcached');
      assert.ok(await mcDelete(`${PREFIX}session:${sid}`), 'the session could not be expired');

      await page.fill('[name="name"]', '过期之后');
      await page.click('#name-form [type="submit"]');
      await page.waitForURL(/\/login\.html\?.*reason=expired/);
      assert.equal(new URL(page.url()).searchParams.get('next'), '/profile.html');
      assert.equal(await formMessage(page, '#login-form'), '登录已过期，请重新登录');
      await submitLogin(page, s.mobile, PASSWORD);
      await page.waitForURL((u) => u.pathname === '/profile.html');

      // A page opened after the session ended goes to login as well.
      await mcDelete(`${PREFIX}session:${await sessionId(s.v.context)}`);
      await page.goto('/my.html');
      await page.waitForURL(/\/login\.html\?next=%2Fmy\.html/);
      await login(page, s.mobile);
    },
  },
  {
    name: 'logout ends the session and says so',
    async run(s) {
      const page = s.v.page;
      await page.goto('/my.html');
      await page.waitForSelector('#logout', { state: 'visible' });
      await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('#logout')]);
      assert.match(await page.textContent('.flash'), /已安全退出/);
      await page.waitForSelector('.account a[href="/login.html"]');
      const r = await (await page.request.get('/api/check_login')).json();
      assert.equal(r.errno, 4101);
    },
  },
  {
    name: 'register errors show next to their field: captcha, taken mobile, passwords, SMS code',
    async run(s) {
      const page = s.v.page;
      await page.goto('/register.html');
      const f = '#register-form';

      // A wrong image code.
      let codeid = await captchaId(page);
      const right = await mcWait(`${PREFIX}imagecode:${codeid}`);
      await page.fill(`${f} [name="mobile"]`, newMobile());
      await page.fill(`${f} [name="image_code_text"]`, right === 'ABCD' ? 'EFGH' : 'ABCD');
      await page.click('#sms-btn');
      await assertEventually(async () => (await fieldError(page, f, 'image_code_text')) === '图片验证码错误，请重新输入',
        'no message for a wrong image code');
      assert.notEqual(await captchaId(page), codeid, 'a used image code is replaced');

      // A mobile that is taken.
      codeid = await captchaId(page);
      await page.fill(`${f} [name="mobile"]`, s.mobile);
      await page.fill(`${f} [name="image_code_text"]`, await mcWait(`${PREFIX}imagecode:${codeid}`));
      await page.click('#sms-btn');
      await assertEventually(async () => (await fieldError(page, f, 'mobile')) === '该手机号已注册，请直接登录',
        'no message for a taken mobile');

      // Passwords that differ are caught before sending.
      const mobile = newMobile();
      codeid = await captchaId(page);
      await page.fill(`${f} [name="mobile"]`, mobile);
      await page.fill(`${f} [name="image_code_text"]`, await mcWait(`${PREFIX}imagecode:${codeid}`));
      await page.click('#sms-btn');
      const sms = await mcWait(`${PREFIX}smscode:${mobile}`);
      await page.fill(`${f} [name="phonecode"]`, sms);
      await page.fill(`${f} [name="password"]`, PASSWORD);
      await page.fill(`${f} [name="password2"]`, `${PASSWORD}x`);
      await page.click(`${f} [type="submit"]`);
      assert.equal(await fieldError(page, f, 'password2'), '两次输入的密码不一致');

      // A wrong SMS code.
      await page.fill(`${f} [name="password2"]`, PASSWORD);
      await page.fill(`${f} [name="phonecode"]`, sms === '000000' ? '111111' : '000000');
      await page.click(`${f} [type="submit"]`);
      await assertEventually(async () => (await fieldError(page, f, 'phonecode')) === '短信验证码错误',
        'no message for a wrong SMS code');
      assert.equal(new URL(page.url()).pathname, '/register.html');

      // The right one still works (a wrong try does not void it at once).
      await page.fill(`${f} [name="phonecode"]`, sms);
      await Promise.all([page.waitForURL((u) => u.pathname === '/my.html'), page.click(`${f} [type="submit"]`)]);
    },
  },
  {
    name: 'five failed logins lock the mobile: the sixth try says to wait',
    async run(s) {
      const v = await newVisitor(s.browser);
      s.visitors.push(v);
      const page = v.page;
      await page.goto('/login.html');
      for (let i = 0; i < 5; i++) {
        await submitLogin(page, s.mobile, `bad-${i}-password`);
        await page.waitForFunction(() => !document.querySelector('#login-form [type="submit"]').disabled);
      }
      await submitLogin(page, s.mobile, PASSWORD);
      await assertEventually(async () => /操作过于频繁/.test(await page.textContent('#login-form')),
        'no rate-limit message after five failures');
      assert.equal(new URL(page.url()).pathname, '/login.html');
    },
  },
  {
    name: 'no script errors or CSP violations on these pages',
    independent: true,
    async run(s) {
      assert.deepEqual(s.visitors.flatMap((v) => v.errors), []);
    },
  },
];
