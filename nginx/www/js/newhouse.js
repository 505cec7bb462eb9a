// 爱家租房 — publish a house (ES module): every field of
// /api/house/newhouse with facility checkboxes, then image uploads for the
// new house.  Login and real-name verification required.
//
// With ?edit=ID the same page edits one of the landlord's houses
// (API.md "house/edit"): the form comes prefilled, is checked by the same
// rules and messages, and saves through /api/house/edit; the photos are
// managed below it (delete, set as cover, upload more), and the date prices
// on a month calendar (js/prices.js; API.md "Pricing").

import { areas, describe, facilities, getJSON, paramField, postForm, postJSON } from './api.js';
import { checkInt, checkMoney, checkText } from './checks.js';
import { mountDatePrices } from './prices.js';
import {
  byId, clearInvalid, clearOnInput, el, fail, field, fill, formMsg, handleExpired, mountChrome, params,
  requireLogin, safeMedia, setBusy, setMsg, showFileNames,
} from './ui.js';

mountChrome('host');
showFileNames();

const MAX_BYTES = 5 * 1024 * 1024;
const form = byId('house-form');
const imageForm = byId('image-form');
const thumbs = byId('thumbs');
const editing = /^[1-9][0-9]{0,15}$/.test(params().get('edit') || '') ? params().get('edit') : null;
let houseId = editing;
let uploaded = 0;

async function load() {
  await requireLogin();
  if (editing) return loadForEdit();
  const [profile, areaList, facilityList] = await Promise.all([getJSON('/api/profile'), areas(), facilities()]);
  if (handleExpired(profile)) return;
  if (profile.ok && profile.body.real_name_verified !== true) {
    byId('verify-first').hidden = false;
    form.querySelector('[type="submit"]').disabled = true;
  }
  await fillChoices(areaList, facilityList);
}

async function fillChoices(areaList, facilityList) {
  const select = field(form, 'area_id');
  for (const a of areaList || []) select.append(el('option', { value: a.aid, text: a.aname }));
  if (!areaList || !facilityList) setMsg(formMsg(form), '区域或设施列表加载失败，请刷新页面', 'error');
  fill(byId('facilities'), (facilityList || []).map((f) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: 'facility', value: f.fid }),
    el('span', { text: f.name }))));
}

// ---------------------------------------------------------------------------
// Editing (?edit=ID)
// ---------------------------------------------------------------------------

async function loadForEdit() {
  document.title = '编辑房源 · 爱家租房';
  byId('page-title').textContent = '编辑房源';
  document.querySelector('.steps').hidden = true;
  form.querySelector('[type="submit"]').textContent = '保存修改';
  byId('done-link').href = '/myhouse.html';
  byId('done-link').textContent = '返回我的房源';
  const [areaList, facilityList, mine, info] = await Promise.all([
    areas(), facilities(), getJSON('/api/house/my'), getJSON('/api/house/info', { house_id: editing })]);
  if (handleExpired(mine) || handleExpired(info)) return;
  await fillChoices(areaList, facilityList);
  const own = mine.ok && ((mine.body.data && mine.body.data.houses) || []).find((h) => String(h.house_id) === editing);
  if (!info.ok || !own) {
    form.hidden = true;
    return setMsg(byId('edit-msg'), info.ok || mine.ok ? '只能编辑自己发布的房源' : describe(info, 'houseInfo'), 'error');
  }
  const h = info.body.data.house;
  const set = (name, value) => { field(form, name).value = value === null || value === undefined ? '' : String(value); };
  set('title', h.title);
  set('price', Number(h.price));
  set('deposit', Number(h.deposit));
  set('address', h.address);
  set('room_count', h.room_count);
  set('acreage', h.acreage);
  set('house_unit', h.unit);
  set('house_capacity', h.capacity);
  set('beds', h.beds);
  set('min_days', h.min_days);
  set('max_days', h.max_days);
  set('weekend_price', h.weekend_price ? Number(h.weekend_price) : '');
  set('cleaning_fee', Number(h.cleaning_fee || 0));
  set('weekly_discount', h.weekly_discount || 0);
  set('monthly_discount', h.monthly_discount || 0);
  const area = (areaList || []).find((a) => a.aname === own.area_name);
  if (area) set('area_id', area.aid);
  for (const box of form.querySelectorAll('input[name="facility"]')) box.checked = h.facilities.includes(Number(box.value));
  byId('house_id').value = editing;
  byId('image-step').hidden = false;
  byId('image-step-title').textContent = '管理房源照片';
  byId('image-step-hint').textContent = '第一张为封面，可设为封面或删除；最多 20 张。';
  showPhotos(h.images);
  mountDatePrices(byId('date-prices'), editing);
}

