// 爱家租房 — the sandbox provider's cashier, /pay.html?payment=OUT_TRADE_NO
// (API.md "Provider sandbox"): the house, the dates, the amount and the time
// left to pay; 确认支付 confirms the payment as a provider's notification
// would, then back to /orders.html?paid=ORDER_ID; 取消 goes back to the orders.
// Login required (the payer only).

import { describe, getJSON, postJSON } from './api.js';
import { countdown, payDeadline } from './payment.js';
import {
  byId, el, errorState, fill, handleExpired, mountChrome, nightsBetween, params, requireLogin, setBusy,
  setMsg, shortDate, skeleton, yuan,
} from './ui.js';

mountChrome('orders');

const box = byId('payment');
const outTradeNo = params().get('payment') || '';
let stopTimer = () => {};

function row(label, value, id) {
  return el('div', {}, el('dt', { text: label }), el('dd', { id, text: value }));
}

function render(p) {
  stopTimer();
  const nights = nightsBetween(p.start_date, p.end_date);
  const msg = el('p', { class: 'form-msg form-level', 'aria-live': 'polite' });
  const due = el('p', { class: 'pay-due', id: 'pay-due' });
  const confirm = el('button', { type: 'button', class: 'btn btn-primary btn-block', id: 'pay-confirm', text: `确认支付 ${yuan(p.amount)}` });
  const cancel = el('a', { class: 'btn btn-plain btn-block', id: 'pay-cancel', href: '/orders.html', text: '取消' });
  const open = p.status === 'OPEN' && p.order_status === 'WAIT_PAYMENT';

  if (p.status === 'PAID') {
    setMsg(msg, '这笔订单已支付', 'ok');
    confirm.hidden = true;
    fill(cancel, '查看订单');
    cancel.href = `/orders.html?paid=${encodeURIComponent(p.order_id)}`;
  } else if (!open) {
    setMsg(msg, '这笔支付已关闭（订单已取消或已超过支付期限）', 'error');
    confirm.disabled = true;
  } else {
    const dueMs = payDeadline(p.pay_by);
    if (dueMs) {
      stopTimer = countdown(due, dueMs, (left) => `请在 ${left} 内完成支付`, () => {
        due.textContent = '支付已超时，订单已自动取消';
        confirm.disabled = true;
      });
    }
  }

  confirm.addEventListener('click', async () => {
    if (confirm.disabled) return;
    setBusy(confirm, true, '支付中…');
    const r = await postJSON('/api/pay/sandbox/confirm', { out_trade_no: p.out_trade_no });
    if (handleExpired(r)) return;
    if (!r.ok) {
      setBusy(confirm, false);
      return setMsg(msg, describe(r, 'pay'), 'error');
    }
    const d = r.body.data || {};
    if (d.refunded) {
      // Paid too late and the nights are gone: the money goes straight back.
      setBusy(confirm, false);
      confirm.disabled = true;
      return setMsg(msg, '支付已超时且房源已被预订，款项将原路退回', 'error');
    }
    stopTimer();
    location.assign(`/orders.html?paid=${encodeURIComponent(d.order_id || p.order_id)}`);
  });

  const href = `/house.html?id=${encodeURIComponent(p.house_id)}`;
  fill(box,
    el('h2', { class: 'card-title' }, el('a', { href, id: 'pay-title', text: p.title })),
    el('dl', { class: 'summary' },
      row('入住', shortDate(p.start_date), 'pay-start'),
      row('离开', shortDate(p.end_date), 'pay-end'),
      row('入住晚数', `${nights} 晚`, 'pay-nights'),
      row('订单号', String(p.order_id), 'pay-order'),
      el('div', { class: 'total' }, el('dt', { text: '应付金额' }), el('dd', { id: 'pay-amount', text: yuan(p.amount) }))),
    due, msg,
    el('div', { class: 'pay-actions' }, confirm, cancel));
}

async function load() {
  await requireLogin();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(outTradeNo)) {
    return fill(box, errorState('支付链接无效，请从“我的订单”重新发起支付'));
  }
  fill(box, skeleton(1));
  const r = await getJSON('/api/pay/sandbox/payment', { out_trade_no: outTradeNo });
  if (handleExpired(r)) return;
  if (!r.ok) return fill(box, errorState(describe(r, 'pay'), r.errno === 4002 || r.errno === 4105 ? undefined : load));
  render(r.body.data || {});
}

load();
