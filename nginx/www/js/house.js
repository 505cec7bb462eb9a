// 爱家租房 — house detail (ES module): photo gallery, facts, the next 60
// days' availability, facilities, landlord, comments, the favourite heart
// and the booking button.

import { describe, facilities, getJSON } from './api.js';
import { availabilityStrip } from './calendar.js';
import { heartButton } from './hearts.js';
import {
  byId, currentUser, el, errorState, fill, isIsoDate, mountChrome, params, picture, ratingBadge, starRow, yuan,
} from './ui.js';
import { icalCard } from './ical.js';

mountChrome('search');

const box = byId('house');
const houseId = params().get('id') || params().get('house_id') || '';

function gallery(house) {
  const images = house.images && house.images.length ? house.images : [null];
  const track = el('div', { class: 'gallery-track', tabindex: '0', 'aria-label': '房源图片' });
  images.forEach((url, i) => track.append(
    picture(url, `${house.title}（图 ${i + 1}）`, '/img/house.svg', { loading: i ? 'lazy' : 'eager' })));
  const counter = el('span', { class: 'gallery-count', text: `1 / ${images.length}` });
  const wrap = el('div', { class: 'gallery' }, track, counter);
  if (images.length > 1) {
    const step = (d) => track.scrollBy({ left: d * track.clientWidth, behavior: 'smooth' });
    wrap.append(
      el('button', { type: 'button', class: 'gallery-nav prev', 'aria-label': '上一张', text: '‹', on: { click: () => step(-1) } }),
      el('button', { type: 'button', class: 'gallery-nav next', 'aria-label': '下一张', text: '›', on: { click: () => step(1) } }));
    track.addEventListener('scroll', () => {
      const i = Math.round(track.scrollLeft / Math.max(1, track.clientWidth));
      counter.textContent = `${Math.min(images.length, i + 1)} / ${images.length}`;
    });
  }
  return wrap;
}

function facts(house) {
  const stay = house.max_days > 0 ? `${house.min_days}–${house.max_days} 晚` : `${house.min_days} 晚起`;
  const items = [
    ['房间数', `${house.room_count} 间`],
    ['面积', `${house.acreage} ㎡`],
    ['户型', house.unit || '—'],
    ['宜住', `${house.capacity} 人`],
    ['卧床', house.beds || '—'],
    ['押金', Number(house.deposit) > 0 ? yuan(house.deposit) : '免押金'],
    ['入住天数', stay],
    ['已入住', `${house.order_count} 次`],
  ];
  return el('dl', { class: 'facts' }, items.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));
}

async function facilityList(house) {
  const catalog = await facilities();
  const have = new Set(house.facilities || []);
  if (!catalog) return el('p', { class: 'muted', text: '设施列表加载失败' });
  const list = catalog.filter((f) => have.has(f.fid));
  if (!list.length) return el('p', { class: 'muted', text: '房东暂未填写配套设施' });
  return el('ul', { class: 'facility-list' }, list.map((f) => el('li', { text: f.name })));
}

/** One comment: who, when, the stars, the text, the landlord's reply under it. */
function commentItem(c) {
  return el('li', {},
    el('div', { class: 'comment-head' },
      el('strong', { text: c.user_name }),
      c.rating ? starRow(c.rating, `${c.rating} 星`) : null,
      el('time', { text: String(c.ctime || '').slice(0, 10) })),
    el('p', { text: c.comment }),
    c.reply ? el('div', { class: 'reply' }, el('strong', { text: '房东回复：' }), el('span', { text: c.reply })) : null);
}

/** house/info's 10 newest, then "more" pages through GET /api/house/comments. */
function comments(house) {
  const list = house.comments || [];
  if (!list.length) return el('p', { class: 'muted', text: '暂无评价，入住后来写第一条评价吧' });
  const ul = el('ul', { class: 'comments', id: 'comments' }, list.map(commentItem));
  if (list.length < 10) return ul;
  let page = 1;
  const more = el('button', { type: 'button', class: 'btn btn-outline btn-sm', id: 'more-comments', text: '查看更多评价' });
  more.addEventListener('click', async () => {
    more.disabled = true;
    const r = await getJSON('/api/house/comments', { house_id: house.hid, p: page + 1 });
    more.disabled = false;
    if (!r.ok) { more.textContent = '加载失败，点击重试'; return; }
    page += 1;
    const data = r.body.data;
    ul.append(...(data.comments || []).map(commentItem));
    if (page >= data.total_page) more.remove();
  });
  return el('div', {}, ul, more);
}

