// 爱家租房 — forgotten password (ES module): image captcha, an SMS code for
// the purpose `reset`, then the new password.  The server answers alike for
// registered and unregistered mobiles, so this page says "if the mobile is
// registered"; resetting ends every session and does not log in, so the
// visitor goes on to the login page.

import { normalizeMobile } from './checks.js';
import { smsCodeForm, submitCodeAndPassword } from './smscode.js';
import { byId, clearOnInput, field, flash, mountChrome, params, safeNext } from './ui.js';

mountChrome('my');

const form = byId('reset-form');
const next = safeNext(params().get('next'));
byId('to-login').href = `/login.html?${new URLSearchParams({ next })}`;
if (params().get('mobile')) field(form, 'mobile').value = normalizeMobile(params().get('mobile'));

clearOnInput(form);
submitCodeAndPassword(form, {
  url: '/api/password/reset',
  busyText: '提交中…',
  describeAs: 'reset',
  done() {
    flash('密码已重设，请用新密码登录', 'ok');
    location.replace(`/login.html?${new URLSearchParams({ next })}`);
  },
});
smsCodeForm(form, 'reset', (mobile) => `如果 ${mobile} 已注册，验证码已发送，5 分钟内有效`);
