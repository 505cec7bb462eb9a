// 爱家租房 — orders (ES module).  orders.html: the guest's bookings (pay with
// a countdown to pay_by, cancel with the refund policy, comment with 1–5
// stars from the check-out day, message the landlord); lorders.html: orders
// on my houses (accept, reject with a reason, cancel a paid stay with a
// reason, reply to a comment, message the guest).  Login required.

import { describe, getJSON, postJSON } from './api.js';
import { checkText } from './checks.js';
import {
  ORDER_STATUS, byId, clearInvalid, el, emptyState, errorState, fail, field, fill, handleExpired,
  mountChrome, params, picture, requireLogin, setBusy, setMsg, shortDate, skeleton, starRow, today, yuan,
} from './ui.js';
import { countdown, payDeadline, refundPolicy } from './payment.js';

mountChrome('orders');

const list = byId('orders');
const pager = byId('pager');
const role = list.dataset.role === 'landlord' ? 'landlord' : 'custom';
// One notice above the list: a payment come back from the provider, a refund.
const notice = el('p', { class: 'flash', id: 'order-notice', 'aria-live': 'polite' });
list.before(notice);
// Countdown timers of the cards on screen (stopped when the list is redrawn).
let timers = [];

/** A small form under an order: a textarea and a submit button. */
// `picker` (a starPicker()) adds its `rating` to the body and must be chosen.
function textForm(order, { name, label, placeholder, max, button, url, success, picker, context = 'orderAction' }) {
  const msg = el('p', { class: 'form-msg form-level', 'aria-live': 'polite' });
  const id = `${name}-${order.order_id}`;
  const form = el('form', { class: 'row-form', novalidate: true },
    picker ? picker.node : null,
    el('div', { class: 'field' },
      el('label', { for: id, text: label }),
      el('textarea', { id, name, maxlength: String(max), placeholder, required: true })),
    msg,
    el('button', { type: 'submit', class: 'btn btn-primary btn-sm', text: button }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = form.querySelector('[type="submit"]');
    if (submit.disabled) return;
    clearInvalid(form);
    const text = field(form, name).value.trim();
    const bad = checkText(name, text, 1, max, label);
    if (bad) return fail(form, bad.text, name);
    const body = { order_id: order.order_id, [name]: text };
    if (picker) {
      if (!picker.value()) return setMsg(msg, '请先选择评分（1–5 星）', 'error');
      body.rating = picker.value();
    }
    setBusy(submit, true, '提交中…');
    const r = await postJSON(url, body);
    setBusy(submit, false);
    if (handleExpired(r)) return;
    if (!r.ok) return fail(form, describe(r, context), r.errno === 4103 ? name : undefined);
    setMsg(msg, typeof success === 'function' ? success(r) : success, 'ok');
    setTimeout(load, 600);
  });
  return form;
}

/** A button that posts {order_id} and reloads the list. */
function actionButton(order, text, url, cls, confirmText, msg) {
  const b = el('button', { type: 'button', class: `btn ${cls}`, text });
  b.addEventListener('click', async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(b, true, '处理中…');
    const r = await postJSON(url, { order_id: order.order_id });
    setBusy(b, false);
    if (handleExpired(r)) return;
    if (!r.ok) return setMsg(msg, describe(r, 'orderAction'), 'error');
    load();
  });
  return b;
}

/** Five star buttons (a radio group in effect): value() is 0 until one is chosen. */
function starPicker(orderId) {
  let value = 0;
  const buttons = [1, 2, 3, 4, 5].map((n) => el('button', {
    type: 'button', 'aria-label': `${n} 星`, 'aria-pressed': 'false', dataset: { stars: String(n) }, text: '★',
  }));
  const show = () => buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(i < value)));
  buttons.forEach((b, i) => b.addEventListener('click', () => { value = i + 1; show(); }));
  const node = el('fieldset', { class: 'star-picker', id: `rating-${orderId}` },
    el('legend', { text: '评分' }), buttons);
  return { node, value: () => value };
}

/** 联系房东 / 联系房客: the order's conversation (created on first message). */
function contactLink(o) {
  const q = o.conversation_id ? { c: String(o.conversation_id) } : { order_id: String(o.order_id) };
  return el('a', { class: 'btn btn-plain btn-sm', href: `/messages.html?${new URLSearchParams(q)}`,
    text: role === 'custom' ? '联系房东' : '联系房客' });
}

/** A cancel's answer, the refund when something was paid, in the notice above the list. */
function refundText(r) {
  const refund = Number(r.body && r.body.data ? r.body.data.refund : 0);
  const text = refund > 0 ? `订单已取消，退款 ${yuan(refund)} 将原路退回` : '订单已取消';
  setMsg(notice, text, 'ok');
  return text;
}

