// 爱家租房 — my account (ES module): avatar, name, mobile, verification
// state, links, logout.  Login required.

import { describe, getJSON, postJSON } from './api.js';
import {
  byId, el, errorState, fill, flash, handleExpired, mountChrome, picture, requireLogin, setBusy, setMsg,
} from './ui.js';

mountChrome('my');

function maskMobile(m) {
  return /^\d{11}$/.test(m) ? `${m.slice(0, 3)}****${m.slice(7)}` : m;
}

async function load() {
  await requireLogin();
  const r = await getJSON('/api/profile');
  if (handleExpired(r)) return;
  if (!r.ok) return fill(byId('me'), errorState(describe(r), load));
  const p = r.body;
  fill(byId('me'), el('section', { class: 'profile-head' },
    picture(p.avatar, '我的头像', '/img/avatar.svg', { class: 'avatar', id: 'my-avatar', width: 72, height: 72 }),
    el('div', {},
      el('h1', { id: 'my-name', text: p.username }),
      el('p', { id: 'my-mobile', text: maskMobile(p.mobile) }),
      el('p', {}, el('span', { class: 'badge', text: p.real_name_verified ? '已实名认证' : '未实名认证' })))));
  byId('auth-note').textContent = p.real_name_verified ? '已认证' : '未认证';
  byId('menu').hidden = false;
  byId('menu-logout').hidden = false;
}

const logoutButton = byId('logout');
logoutButton.addEventListener('click', async () => {
  setBusy(logoutButton, true, '正在退出…');
  const r = await postJSON('/api/logout', {});
  if (r.ok) {
    flash('您已安全退出', 'info');
    location.replace('/');
    return;
  }
  setBusy(logoutButton, false);
  setMsg(byId('logout-msg'), `退出失败：${describe(r)}`, 'error');
});

load();
