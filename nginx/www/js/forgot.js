// 爱家租房 — forgotten password (ES module): image captcha, an SMS code for
// the purpose `reset`, then the new password.  The server answers alike for
// registered and unregistered mobiles, so this page says "if the mobile is
// registered"; resetting ends every session and does not log in, so the
// visitor goes on to the login page.

import { describe, postJSON } from './api.js';
import { checkMobile, checkPassword, checkPhonecode, normalizeMobile } from './checks.js';
import { smsCodeForm } from './smscode.js';
import {
  byId, clearInvalid, clearOnInput, fail, field, flash, markInvalid, mountChrome, params, safeNext, setBusy,
} from './ui.js';

mountChrome('my');

const form = byId('reset-form');
const next = safeNext(params().get('next'));
byId('to-login').href = `/login.html?${new URLSearchParams({ next })}`;
if (params().get('mobile')) field(form, 'mobile').value = normalizeMobile(params().get('mobile'));

async function submitReset(event) {
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

  setBusy(submit, true, '提交中…');
  const r = await postJSON('/api/password/reset', { mobile, phonecode, password, password2 });
  if (r.ok) {
    flash('密码已重设，请用新密码登录', 'ok');
    location.replace(`/login.html?${new URLSearchParams({ next })}`);
    return;
  }
  setBusy(submit, false);

  const text = describe(r, 'reset');
  if (r.status === 200) {
    if (r.errno === 4002 || r.errno === 4004) return fail(form, text, 'phonecode');
    if (r.errno === 4103) {
      markInvalid(field(form, 'password'));
      return fail(form, text);
    }
  }
  return fail(form, text);
}

clearOnInput(form);
form.addEventListener('submit', submitReset);
smsCodeForm(form, 'reset', (mobile) => `如果 ${mobile} 已注册，验证码已发送，5 分钟内有效`);