/** The guest's 取消订单: a confirm (for a paid stay, its refund policy), then the refund answered. */
function guestCancelButton(order, msg) {
  const b = el('button', { type: 'button', class: 'btn btn-plain', text: '取消订单' });
  b.addEventListener('click', async () => {
    const question = order.status === 'PAID'
      ? `${refundPolicy(order.start_date, order.paid_amount)}\n确定取消这个订单吗？`
      : '确定取消这个订单吗？';
    if (!window.confirm(question)) return;
    setBusy(b, true, '处理中…');
    const r = await postJSON('/api/order/cancel', { order_id: order.order_id, reason: '' });
    setBusy(b, false);
    if (handleExpired(r)) return;
    if (!r.ok) return setMsg(msg, describe(r, 'orderAction'), 'error');
    refundText(r);
    load();
  });
  return b;
}

/** 去支付 ¥amount: asks for a payment and goes to the provider's page. */
function payButton(order, msg) {
  const b = el('button', { type: 'button', class: 'btn btn-primary pay-btn', text: `去支付 ${yuan(order.amount)}` });
  b.addEventListener('click', async () => {
    setBusy(b, true, '正在前往支付…');
    const r = await postJSON('/api/order/pay', { order_id: order.order_id });
    if (handleExpired(r)) return;
    const url = r.ok && r.body.data ? String(r.body.data.pay_url || '') : '';
    if (!r.ok || !/^(https:\/\/|http:\/\/|\/)/.test(url)) {
      setBusy(b, false);
      return setMsg(msg, r.ok ? MSG_BAD_PAY_URL : describe(r, 'pay'), 'error');
    }
    location.assign(url);
  });
  return b;
}

const MSG_BAD_PAY_URL = '支付服务响应异常，请稍后再试';

/** "请在 1:59:30 内完成支付" ticking to pay_by; at zero the list is reloaded (EXPIRED). */
function payCountdown(order) {
  const due = payDeadline(order.pay_by);
  const box = el('p', { class: 'pay-due', dataset: { payBy: order.pay_by || '' } });
  if (!due) return box;
  timers.push(countdown(box, due, (left) => `请在 ${left} 内完成支付，超时订单将自动取消`, () => {
    box.textContent = '支付已超时';
    setTimeout(load, 1500);
  }));
  return box;
}

/** 已付 / 已退款 amounts and who cancelled, under the price. */
function moneyNotes(o) {
  const notes = [];
  const paid = Number(o.paid_amount);
  const refunded = Number(o.refund_amount);
  const money = [];
  if (paid > 0) money.push(el('span', { class: 'paid-amount', text: `已付 ${yuan(o.paid_amount)}` }));
  if (refunded > 0) money.push(el('span', { class: 'refund-amount', text: `已退款 ${yuan(o.refund_amount)}` }));
  if (money.length) notes.push(el('p', { class: 'meta money-meta' }, money));
  if (o.status === 'CANCELED' && o.canceled_by) {
    const who = o.canceled_by === 'landlord'
      ? (role === 'landlord' ? '您取消了这个订单' : '房东取消了这个订单')
      : (role === 'landlord' ? '房客取消了这个订单' : '您取消了这个订单');
    notes.push(el('p', { class: 'row-note cancel-note' }, who, o.cancel_reason ? `：${o.cancel_reason}` : ''));
  }
  return notes;
}

