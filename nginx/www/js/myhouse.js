// 爱家租房 — my houses (ES module): the landlord's list, and a prompt to
// pass real-name verification first when needed.  Login required.

import { describe, getJSON } from './api.js';
import {
  byId, el, emptyState, errorState, fill, handleExpired, mountChrome, picture, requireLogin, skeleton,
  yuan,
} from './ui.js';

mountChrome('host');

const list = byId('my-houses');

function row(h) {
  const href = `/house.html?id=${encodeURIComponent(h.house_id)}`;
  return el('article', { class: 'row-card' },
    el('a', { class: 'thumb', href, 'aria-hidden': 'true', tabindex: '-1' }, picture(h.img_url, '')),
    el('div', { class: 'row-main' },
      el('div', { class: 'row-title' }, el('h3', {}, el('a', { href, text: h.title }))),
      el('p', { class: 'meta' }, el('span', { text: h.area_name }), el('span', { text: `${h.room_count} 间房` })),
      el('p', { class: 'meta', text: h.address }),
      el('p', { class: 'meta' },
        el('span', { class: 'row-price', text: `${yuan(h.price)} /晚` }),
        el('span', { text: `已入住 ${h.order_count} 次` }))));
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
