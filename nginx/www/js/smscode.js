// 爱家租房 — the image captcha and the SMS-code button of a form (ES module),
// shared by the register page and the forgotten-password page: a new
// captcha id on every load (the previous one goes as pcodeid), the SMS
// button with its 60 s countdown, and the request of a code for a purpose
// (API.md "purpose": register or reset); and the submit of such a form's
// mobile, code and new password (submitCodeAndPassword).

import { describe, postJSON } from './api.js';
import { MOBILE_RE, checkMobile, checkPassword, checkPhonecode, normalizeMobile } from './checks.js';
import { byId, clearInvalid, fail, field, formMsg, markInvalid, setBusy, setMsg } from './ui.js';

const SMS_COOLDOWN_S = 60;
const CAPTCHA_TTL_MS = 170 * 1000;   // the server keeps an image code 180 s
const CAPTCHA_LOAD_FAILED = '图片验证码加载失败，请点击图片重试';

function newCodeId() {
  // randomUUID only exists in secure contexts (https or localhost).
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The captcha of `form` (#captcha-img in #captcha-btn). */
function makeCaptcha(form) {
  const img = byId('captcha-img');
  const button = byId('captcha-btn');
  let id = '';
  let loadedAt = 0;
  let lastClick = 0;

  function refresh() {
    const prev = id;
    id = newCodeId();
    loadedAt = Date.now();
    let url = `/api/imagecode?codeid=${encodeURIComponent(id)}`;
    if (prev) url += `&pcodeid=${encodeURIComponent(prev)}`;
    img.src = url;
  }

  function ensureFresh() {
    if (!id || Date.now() - loadedAt > CAPTCHA_TTL_MS) refresh();
  }

  img.addEventListener('error', () => {
    if (img.getAttribute('src')) setMsg(formMsg(form), CAPTCHA_LOAD_FAILED, 'error');
  });
  img.addEventListener('load', () => {
    const msg = formMsg(form);
    if (msg.textContent === CAPTCHA_LOAD_FAILED) setMsg(msg, '');
  });
  button.addEventListener('click', () => {
    const now = Date.now();
    if (now - lastClick < 400) return;   // ignore double clicks (the server allows 60 a minute)
    lastClick = now;
    refresh();
    field(form, 'image_code_text').value = '';
    field(form, 'image_code_text').focus();
  });
  // A tab left open for minutes: the code has expired meanwhile.
  document.addEventListener('visibilitychange', () => { if (!document.hidden) ensureFresh(); });

  return { refresh, ensureFresh, id: () => id };
}

/** The SMS button (#sms-btn) with its countdown. */
function makeSmsButton() {
  const button = byId('sms-btn');
  const idleText = button.textContent;
  let timer = null;
  let endsAt = 0;
  let busy = false;

  function tick() {
    const left = Math.ceil((endsAt - Date.now()) / 1000);
    if (left <= 0) {
      stop();
      return;
    }
    button.textContent = `${left} 秒后重发`;
  }

  function start(seconds) {
    clearInterval(timer);
    endsAt = Date.now() + seconds * 1000;
    button.disabled = true;
    tick();
    timer = setInterval(tick, 250);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    endsAt = 0;
    button.textContent = idleText;
    button.disabled = busy;
  }

  function setSending(on) {
    busy = on;
    if (on) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = '发送中…';
    } else {
      button.removeAttribute('aria-busy');
      if (!timer) stop();
    }
  }

  return { button, start, stop, setSending, counting: () => timer !== null || busy };
}

/**
 * Wires the captcha and the SMS button of `form` (fields mobile,
 * image_code_text, phonecode) to ask a code for `purpose`.  `sentText(mobile)`
 * is what to say once the server answered OK.
 */
export function smsCodeForm(form, purpose, sentText) {
  const captcha = makeCaptcha(form);
  const smsButton = makeSmsButton();

  async function requestSmsCode() {
    if (smsButton.counting()) return;
    clearInvalid(form);

    const mobileInput = field(form, 'mobile');
    const mobile = normalizeMobile(mobileInput.value);
    mobileInput.value = mobile;
    const imageText = field(form, 'image_code_text').value.trim();

    const bad = checkMobile(mobile);
    if (bad) return fail(form, bad.text, bad.name);
    if (!imageText) return fail(form, '请输入图片验证码', 'image_code_text');

    smsButton.setSending(true);
    const payload = { mobile, image_code_id: captcha.id(), image_code_text: imageText };
    if (purpose !== 'register') payload.purpose = purpose;
    const r = await postJSON('/api/smscode', payload);
    smsButton.setSending(false);

    // The image code is single-use: show a new one after every attempt.
    captcha.refresh();
    field(form, 'image_code_text').value = '';

    if (r.ok) {
      smsButton.start(SMS_COOLDOWN_S);
      setMsg(formMsg(form), sentText(mobile), 'ok');
      field(form, 'phonecode').focus();
      return;
    }
    if (r.status === 429 && r.retryAfter && r.retryAfter <= 600) smsButton.start(r.retryAfter);

    const text = describe(r, 'smscode');
    if (r.status === 200 && r.errno === 4003) return fail(form, text, 'mobile');
    if (r.status === 200 && r.errno === 4103 && !MOBILE_RE.test(mobile)) return fail(form, text, 'mobile');
    if (r.status === 200) return fail(form, text, 'image_code_text');
    return fail(form, text);
  }

  smsButton.button.addEventListener('click', requestSmsCode);
  captcha.refresh();
  return { captcha, smsButton };
}

/**
 * Sends `form`'s mobile, phonecode, password and password2 to `url` on
 * submit (register, password reset): checked on the page first; a missing
 * or wrong code marks the code field, 4103 the password; `fieldOf(errno)`
 * names the field of any other errno (or null).  `describeAs` picks
 * describe()'s messages; `done()` runs on success.
 */
export function submitCodeAndPassword(form, { url, busyText, describeAs, done, fieldOf = () => null }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = form.querySelector('[type="submit"]');
    if (submit.disabled) return;
    clearInvalid(form);

    const mobileInput = field(form, 'mobile');
    const mobile = normalizeMobile(mobileInput.value);
    mobileInput.value = mobile;
    const phonecode = field(form, 'phonecode').value.trim();
    const password = field(form, 'password').value;
    const password2 = field(form, 'password2').value;

    const bad = checkMobile(mobile) || checkPhonecode(phonecode) || checkPassword(password, password2);
    if (bad) return fail(form, bad.text, bad.name);

    setBusy(submit, true, busyText);
    const r = await postJSON(url, { mobile, phonecode, password, password2 });
    if (r.ok) return done();
    setBusy(submit, false);

    const text = describe(r, describeAs);
    if (r.status === 200) {
      if (r.errno === 4002 || r.errno === 4004) return fail(form, text, 'phonecode');
      if (r.errno === 4103) {
        markInvalid(field(form, 'password'));
        return fail(form, text);
      }
      const name = fieldOf(r.errno);
      if (name) return fail(form, text, name);
    }
    return fail(form, text);
  });
}
