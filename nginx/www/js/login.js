// 爱家租房 — login page (ES module).  After logging in the visitor goes back
// to ?next= (a same-site path), or to the account page.

import { describe, postJSON } from './api.js';
import { checkMobile, normalizeMobile } from './checks.js';
import {
  byId, clearInvalid, clearOnInput, currentUser, fail, field, formMsg, mountChrome, params, safeNext,
  setBusy, setMsg,
} from './ui.js';

mountChrome('my');

const form = byId('login-form');
const next = safeNext(params().get('next'));
byId('to-register').href = `/register.html?${new URLSearchParams({ next })}`;
byId('to-forgot').href = `/forgot.html?${new URLSearchParams({ next })}`;

if (params().get('reason') === 'expired') {
  setMsg(formMsg(form), '登录已过期，请重新登录', 'info');
} else if (params().has('next')) {
  setMsg(formMsg(form), '请先登录，登录后将返回刚才的页面', 'info');
}

// Already logged in: nothing to do here.
currentUser().then((user) => {
  if (user && params().get('reason') !== 'expired') location.replace(next);
});

clearOnInput(form);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(form);

  const mobileInput = field(form, 'mobile');
  const mobile = normalizeMobile(mobileInput.value);
  mobileInput.value = mobile;
  const password = field(form, 'password').value;

  const bad = checkMobile(mobile) || (password ? null : { name: 'password', text: '请输入密码' });
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true, '登录中…');
  const r = await postJSON('/api/login', { mobile, password });
  if (r.ok) {
    location.replace(next);
    return;
  }
  setBusy(submit, false);
  field(form, 'password').value = '';
  const text = describe(r, 'login');
  if (r.status === 200 && r.errno === 4106) return fail(form, text, 'password');
  if (r.status === 200 && r.errno === 4104) return fail(form, text, 'mobile');
  return fail(form, text);
});
