// 爱家租房 — register page (ES module): image captcha, SMS code with a 60 s
// countdown, then the account.  Registering logs in; the visitor goes back
// to ?next= or to the account page.

import { smsCodeForm, submitCodeAndPassword } from './smscode.js';
import { byId, clearOnInput, flash, mountChrome, params, safeNext } from './ui.js';

mountChrome('my');

const form = byId('register-form');
const next = safeNext(params().get('next'));
byId('to-login').href = `/login.html?${new URLSearchParams({ next })}`;

clearOnInput(form);
submitCodeAndPassword(form, {
  url: '/api/register',
  busyText: '注册中…',
  describeAs: 'register',
  fieldOf: (errno) => (errno === 4003 ? 'mobile' : null),
  done() {
    flash('注册成功，欢迎来到爱家租房！', 'ok');
    location.replace(next);
  },
});
smsCodeForm(form, 'register', (mobile) => `短信验证码已发送至 ${mobile}，5 分钟内有效`);