async function bookbar(house, viewerId) {
  const price = el('div', { class: 'detail-price' }, yuan(house.price), el('small', { text: ' /晚' }));
  let action;
  if (viewerId === house.user_id) {
    action = el('a', { class: 'btn btn-plain', href: '/lorders.html', text: '这是您的房源 · 查看订单' });
  } else if (house.status === 'offline') {
    // An old link to a house its landlord took off the site (API.md "house/status").
    action = el('span', { class: 'btn btn-plain', id: 'book-btn', 'aria-disabled': 'true', text: '房源已下线，暂不可预订' });
  } else {
    const q = new URLSearchParams({ house_id: String(house.hid) });
    const stay = params();
    if (isIsoDate(stay.get('sd')) && isIsoDate(stay.get('ed'))) {
      q.set('sd', stay.get('sd'));
      q.set('ed', stay.get('ed'));
    }
    const href = `/booking.html?${q}`;
    const user = await currentUser();
    action = el('a', {
      class: 'btn btn-primary', id: 'book-btn',
      href: user === null ? `/login.html?${new URLSearchParams({ next: href })}` : href,
      text: '即刻预订',
    });
  }
  document.body.classList.add('has-bookbar');
  return el('aside', { class: 'bookbar', 'aria-label': '预订' }, price, action);
}

/** The heart and how many people saved the house. */
function favorite(house) {
  let count = Number(house.favorite_count) || 0;
  const text = el('span', { class: 'favorite-count', id: 'favorite-count' });
  const show = () => { text.textContent = count > 0 ? `${count} 人收藏` : '还没有人收藏'; };
  show();
  const heart = heartButton(house.hid, { label: true, onChange: (saved) => { count += saved ? 1 : -1; show(); } });
  heart.id = 'house-heart';
  return el('p', { class: 'favorite' }, heart, text);
}

/** 联系房东: a question before booking (API.md "Messages", house_id). */
function contactHost(house, viewerId) {
  if (viewerId === house.user_id || house.status === 'offline') return null;
  const href = `/messages.html?${new URLSearchParams({ house_id: String(house.hid) })}`;
  return el('p', { class: 'contact-host' }, el('a', {
    class: 'btn btn-outline', id: 'contact-host',
    href: viewerId === -1 ? `/login.html?${new URLSearchParams({ next: href })}` : href, text: '联系房东',
  }));
}

async function load() {
  if (!/^\d+$/.test(houseId)) {
    return fill(box, errorState('房源编号无效，请从房源列表进入'));
  }
  const r = await getJSON('/api/house/info', { house_id: houseId });
  if (!r.ok) return fill(box, errorState(describe(r, 'houseInfo'), r.errno === 4002 ? null : load));
  const viewerId = r.body.data.user_id;
  const house = r.body.data.house;
  document.title = `${house.title} · 爱家租房`;

  const head = el('section', { class: 'detail-head' },
    el('h1', { text: house.title }),
    el('p', { class: 'meta' }, el('span', { text: house.address })),
    el('p', { id: 'house-rating' }, ratingBadge(house.rating, house.rating_count)),
    el('p', { class: 'detail-price' }, yuan(house.price), el('small', { text: ' /晚' })),
    favorite(house));

  const host = el('section', { class: 'card' },
    el('h2', { class: 'card-title', text: '房东' }),
    el('div', { class: 'host' },
      picture(house.user_avatar, '房东头像', '/img/avatar.svg'),
      el('div', {}, el('strong', { text: house.user_name }), el('span', { class: 'muted small', text: '已实名认证房东' }))),
    contactHost(house, viewerId));

  const main = el('div', { class: 'detail-grid' },
    head,
    el('section', { class: 'card' }, el('h2', { class: 'card-title', text: '房屋信息' }), facts(house)),
    el('section', { class: 'card', id: 'availability-card' },
      el('h2', { class: 'card-title', text: '可订日期' }), await availabilityStrip(house.hid, 60)),
    el('section', { class: 'card' }, el('h2', { class: 'card-title', text: '配套设施' }), await facilityList(house)),
    host,
    viewerId === house.user_id ? icalCard(house.hid) : null,
    el('section', { class: 'card' },
      el('h2', { class: 'card-title', text: `住客评价（${(house.comments || []).length}）` }), comments(house)));

  fill(box, gallery(house), el('div', { class: 'detail-layout' }, main, await bookbar(house, viewerId)));
}

load();
