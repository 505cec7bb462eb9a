// 爱家租房 — register page (ES module): image captcha, SMS code with a 60 s
// countdown, then the account.  Registering logs in; the visitor goes back
// to ?next= or to the account page.

import { describe, postJSON } from './api.js';
import { checkMobile, checkPassword, checkPhonecode, normalizeMobile } from './checks.js';
import { smsCodeForm } from './smscode.js';
import {
  byId, clearInvalid, clearOnInput, fail, field, flash, markInvalid, mountChrome, params, safeNext, setBusy,
} from './ui.js';

mountChrome('my');

const form = byId('register-form');
const next = safeNext(params().get('next'));
byId('to-login').href = `/login.html?${new URLSearchParams({ next })}`;

// ---------------------------------------------------------------------------
// Register
// ---------------------------------------------------------------------------

async function submitRegister(event) {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(form);

  const mobileInput = field(form, 'mobile');
  const mobile = normalizeMobile(mobileInput.value);
  mobileInput.value = mobile;
  const phonecode = field(form, 'phonecode').value.trim();
  const password = field(form, 'password').value;
  const password2 = field(form, 'password2').value;

  const bad = checkMobile(mobile) || checkPhonecode(phonecode) || checkPassword(password, password2);
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true, '注册中…');
  const r = await postJSON('/api/register', { mobile, phonecode, password, password2 });
  if (r.ok) {
    flash('注册成功，欢迎来到爱家租房！', 'ok');
    location.replace(next);
    return;
  }
  setBusy(submit, false);

  const text = describe(r, 'register');
  if (r.status === 200) {
    if (r.errno === 4002 || r.errno === 4004) return fail(form, text, 'phonecode');
    if (r.errno === 4003) return fail(form, text, 'mobile');
    if (r.errno === 4103) {
      markInvalid(field(form, 'password'));
      return fail(form, text);
    }
  }
  return fail(form, text);
}

clearOnInput(form);
form.addEventListener('submit', submitRegister);
smsCodeForm(form, 'register', (mobile) => `短信验证码已发送至 ${mobile}，5 分钟内有效`);