/** The house's photos with their buttons (edit mode). */
function showPhotos(urls) {
  uploaded = urls.length;
  if (!urls.length) return fill(thumbs, el('li', { class: 'thumb-empty', text: '还没有照片' }));
  fill(thumbs, urls.map((url, i) => el('li', { 'data-url': url },
    el('img', { src: safeMedia(url) || '/img/house.svg', alt: `房源图片 ${i + 1}` }),
    i === 0 ? el('span', { class: 'cover', text: '封面' }) : null,
    el('div', { class: 'photo-actions' },
      i === 0 ? null : el('button', {
        type: 'button', class: 'btn btn-plain photo-cover', text: '设为封面', on: { click: () => photoAction('cover', url) },
      }),
      el('button', {
        type: 'button', class: 'btn btn-danger-outline photo-delete', text: '删除', on: { click: () => photoAction('delete', url) },
      })))));
}

async function reloadPhotos() {
  const info = await getJSON('/api/house/info', { house_id: houseId });
  if (handleExpired(info)) return;
  if (info.ok) showPhotos(info.body.data.house.images);
}

async function photoAction(action, url) {
  // eslint-disable-next-line no-alert
  if (action === 'delete' && !window.confirm('确定删除这张照片吗？删除后无法恢复。')) return;
  for (const b of thumbs.querySelectorAll('button')) b.disabled = true;
  const r = await postJSON(`/api/house/image/${action}`, { house_id: houseId, url });
  if (handleExpired(r)) return;
  await reloadPhotos();
  if (!r.ok) return setMsg(formMsg(imageForm), describe(r, 'houseManage'), 'error');
  setMsg(formMsg(imageForm), action === 'delete' ? '照片已删除' : '封面已更换', 'ok');
}

/** The form's values as /api/house/newhouse takes them, or a problem. */
function readHouse() {
  const v = (name) => String(field(form, name).value || '').trim();
  for (const name of ['title', 'address', 'house_unit', 'beds', 'price', 'deposit', 'weekend_price', 'cleaning_fee']) {
    field(form, name).value = v(name);
  }
  const house = {
    title: v('title'),
    price: v('price'),
    area_id: v('area_id'),
    address: v('address'),
    room_count: v('room_count'),
    acreage: v('acreage'),
    house_unit: v('house_unit'),
    house_capacity: v('house_capacity'),
    beds: v('beds'),
    deposit: v('deposit') || '0',
    min_days: v('min_days') || '1',
    max_days: v('max_days') || '0',
    facility: [...form.querySelectorAll('input[name="facility"]:checked')].map((c) => Number(c.value)),
    weekend_price: v('weekend_price'),
    cleaning_fee: v('cleaning_fee') || '0',
    weekly_discount: v('weekly_discount') || '0',
    monthly_discount: v('monthly_discount') || '0',
  };
  const bad =
    checkText('title', house.title, 1, 64, '房源标题') ||
    checkMoney('price', house.price, 0.01, 1000000, '每晚价格') ||
    checkMoney('deposit', house.deposit, 0, 1000000, '押金') ||
    (house.area_id ? null : { name: 'area_id', text: '请选择所在区域' }) ||
    checkText('address', house.address, 1, 256, '详细地址') ||
    checkInt('room_count', house.room_count, 1, 100, '房间数') ||
    checkInt('acreage', house.acreage, 1, 100000, '面积') ||
    checkText('house_unit', house.house_unit, 0, 64, '户型') ||
    checkInt('house_capacity', house.house_capacity, 1, 100, '宜住人数') ||
    checkText('beds', house.beds, 0, 64, '卧床配置') ||
    checkInt('min_days', house.min_days, 1, 3650, '最少入住天数') ||
    checkInt('max_days', house.max_days, 0, 3650, '最多入住天数') ||
    (house.weekend_price ? checkMoney('weekend_price', house.weekend_price, 0.01, 1000000, '周末价格') : null) ||
    checkMoney('cleaning_fee', house.cleaning_fee, 0, 1000000, '清洁费') ||
    checkInt('weekly_discount', house.weekly_discount, 0, 50, '周租折扣') ||
    checkInt('monthly_discount', house.monthly_discount, 0, 70, '月租折扣') ||
    (Number(house.max_days) !== 0 && Number(house.max_days) < Number(house.min_days)
      ? { name: 'max_days', text: '最多入住天数不能少于最少入住天数（0 表示不限）' } : null);
  return { house, bad };
}

