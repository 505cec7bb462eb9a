// 爱家租房 — what the orders page and the sandbox cashier share about paying
// (ES module): the pay_by deadline, a live countdown to it, and the words of
// the refund policy (API.md "POST /api/order/cancel").

import { nightsBetween, today, yuan } from './ui.js';

// The refund policy's default (config refund_full_days); the server decides the refund.
export const REFUND_FULL_DAYS = 7;

/** "YYYY-MM-DD HH:MM:SS" (the server's local time, as every date of the API) → ms, or 0. */
export function payDeadline(payBy) {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(String(payBy || ''));
  if (!m) return 0;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/** Seconds as "1:59:30" or "09:30". */
export function clock(seconds) {
  const p = (n) => String(n).padStart(2, '0');
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}:${p(m)}:${p(s)}` : `${p(m)}:${p(s)}`;
}

/**
 * Writes text(clock(left)) into box every second until dueMs, then calls
 * onEnd once.  Answers a function that stops it.
 */
export function countdown(box, dueMs, text, onEnd) {
  let timer = 0;
  const tick = () => {
    const left = Math.max(0, Math.ceil((dueMs - Date.now()) / 1000));
    box.dataset.secondsLeft = String(left);
    if (left <= 0) {
      clearInterval(timer);
      timer = 0;
      onEnd();
      return;
    }
    box.textContent = text(clock(left));
  };
  timer = setInterval(tick, 1000);
  tick();
  return () => { if (timer) clearInterval(timer); timer = 0; };
}

/** The refund policy, as it applies to a paid stay starting on startDate. */
export function refundPolicy(startDate, paid) {
  const rule = `退款规则：入住日 ${REFUND_FULL_DAYS} 天前取消全额退款，入住前 1 天及以上取消退还一半，入住当天起不能取消。`;
  const days = nightsBetween(today(), startDate);
  const amount = Number(paid);
  if (days >= REFUND_FULL_DAYS) return `${rule}\n距入住还有 ${days} 天，现在取消可退 ${yuan(amount)}。`;
  if (days >= 1) return `${rule}\n距入住还有 ${days} 天，现在取消可退 ${yuan(Math.floor(amount * 50) / 100)}（一半）。`;
  return rule;
}
