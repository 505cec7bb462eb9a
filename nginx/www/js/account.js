// 爱家租房 — account and security (ES module): change the password (the
// other sessions end, this one goes on under a new id) and close the
// account (API.md "profile/delete": a warning, the password, a checkbox).
// Login required.

import { describe, getJSON, postJSON } from './api.js';
import { checkPassword } from './checks.js';
import {
  byId, clearInvalid, clearOnInput, fail, field, flash, formMsg, handleExpired, markInvalid, mountChrome,
  requireLogin, setBusy, setMsg,
} from './ui.js';

mountChrome('my');

const passwordForm = byId('password-form');
const closeForm = byId('close-form');

clearOnInput(passwordForm);
passwordForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = passwordForm.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(passwordForm);
  const oldPassword = field(passwordForm, 'old_password').value;
  const password = field(passwordForm, 'password').value;
  const password2 = field(passwordForm, 'password2').value;
  if (!oldPassword) return fail(passwordForm, '请输入原密码', 'old_password');
  const bad = checkPassword(password, password2);
  if (bad) return fail(passwordForm, bad.text, bad.name);

  setBusy(submit, true, '提交中…');
  const r = await postJSON('/api/profile/password', { old_password: oldPassword, password, password2 });
  setBusy(submit, false);
  if (handleExpired(r)) return;
  if (r.ok) {
    passwordForm.reset();
    setMsg(formMsg(passwordForm), '密码已修改，其他设备上的登录已退出', 'ok');
    return;
  }
  field(passwordForm, 'old_password').value = '';
  const text = describe(r, 'password');
  if (r.status === 200 && r.errno === 4106) return fail(passwordForm, text, 'old_password');
  if (r.status === 200 && r.errno === 4103) {
    markInvalid(field(passwordForm, 'password'));
    return fail(passwordForm, text);
  }
  return fail(passwordForm, text);
});

clearOnInput(closeForm);
closeForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = closeForm.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(closeForm);
  const password = field(closeForm, 'password').value;
  if (!password) return fail(closeForm, '请输入密码以确认注销', 'password');
  if (!byId('close-confirm').checked) return fail(closeForm, '请勾选确认后再注销', 'confirm');

  setBusy(submit, true, '正在注销…');
  const r = await postJSON('/api/profile/delete', { password });
  if (handleExpired(r)) return;
  if (r.ok) {
    flash('账号已注销，感谢您使用爱家租房', 'info');
    location.replace('/');
    return;
  }
  setBusy(submit, false);
  field(closeForm, 'password').value = '';
  const text = describe(r, 'closeAccount');
  if (r.status === 200 && r.errno === 4106) return fail(closeForm, text, 'password');
  return fail(closeForm, text);
});

requireLogin();

// 通知设置 (API.md "Notifications"): SMS on or off, saved as soon as it changes.
const notifyBox = byId('notify-sms');
const notifyMsg = byId('notify-msg');
async function loadNotify() {
  await requireLogin();
  const r = await getJSON('/api/profile');
  if (handleExpired(r)) return;
  if (!r.ok) return setMsg(notifyMsg, describe(r), 'error');
  notifyBox.checked = r.body.notify_sms !== false;
  notifyBox.disabled = false;
}
notifyBox.addEventListener('change', async () => {
  const on = notifyBox.checked;
  notifyBox.disabled = true;
  const r = await postJSON('/api/profile/notify', { sms: on });
  notifyBox.disabled = false;
  if (handleExpired(r)) return;
  if (!r.ok) {
    notifyBox.checked = !on;
    return setMsg(notifyMsg, describe(r), 'error');
  }
  setMsg(notifyMsg, on ? '已开启短信通知' : '已关闭短信通知', 'ok');
});
loadNotify();