clearOnInput(form);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  if (submit.disabled) return;
  clearInvalid(form);
  const { house, bad } = readHouse();
  if (bad) return fail(form, bad.text, bad.name);

  setBusy(submit, true, editing ? '保存中…' : '提交中…');
  const r = editing
    ? await postJSON('/api/house/edit', { house_id: editing, ...house })
    : await postJSON('/api/house/newhouse', house);
  setBusy(submit, false);
  if (handleExpired(r)) return;
  if (!r.ok) {
    if (r.errno === 4105 && !editing) byId('verify-first').hidden = false;
    let name = paramField(r);
    if (name === 'district') name = 'area_id';
    if (name === 'facility') return fail(form, '所选设施无效，请刷新页面后重试');
    return fail(form, describe(r, editing ? 'houseManage' : 'newhouse'), field(form, name) ? name : undefined);
  }
  if (editing) return setMsg(formMsg(form), '修改已保存', 'ok');
  houseId = r.body.house_id;
  byId('house_id').value = String(houseId);
  form.hidden = true;
  byId('image-step').hidden = false;
  byId('step-info').removeAttribute('aria-current');
  byId('step-info').classList.add('done');
  byId('step-images').setAttribute('aria-current', 'step');
  byId('done-link').href = `/house.html?id=${encodeURIComponent(houseId)}`;
  setMsg(formMsg(imageForm), '房源信息已保存，请上传几张好看的照片', 'ok');
  window.scrollTo({ top: 0 });
});

imageForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = imageForm.querySelector('[type="submit"]');
  if (submit.disabled || !houseId) return;
  clearInvalid(imageForm);
  const input = field(imageForm, 'house_image');
  const files = [...input.files];
  if (!files.length) return fail(imageForm, '请先选择图片', 'house_image');
  const tooBig = files.find((f) => f.size > MAX_BYTES);
  if (tooBig) return fail(imageForm, `图片“${tooBig.name}”超过 5 MB`, 'house_image');

  setBusy(submit, true, '上传中…');
  let failed = '';
  for (const file of files) {
    const data = new FormData();
    data.append('house_id', String(houseId));
    data.append('house_image', file);
    const r = await postForm('/api/house/image', data);
    if (handleExpired(r)) return;
    if (!r.ok) {
      failed = `“${file.name}”上传失败：${describe(r, 'houseImage')}`;
      break;
    }
    uploaded += 1;
    if (editing) continue;
    thumbs.append(el('li', {},
      el('img', { src: safeMedia(r.body.url) || '/img/house.svg', alt: `房源图片 ${uploaded}` }),
      uploaded === 1 ? el('span', { class: 'cover', text: '封面' }) : null));
  }
  setBusy(submit, false);
  imageForm.reset();
  byId('house_id').value = String(houseId);
  if (editing) await reloadPhotos();
  if (failed) return fail(imageForm, failed, 'house_image');
  setMsg(formMsg(imageForm), `已上传 ${uploaded} 张图片`, 'ok');
});

load();
