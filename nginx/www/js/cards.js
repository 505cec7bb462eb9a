// 爱家租房 — the house card used by the home page, the search results and
// the favourites: a link to the house, with the favourite heart beside it
// (a button cannot sit inside a link).

import { heartButton } from './hearts.js';
import { el, picture, yuan } from './ui.js';

/**
 * A card linking to the house: photo, price, landlord avatar, title, facts.
 * stay: {sd, ed} from a date search, carried on to the booking; the card
 * then shows what the stay costs (h.stay_total, API.md "Pricing").
 */
export function houseCard(h, stay) {
  const q = new URLSearchParams({ id: String(h.house_id) });
  if (stay && stay.sd && stay.ed) {
    q.set('sd', stay.sd);
    q.set('ed', stay.ed);
  }
  const meta = el('p', { class: 'meta' },
    h.area_name ? el('span', { text: h.area_name }) : null,
    el('span', { text: `${h.room_count} 间房` }),
    el('span', { text: h.order_count > 0 ? `已入住 ${h.order_count} 次` : '新上线' }));
  const stayTotal = stay && stay.sd && stay.ed && h.stay_total !== undefined
    ? el('p', { class: 'stay-total' }, el('span', { text: '入住总价 ' }), el('strong', { text: yuan(h.stay_total) }))
    : null;
  const link = el('a', { class: 'house-card', href: `/house.html?${q}` },
    el('div', { class: 'photo' },
      picture(h.img_url, h.title),
      el('span', { class: 'price-tag' }, yuan(h.price), el('small', { text: ' /晚' })),
      'user_avatar' in h ? picture(h.user_avatar, '房东头像', '/img/avatar.svg', { class: 'host-avatar' }) : null),
    el('div', { class: 'body' },
      el('h3', { text: h.title }),
      meta,
      h.address ? el('p', { class: 'meta', text: h.address }) : null,
      stayTotal));
  return el('div', { class: 'card-wrap', dataset: { houseId: String(h.house_id) } }, link, heartButton(h.house_id));
}
