// 爱家租房 — booking (ES module): pick the dates, see nights and total as
// they change, place the order.  Login required.

import { describe, getJSON, paramField, postJSON } from './api.js';
import {
  addDays, byId, clearInvalid, clearOnInput, el, errorState, fail, field, fill, flash, handleExpired,
  isIsoDate, mountChrome, nightsBetween, params, picture, requireLogin, setBusy, today, yuan,
} from './ui.js';

mountChrome('search');

const form = byId('booking-form');
const houseBox = byId('booking-house');
const houseId = params().get('house_id') || params().get('id') || '';
let house = null;

function priceFen(value) {
  return Math.round(Number(value) * 100);
}

/** Recomputes nights and total; returns the number of nights (0 when invalid). */
function update() {
  const sd = field(form, 'start_date').value;
  const ed = field(form, 'end_date').value;
  const nights = nightsBetween(sd, ed);
  byId('nights').textContent = nights ? `${nights} 晚` : '—';
  byId('total').textContent = nights && house ? yuan((priceFen(house.price) * nights) / 100) : '—';
  return nights;
}

function stayProblem(sd, ed) {
  if (!sd) return { name: 'start_date', text: '请选择入住日期' };
  if (sd < today()) return { name: 'start_date', text: '入住日期不能早于今天' };
  if (!ed) return { name: 'end_date', text: '请选择离开日期' };
  const nights = nightsBetween(sd, ed);
  if (!nights) return { name: 'end_date', text: '离开日期须晚于入住日期' };
  if (house && nights < house.min_days) return { name: 'end_date', text: `该房源至少入住 ${house.min_days} 晚` };
  if (house && house.max_days > 0 && nights > house.max_days) {
    return { name: 'end_date', text: `该房源最多入住 ${house.max_days} 晚` };
  }
  return null;
}

async function init() {
  await requireLogin();
  if (!/^\d+$/.test(houseId)) {
    form.hidden = true;
    return fill(houseBox, errorState('房源编号无效，请从房源详情页进入预订'));
  }
  const r = await getJSON('/api/house/info', { house_id: houseId });
  if (!r.ok) {
    form.querySelector('[type="submit"]').disabled = true;
    return fill(houseBox, errorState(describe(r, 'houseInfo'), init));
  }
  house = r.body.data.house;
  fill(houseBox, el('a', { class: 'booking-house', href: `/house.html?id=${encodeURIComponent(house.hid)}` },
    picture(house.images && house.images[0], house.title),
    el('div', {},
      el('h2', { text: house.title }),
      el('p', { class: 'meta', text: house.address }))));
  byId('unit-price').textContent = `${yuan(house.price)} /晚`;
  byId('stay-rule').textContent = house.max_days > 0
    ? `该房源需入住 ${house.min_days}–${house.max_days} 晚`
    : `该房源 ${house.min_days} 晚起订`;
  if (r.body.data.user_id === house.user_id) {
    fail(form, '不能预订自己发布的房源');
    form.querySelector('[type="submit"]').disabled = true;
  }

  const sd = field(form, 'start_date');
  const ed = field(form, 'end_date');
  sd.min = today();
  ed.min = addDays(today(), 1);
  const q = params();
  if (isIsoDate(q.get('sd')) && q.get('sd') >= today()) sd.value = q.get('sd');
  if (isIsoDate(q.get('ed')) && q.get('ed') > sd.value) ed.value = q.get('ed');
  sd.addEventListener('change', () => {
    if (!sd.value) return;
    ed.min = addDays(sd.value, 1);
    if (!ed.value || ed.value <= sd.value) ed.value = addDays(sd.value, Math.max(1, house.min_days));
  });
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  update();
}

clearOnInput(form);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled || !house) return;
  clearInvalid(form);
  const start_date = field(form, 'start_date').value;
  const end_date = field(form, 'end_date').value;
  const bad = stayProblem(start_date, end_date);
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true, '提交中…');
  const r = await postJSON('/api/order', { house_id: house.hid, start_date, end_date });
  if (r.ok) {
    flash('预订成功！请等待房东接单', 'ok');
    location.assign('/orders.html');
    return;
  }
  setBusy(submit, false);
  if (handleExpired(r)) return;
  const text = describe(r, 'book');
  if (r.errno === 4004) return fail(form, text, 'start_date');
  const name = paramField(r);
  return fail(form, text, name === 'start_date' || name === 'end_date' ? name : undefined);
});

init();