function orderCard(o) {
  const status = ORDER_STATUS[o.status] || { text: o.status, tone: 'off' };
  const href = `/house.html?id=${encodeURIComponent(o.house_id)}`;
  const msg = el('p', { class: 'form-msg form-level', 'aria-live': 'polite' });
  const actions = el('div', { class: 'row-actions' });
  const extra = [];

  if (o.comment && o.status === 'COMPLETE') {
    extra.push(el('p', { class: 'row-note' }, '评价：', o.rating ? starRow(o.rating, `${o.rating} 星`) : null, ' ',
      o.comment));
    if (o.reply) extra.push(el('div', { class: 'reply' }, el('strong', { text: '房东回复：' }), el('span', { text: o.reply })));
    else if (role === 'landlord') {
      extra.push(textForm(o, {
        name: 'reply', label: '回复评价', placeholder: '感谢房客，或说明情况（公开显示在评价下）', max: 512,
        button: '发表回复', url: '/api/order/reply', success: '回复已发表', context: 'reply',
      }));
    }
  }
  if (o.comment && o.status === 'REJECTED') extra.push(el('p', { class: 'row-note' }, '拒单原因：', o.comment));

  extra.push(...moneyNotes(o));
  const beforeCheckIn = o.start_date > today();

  if (role === 'custom') {
    if (o.status === 'WAIT_ACCEPT' || (o.status === 'PAID' && beforeCheckIn)) {
      actions.append(guestCancelButton(o, msg));
    } else if (o.status === 'WAIT_PAYMENT') {
      extra.push(payCountdown(o));
      actions.append(payButton(o, msg), guestCancelButton(o, msg));
    } else if (o.status === 'WAIT_COMMENT') {
      extra.push(textForm(o, {
        name: 'comment', label: '写评价', placeholder: '说说这次入住的感受，帮助其他房客', max: 1024,
        button: '发表评价', url: '/api/order/comment', success: '评价已发表，感谢！', picker: starPicker(o.order_id),
      }));
    }
  } else if (o.status === 'WAIT_ACCEPT') {
    const reject = textForm(o, {
      name: 'reject_reason', label: '拒单原因', placeholder: '告诉房客为什么无法接单', max: 256,
      button: '确认拒单', url: '/api/order/reject', success: '已拒单',
    });
    reject.hidden = true;
    actions.append(
      actionButton(o, '接单', '/api/order/accept', 'btn-primary', null, msg),
      el('button', { type: 'button', class: 'btn btn-plain', text: '拒单', on: {
        click: () => { reject.hidden = !reject.hidden; if (!reject.hidden) field(reject, 'reject_reason').focus(); },
      } }));
    extra.push(reject);
  } else if (o.status === 'WAIT_PAYMENT') {
    extra.push(el('p', { class: 'pay-due', text: `等待房客在 ${String(o.pay_by || '').slice(0, 16)} 前完成支付` }));
  } else if (o.status === 'PAID' && beforeCheckIn) {
    const cancel = textForm(o, {
      name: 'reason', label: '取消原因', placeholder: '告诉房客为什么要取消，房费将全额退还给房客', max: 256,
      button: '确认取消', url: '/api/order/cancel', success: refundText,
    });
    cancel.hidden = true;
    actions.append(el('button', { type: 'button', class: 'btn btn-danger-outline', text: '取消订单', on: {
      click: () => { cancel.hidden = !cancel.hidden; if (!cancel.hidden) field(cancel, 'reason').focus(); },
    } }));
    extra.push(cancel);
  }

  return el('article', { class: 'row-card order-card', dataset: { orderId: o.order_id, status: o.status } },
    el('div', { class: 'order-top' },
      el('a', { class: 'thumb', href, tabindex: '-1', 'aria-hidden': 'true' }, picture(o.img_url, '')),
      el('div', { class: 'row-main' },
        el('div', { class: 'row-title' },
          el('h3', {}, el('a', { href, text: o.title })),
          el('span', { class: 'badge', dataset: { tone: status.tone }, text: status.text })),
        el('p', { class: 'meta' },
          el('span', { text: `${shortDate(o.start_date)} – ${shortDate(o.end_date)}` }),
          el('span', { text: `${o.days} 晚` })),
        el('p', { class: 'meta' },
          el('span', { class: 'row-price', text: yuan(o.amount) }),
          el('span', { text: `下单于 ${String(o.ctime || '').slice(0, 16)}` })))),
    extra, msg, (actions.append(contactLink(o)), actions));
}

function renderPager(page, total) {
  if (total <= 1) return fill(pager);
  const link = (p, text) => el('a', { href: `?p=${p}`, text });
  fill(pager,
    page > 1 ? link(page - 1, '‹ 上一页') : el('span', { class: 'disabled', text: '‹ 上一页' }),
    el('span', { 'aria-current': 'page', text: `${page} / ${total}` }),
    page < total ? link(page + 1, '下一页 ›') : el('span', { class: 'disabled', text: '下一页 ›' }));
}

/** Coming back from the provider: /orders.html?paid=ORDER_ID. */
function paidNotice(orders) {
  const id = Number(params().get('paid'));
  if (!Number.isInteger(id) || id <= 0) return;
  const o = orders.find((x) => x.order_id === id);
  if (!o) return;
  if (o.status === 'PAID' || Number(o.paid_amount) > 0) {
    setMsg(notice, `支付成功：订单 ${id} 已支付 ${yuan(o.paid_amount)}，祝您入住愉快！`, 'ok');
  } else if (o.status === 'WAIT_PAYMENT') {
    setMsg(notice, `订单 ${id} 的支付结果尚未确认，请稍后刷新查看`, 'info');
  }
}

async function load() {
  await requireLogin();
  for (const stop of timers) stop();
  timers = [];
  const page = Math.max(1, parseInt(params().get('p') || '1', 10) || 1);
  if (!list.childElementCount) fill(list, skeleton(2));
  const r = await getJSON('/api/order/my', { role, p: page });
  if (handleExpired(r)) return;
  if (!r.ok) return fill(list, errorState(describe(r), load));
  const data = r.body.data || {};
  const orders = data.orders || [];
  if (!orders.length) {
    fill(list, role === 'custom'
      ? emptyState('还没有预订', '去看看心仪的房源吧', el('a', { class: 'btn btn-primary', href: '/search.html', text: '去找房' }))
      : emptyState('还没有客户订单', '房客预订您的房源后会显示在这里'));
  } else {
    fill(list, orders.map(orderCard));
    if (role === 'custom' && !notice.textContent) paidNotice(orders);
  }
  renderPager(page, Number(data.total_page) || 0);
}

load();
