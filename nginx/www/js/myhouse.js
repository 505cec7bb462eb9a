// 爱家租房 — my houses (ES module): the landlord's list with, per house, its
// online/offline switch (API.md "house/status") and links to edit it and
// manage its photos (newhouse.html?edit=ID); and a prompt to pass real-name
// verification first when needed.  Login required.

import { describe, getJSON, postJSON } from './api.js';
import {
  byId, el, emptyState, errorState, fill, handleExpired, mountChrome, picture, requireLogin, setMsg,
  skeleton, yuan,
} from './ui.js';

mountChrome('host');

const list = byId('my-houses');

const STATUS_TEXT = { online: '已上线', offline: '已下线' };

async function switchStatus(h, input, card) {
  const status = input.checked ? 'online' : 'offline';
  input.disabled = true;
  const r = await postJSON('/api/house/status', { house_id: h.house_id, status });
  input.disabled = false;
  if (handleExpired(r)) return;
  if (!r.ok) {
    input.checked = !input.checked;
    return setMsg(byId('page-msg'), `“${h.title}”状态修改失败：${describe(r, 'houseManage')}`, 'error');
  }
  card.dataset.status = status;
  card.querySelector('.house-status').textContent = STATUS_TEXT[status];
  card.querySelector('.house-status').dataset.tone = status === 'online' ? 'done' : 'off';
  setMsg(byId('page-msg'), status === 'online'
    ? `“${h.title}”已上线，房客可以搜索和预订`
    : `“${h.title}”已下线，不再出现在搜索中，也不能被预订`, 'ok');
}

function row(h) {
  const href = `/house.html?id=${encodeURIComponent(h.house_id)}`;
  const edit = `/newhouse.html?edit=${encodeURIComponent(h.house_id)}`;
  const status = h.status === 'offline' ? 'offline' : 'online';
  const toggle = el('input', { type: 'checkbox', class: 'status-toggle', checked: status === 'online',
    'aria-label': '上线（关闭即下线）' });
  const card = el('article', { class: 'row-card', 'data-status': status, 'data-house': h.house_id },
    el('a', { class: 'thumb', href, 'aria-hidden': 'true', tabindex: '-1' }, picture(h.img_url, '')),
    el('div', { class: 'row-main' },
      el('div', { class: 'row-title' }, el('h3', {}, el('a', { href, text: h.title }))),
      el('p', { class: 'meta' }, el('span', { text: h.area_name }), el('span', { text: `${h.room_count} 间房` })),
      el('p', { class: 'meta', text: h.address }),
      el('p', { class: 'meta' },
        el('span', { class: 'row-price', text: `${yuan(h.price)} /晚` }),
        el('span', { text: `已入住 ${h.order_count} 次` })),
      el('div', { class: 'row-actions' },
        el('span', { class: 'badge house-status', 'data-tone': status === 'online' ? 'done' : 'off', text: STATUS_TEXT[status] }),
        el('label', { class: 'status-switch' }, toggle, el('span', { text: '上线' })),
        el('a', { class: 'btn btn-plain house-edit', href: edit, text: '编辑' }),
        el('a', { class: 'btn btn-plain house-photos', href: `${edit}#image-step`, text: '照片' }))));
  toggle.addEventListener('change', () => switchStatus(h, toggle, card));
  return card;
}

async function load() {
  await requireLogin();
  fill(list, skeleton(2));
  const [profile, houses] = await Promise.all([getJSON('/api/profile'), getJSON('/api/house/my')]);
  if (handleExpired(profile) || handleExpired(houses)) return;
  const verified = profile.ok && profile.body.real_name_verified === true;
  byId('verify-first').hidden = !profile.ok || verified;
  byId('publish-row').hidden = !verified;
  if (!houses.ok) return fill(list, errorState(describe(houses), load));
  const rows = (houses.body.data && houses.body.data.houses) || [];
  if (!rows.length) {
    return fill(list, emptyState('您还没有发布房源',
      verified ? '发布房源，开始接待天南海北的客人' : '完成实名认证后即可发布房源'));
  }
  fill(list, rows.map(row));
}

load();
