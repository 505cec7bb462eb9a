#!/usr/bin/python3
"""A local Alipay open-platform gateway for ihome's tests (the real one cannot be reached here).

It speaks the real protocol with an RSA2 (SHA256withRSA) implementation of its own, Debian's
python3-cryptography, independent of ihomed's OpenSSL code: it holds its own "Alipay" key
pair and knows the app's public key.  It serves, on one loopback port:

  GET/POST /gateway.do  method=alipay.trade.page.pay | alipay.trade.wap.pay: checks the app's
                        signature and app_id, records the trade as WAIT_BUYER_PAY, answers a
                        small cashier page (its button pays and goes back to return_url)
  POST /gateway.do      method=alipay.trade.query | alipay.trade.refund: signed JSON answers
                        (the sign covers the exact text of the `..._response` object);
                        refunds are idempotent per out_request_no
  POST /control/pay     out_trade_no=..&notify=1&redirect=1: the cashier page's button
  POST /control/fail    kind=refund|query&n=..&mode=..: fail_next_refunds / fail_queries
  GET  /control/notify  ?out_trade_no=..[&tamper=NAME]: a notify's params, form-encoded, as
                        notify_params() or tampered_notifies()[NAME] (not posted)
  GET  /control/state   the trades as JSON
(the control URLs let a client in another process, a browser or the C++ test driver
tests/unit/alipay_live_test.cpp, steer it).

In a test (in-process, a thread):

    keys = generate_keypair(tmpdir, "app")              # (private.pem, public.pem) of the app
    with AlipayEmulator(app_public_key_file=keys[1]) as alipay:
        ... config: alipay_gateway = alipay.gateway, alipay_public_key_file =
            alipay.alipay_public_key_file, alipay_app_id = alipay.app_id ...
        alipay.pay("order_no")                           # TRADE_SUCCESS + signed notify
        alipay.pay("order_no", notify=False)             # a notify that never comes
        alipay.send_notify("order_no")                   # late / duplicated / reordered
        for name, params in alipay.tampered_notifies("order_no").items(): alipay.post_notify(params)
        alipay.fail_next_refunds(3, mode="drop")          # then alipay.refunds_made("order_no")

Over HTTPS (tls_cert_file/tls_key_file, e.g. from generate_tls_cert) the gateway is
https://localhost:PORT/gateway.do, so the client's certificate checks can be tested.

Standalone: `python3 tests/integration/alipay_emulator.py --app-public-key app_pub.pem`
(prints the gateway URL and Alipay's public key file), and `--self-test` (about a second).
"""

import argparse
import base64
import datetime
import html
import http.client
import http.server
import json
import os
import re
import secrets
import signal
import ssl
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
BUYER_ID = "2088102177846880"
BUYER_LOGON_ID = "159****5620"
PAY_METHODS = {"alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY", "alipay.trade.wap.pay": "QUICK_WAP_WAY"}
NOTIFY_TIMEOUT = 10.0
# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
YUAN_RE = re.compile(r"^(0|[1-9][0-9]{0,8})\.[0-9]{2}$")  # exactly two decimals, as the app sends


# ---- RSA2, independent of ihomed's implementation -----------------------------------------

def generate_keypair(directory, name, pkcs1=False):
    """Writes a 2048-bit RSA key pair: `{name}_private_key.pem` (PKCS#8, or PKCS#1 when
    `pkcs1`) and `{name}_public_key.pem` (SubjectPublicKeyInfo).  Returns both paths."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_path = os.path.join(directory, f"{name}_private_key.pem")
    public_path = os.path.join(directory, f"{name}_public_key.pem")
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    with open(private_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()))
    with open(public_path, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def generate_tls_cert(directory, name, host="localhost"):
    """A self-signed TLS certificate for `host` (a DNS name) and its key, for the emulator
    over HTTPS: the client trusts it only through its CA file option.  Returns
    (cert_path, key_path)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, f"{name}_cert.pem")
    key_path = os.path.join(directory, f"{name}_key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def load_private_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def load_public_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_public_key(f.read())


def signing_string(params, for_notify=False):
    """Alipay's rules: drop sign (and sign_type for notify/return/answer checks) and empty
    values, sort by key, join k=v with '&', values raw."""
    items = params.items() if isinstance(params, dict) else params
    kept = [(k, v) for k, v in items
            if v != "" and k != "sign" and not (for_notify and k == "sign_type")]
    kept.sort(key=lambda kv: kv[0].encode("utf-8"))
    return "&".join(f"{k}={v}" for k, v in kept)


def rsa2_sign(private_key, text):
    signature = private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_key, text, sign):
    try:
        signature = base64.b64decode(sign, validate=True)
        public_key.verify(signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def beijing_time(when=None):
    when = datetime.datetime.now(datetime.timezone.utc) if when is None else when
    return (when.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
            .strftime("%Y-%m-%d %H:%M:%S"))


def yuan_to_fen(text):
    if not isinstance(text, str) or not YUAN_RE.match(text):
        return None
    whole, cents = text.split(".")
    return int(whole) * 100 + int(cents)


def fen_to_yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


class Trade:
    """One out_trade_no at the emulated Alipay."""

    def __init__(self, out_trade_no, total_fen, subject, method, notify_url, return_url, time_expire):
        self.out_trade_no = out_trade_no
        self.total_fen = total_fen
        self.subject = subject
        self.method = method
        self.notify_url = notify_url
        self.return_url = return_url
        self.time_expire = time_expire
        self.status = "WAIT_BUYER_PAY"
        self.trade_no = datetime.datetime.now().strftime("%Y%m%d") + "2200" + "".join(
            secrets.choice("0123456789") for _ in range(16))
        self.gmt_create = beijing_time()
        self.gmt_payment = ""
        self.refunds = {}           # out_request_no -> fen, the refunds actually made
        self.refund_requests = 0    # every refund call for this trade, failed or not
        self.notify_results = []    # (status, body) of each notify posted

    @property
    def refunded_fen(self):
        return sum(self.refunds.values())

    def as_dict(self):
        return {k: v for k, v in vars(self).items()}


# ---- the emulator ---------------------------------------------------------------------------

class AlipayEmulator:
    """The gateway on 127.0.0.1:`port` (0: a free one) in a thread; start()/stop() or `with`.

    Keys: `app_public_key_file` verifies the app's requests; Alipay's own pair is generated
    in a temporary directory unless `alipay_private_key_file`/`alipay_public_key_file` are
    given.  Everything it does is kept for the test to read: `trades`, `errors` (requests it
    refused, as text), `query_calls`, and per trade `refunds_made()`, `refunded_fen()`,
    `refund_requests()`.  Thread-safe.
    """

    def __init__(self, app_public_key_file, app_id=DEFAULT_APP_ID, alipay_private_key_file=None,
                 alipay_public_key_file=None, port=0, tls_cert_file=None, tls_key_file=None):
        self.app_id = app_id
        self.tls = (tls_cert_file, tls_key_file) if tls_cert_file else None
        self.app_public_key = load_public_key(app_public_key_file)
        self._tmp = None
        if alipay_private_key_file is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="alipay-emulator-")
            alipay_private_key_file, alipay_public_key_file = generate_keypair(self._tmp.name, "alipay")
        self.alipay_private_key_file = alipay_private_key_file
        self.alipay_public_key_file = alipay_public_key_file
        self.alipay_private_key = load_private_key(alipay_private_key_file)
        self.port = port
        self.trades = {}
        self.errors = []
        self.query_calls = 0
        self.notify_url = None  # the last page.pay's, for notifies naming no known trade
        self._refund_failures = []  # modes, consumed one per refund call
        self._query_failures = []
        self._lock = threading.RLock()
        self._other_key = None  # a key that is not Alipay's, for forged notifies
        self._server = None
        self._thread = None

    # -- lifecycle

    @property
    def gateway(self):
        return f"{self.base_url}/gateway.do"

    @property
    def base_url(self):
        """http://127.0.0.1:PORT, or https://localhost:PORT when serving TLS (the name in the
        certificate of generate_tls_cert)."""
        return f"https://localhost:{self.port}" if self.tls else f"http://127.0.0.1:{self.port}"

    def start(self):
        emulator = self

        class Handler(_Handler):
            pass
        Handler.emulator = emulator
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="alipay-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- control: payments and notifies

    def open(self, pay_url):
        """The buyer's browser opening the URL ihomed sent it to (`order/pay`'s answer):
        GET, no redirects.  Returns (HTTP status, page text)."""
        opener = _OPENER
        if self.tls:  # trust our own certificate
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(
                context=ssl.create_default_context(cafile=self.tls[0])))
        try:
            with opener.open(pay_url, timeout=NOTIFY_TIMEOUT) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def trade(self, out_trade_no):
        with self._lock:
            return self.trades[out_trade_no]

    def pay(self, out_trade_no, notify=True):
        """The buyer pays: TRADE_SUCCESS with a trade_no; unless `notify` is False, a signed
        notify is posted to the trade's notify_url.  Returns (status, body) of the notify, or
        None.  time_expire is not enforced, so a test can pay late."""
        with self._lock:
            t = self.trades[out_trade_no]
            if t.status != "WAIT_BUYER_PAY":
                raise ValueError(f"{out_trade_no} is {t.status}")
            t.status = "TRADE_SUCCESS"
            t.gmt_payment = beijing_time()
        return self.send_notify(out_trade_no) if notify else None

    def close(self, out_trade_no):
        """The trade times out unpaid at Alipay (TRADE_CLOSED)."""
        with self._lock:
            self.trades[out_trade_no].status = "TRADE_CLOSED"

    def notify_params(self, out_trade_no, overrides=None, after_sign=None, sign_key=None,
                      drop=()):
        """A notify's params (a dict) for the trade as it is now.  `overrides` change fields
        before signing (a genuine notify saying something else), `after_sign` after it (a
        forgery: the signature no longer matches), `sign_key` signs with another private key,
        `drop` removes fields after signing."""
        with self._lock:
            t = self.trades[out_trade_no]
            amount = fen_to_yuan(t.total_fen)
            params = {
                "gmt_create": t.gmt_create,
                "charset": "utf-8",
                "gmt_payment": t.gmt_payment,
                "notify_time": beijing_time(),
                "subject": t.subject,
                "buyer_id": BUYER_ID,
                "invoice_amount": amount,
                "version": "1.0",
                "notify_id": "2026" + secrets.token_hex(14),
                "fund_bill_list": json.dumps([{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}],
                                             separators=(",", ":")),
                "notify_type": "trade_status_sync",
                "out_trade_no": t.out_trade_no,
                "total_amount": amount,
                "trade_status": t.status,
                "trade_no": t.trade_no,
                "auth_app_id": self.app_id,
                "receipt_amount": amount,
                "point_amount": "0.00",
                "buyer_pay_amount": amount,
                "app_id": self.app_id,
                "sign_type": "RSA2",
                "seller_id": SELLER_ID,
            }
            if t.refunds:
                params["refund_fee"] = fen_to_yuan(t.refunded_fen)
                params["gmt_refund"] = beijing_time()
        params.update(overrides or {})
        params["sign"] = rsa2_sign(sign_key or self.alipay_private_key, signing_string(params, True))
        params.update(after_sign or {})
        for name in drop:
            params.pop(name, None)
        return params

    def post_notify(self, params, url=None, out_trade_no=None):
        """POSTs form-urlencoded `params` to `url` (default: the trade's notify_url).
        Returns (HTTP status, body text); (0, error) when the app cannot be reached."""
        out_trade_no = out_trade_no or params.get("out_trade_no")
        with self._lock:
            t = self.trades.get(out_trade_no)
            if url is None:
                url = t.notify_url if t is not None else self.notify_url
        data = urllib.parse.urlencode(params).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        try:
            with _OPENER.open(request, timeout=NOTIFY_TIMEOUT) as r:
                result = (r.status, r.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as e:
            result = (e.code, e.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, OSError) as e:
            result = (0, str(e))
        if t is not None:
            with self._lock:
                t.notify_results.append(result)
        return result

    def send_notify(self, out_trade_no, **kwargs):
        """A notify of the trade as it is now (late, duplicated, reordered: call it when and
        as often as the test wants; kwargs as notify_params)."""
        return self.post_notify(self.notify_params(out_trade_no, **kwargs), out_trade_no=out_trade_no)

    def send_notifies_concurrently(self, out_trade_no, count, threads=8):
        """`count` copies of the trade's notify (each with its own notify_id and signature)
        from `threads` threads at once.  Returns the list of (status, body)."""
        results = []
        lock = threading.Lock()
        per_thread = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
        barrier = threading.Barrier(threads)

        def run(n):
            mine = [self.notify_params(out_trade_no) for _ in range(n)]
            barrier.wait()
            got = [self.post_notify(p, out_trade_no=out_trade_no) for p in mine]
            with lock:
                results.extend(got)
        workers = [threading.Thread(target=run, args=(n,)) for n in per_thread]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return results

    def tampered_notifies(self, out_trade_no, other_out_trade_no="19700101000000000000"):
        """Every forgery the app must refuse without changing anything, by name.  The
        `signed_*` ones carry a valid Alipay signature but do not match the order (amount,
        app_id, unknown order): the app's own checks must refuse them."""
        with self._lock:
            total = self.trades[out_trade_no].total_fen
            status = self.trades[out_trade_no].status
        other_status = "TRADE_SUCCESS" if status != "TRADE_SUCCESS" else "TRADE_FINISHED"
        if self._other_key is None:
            self._other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other_key = self._other_key
        cheaper = fen_to_yuan(max(1, total - 100) if total > 1 else 2)
        return {
            "amount": self.notify_params(out_trade_no, after_sign={"total_amount": cheaper}),
            "app_id": self.notify_params(out_trade_no, after_sign={"app_id": "2021009999999999"}),
            "out_trade_no": self.notify_params(out_trade_no, after_sign={"out_trade_no": other_out_trade_no}),
            "trade_status": self.notify_params(out_trade_no, after_sign={"trade_status": other_status}),
            "sign": self._flip_sign(self.notify_params(out_trade_no)),
            "sign_other_key": self.notify_params(out_trade_no, sign_key=other_key),
            "no_sign": self.notify_params(out_trade_no, drop=("sign",)),
            # sign_type is outside the signed string: still verifies, but is not RSA2.
            "sign_type": self.notify_params(out_trade_no, after_sign={"sign_type": "RSA"}),
            "signed_amount": self.notify_params(out_trade_no, overrides={
                "total_amount": cheaper, "receipt_amount": cheaper, "buyer_pay_amount": cheaper,
                "invoice_amount": cheaper}),
            "signed_app_id": self.notify_params(out_trade_no, overrides={"app_id": "2021009999999999",
                                                                         "auth_app_id": "2021009999999999"}),
            "signed_out_trade_no": self.notify_params(out_trade_no, overrides={
                "out_trade_no": other_out_trade_no}),
        }

    @staticmethod
    def _flip_sign(params):
        sign = params["sign"]
        raw = bytearray(base64.b64decode(sign))
        raw[len(raw) // 2] ^= 0x01
        params["sign"] = base64.b64encode(bytes(raw)).decode("ascii")
        return params

    def return_params(self, out_trade_no):
        """The signed params Alipay appends to return_url when the buyer comes back."""
        with self._lock:
            t = self.trades[out_trade_no]
            params = {
                "charset": "utf-8", "out_trade_no": t.out_trade_no,
                "method": t.method + ".return", "total_amount": fen_to_yuan(t.total_fen),
                "trade_no": t.trade_no, "auth_app_id": self.app_id, "version": "1.0",
                "app_id": self.app_id, "sign_type": "RSA2", "seller_id": SELLER_ID,
                "timestamp": beijing_time(),
            }
        params["sign"] = rsa2_sign(self.alipay_private_key, signing_string(params, True))
        return params

    def return_url(self, out_trade_no):
        with self._lock:
            base = self.trades[out_trade_no].return_url
        sep = "&" if "?" in base else "?"
        return base + sep + urllib.parse.urlencode(self.return_params(out_trade_no))

    # -- control: failures and counters

    def fail_next_refunds(self, n, mode="error"):
        """The next `n` refund calls fail.  mode: "error" (a signed ACQ.SYSTEM_ERROR, nothing
        refunded), "drop" (connection closed, nothing refunded), "drop_after" (refunded,
        then the connection is closed: the app cannot know), "bad_sign" (refunded, the
        answer's signature is wrong)."""
        assert mode in ("error", "drop", "drop_after", "bad_sign")
        with self._lock:
            self._refund_failures.extend([mode] * n)

    def fail_queries(self, n, mode="error"):
        """The next `n` query calls fail: "error", "drop" or "bad_sign" as above."""
        assert mode in ("error", "drop", "bad_sign")
        with self._lock:
            self._query_failures.extend([mode] * n)

    def refunds_made(self, out_trade_no):
        with self._lock:
            t = self.trades.get(out_trade_no)
            return len(t.refunds) if t else 0

    def refunded_fen(self, out_trade_no):
        with self._lock:
            t = self.trades.get(out_trade_no)
            return t.refunded_fen if t else 0

    def refund_requests(self, out_trade_no):
        with self._lock:
            t = self.trades.get(out_trade_no)
            return t.refund_requests if t else 0

    # -- the gateway

    def _error(self, text):
        with self._lock:
            self.errors.append(text)

    def _check_request(self, params):
        """None when `params` are a well-formed request signed by the app; else the reason."""
        if params.get("app_id") != self.app_id:
            return "isv.invalid-app-id"
        if params.get("sign_type") != "RSA2":
            return "isv.invalid-signature-type"
        if params.get("charset", "").lower() != "utf-8":
            return "isv.invalid-charset"
        if params.get("format", "JSON") != "JSON" or params.get("version") != "1.0":
            return "isv.invalid-parameter"
        try:
            datetime.datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return "isv.invalid-timestamp"
        if not rsa2_verify(self.app_public_key, signing_string(params, False), params.get("sign", "")):
            return "isv.invalid-signature"
        return None

    def _answer(self, name, obj, bad_sign=False):
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        sign = rsa2_sign(self.alipay_private_key, text)
        if bad_sign:
            sign = self._flip_sign({"sign": sign})["sign"]
        return '{"%s":%s,"sign":"%s"}' % (name, text, sign)

    def page_pay(self, params):
        """Returns (status, html)."""
        why = self._check_request(params)
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            biz = None
        method = params.get("method")
        if why is None and not isinstance(biz, dict):
            why = "biz_content is not JSON"
        if why is None:
            total = yuan_to_fen(biz.get("total_amount"))
            no = biz.get("out_trade_no", "")
            if not no or len(no) > 64 or not re.match(r"^[A-Za-z0-9_-]+$", no):
                why = "bad out_trade_no"
            elif total is None or total < 1:
                why = "bad total_amount"
            elif biz.get("product_code") != PAY_METHODS[method]:
                why = "product_code does not match the method"
            elif (not biz.get("subject") or len(biz["subject"].encode("utf-8")) > 256
                  or any(c in biz["subject"] for c in "/=&")):
                why = "bad subject (1-256 bytes, no / = &)"
            elif not params.get("notify_url") or not params.get("return_url"):
                why = "no notify_url/return_url"
        if why is not None:
            self._error(f"{method}: {why}")
            return 400, f"<!doctype html><title>支付宝 - 错误</title><p>错误: {html.escape(why)}</p>"
        with self._lock:
            t = self.trades.get(biz["out_trade_no"])
            if t is not None and t.status != "WAIT_BUYER_PAY":
                self._error(f"{method}: {t.out_trade_no} is {t.status}")
                return 400, "<!doctype html><title>支付宝 - 错误</title><p>ACQ.TRADE_HAS_SUCCESS 交易已支付或已关闭</p>"
            if t is not None and t.total_fen != total:
                self._error(f"{method}: {t.out_trade_no} amount changed")
                return 400, "<!doctype html><title>支付宝 - 错误</title><p>ACQ.CONTEXT_INCONSISTENT 交易信息被篡改</p>"
            if t is None:
                t = Trade(biz["out_trade_no"], total, biz["subject"], method, params["notify_url"],
                          params["return_url"], biz.get("time_expire", ""))
                self.trades[t.out_trade_no] = t
            self.notify_url = t.notify_url
        page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>支付宝收银台（测试）</title></head>
<body><h1>支付宝收银台（测试网关）</h1>
<p id="subject">{html.escape(t.subject)}</p><p>订单号 <span id="out_trade_no">{html.escape(t.out_trade_no)}</span></p>
<p>应付 <span id="total_amount">{fen_to_yuan(t.total_fen)}</span> 元</p>
<form method="post" action="/control/pay"><input type="hidden" name="out_trade_no" value="{html.escape(t.out_trade_no)}">
<input type="hidden" name="redirect" value="1"><button id="pay" type="submit">确认付款</button></form>
</body></html>"""
        return 200, page

    def gateway_call(self, params):
        """query/refund: returns the body text, or None to drop the connection."""
        method = params.get("method", "")
        name = method.replace(".", "_") + "_response"
        why = self._check_request(params)
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            biz = None
        if why is None and not isinstance(biz, dict):
            why = "isv.invalid-biz-content"
        if why is not None:
            self._error(f"{method}: {why}")
            return self._answer(name, {"code": "40002", "msg": "Invalid Arguments", "sub_code": why,
                                       "sub_msg": "参数无效"})
        if method == "alipay.trade.query":
            return self._query(name, biz)
        if method == "alipay.trade.refund":
            return self._refund(name, biz)
        self._error(f"{method}: unknown method")
        return self._answer(name, {"code": "40002", "msg": "Invalid Arguments",
                                   "sub_code": "isv.invalid-method", "sub_msg": "不存在的方法名"})

    def _query(self, name, biz):
        with self._lock:
            self.query_calls += 1
            mode = self._query_failures.pop(0) if self._query_failures else None
            if mode == "drop":
                return None
            if mode == "error":
                return self._answer(name, {"code": "20000", "msg": "Service Currently Unavailable",
                                           "sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "系统繁忙"})
            t = self.trades.get(biz.get("out_trade_no", ""))
            if t is None:
                return self._answer(name, {"code": "40004", "msg": "Business Failed",
                                           "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在",
                                           "out_trade_no": biz.get("out_trade_no", "")},
                                    bad_sign=mode == "bad_sign")
            amount = fen_to_yuan(t.total_fen)
            return self._answer(name, {
                "code": "10000", "msg": "Success", "buyer_logon_id": BUYER_LOGON_ID,
                "buyer_pay_amount": amount if t.gmt_payment else "0.00", "buyer_user_id": BUYER_ID,
                "invoice_amount": amount if t.gmt_payment else "0.00", "out_trade_no": t.out_trade_no,
                "point_amount": "0.00", "receipt_amount": amount if t.gmt_payment else "0.00",
                "send_pay_date": t.gmt_payment, "total_amount": amount, "trade_no": t.trade_no,
                "trade_status": t.status}, bad_sign=mode == "bad_sign")

    def _refund(self, name, biz):
        def business_failed(sub_code, sub_msg):
            return self._answer(name, {"code": "40004", "msg": "Business Failed", "sub_code": sub_code,
                                       "sub_msg": sub_msg})
        with self._lock:
            t = self.trades.get(biz.get("out_trade_no", ""))
            if t is not None:
                t.refund_requests += 1
            mode = self._refund_failures.pop(0) if self._refund_failures else None
            if mode == "drop":
                return None
            if mode == "error":
                return self._answer(name, {"code": "20000", "msg": "Service Currently Unavailable",
                                           "sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "系统错误"})
            if t is None:
                return business_failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
            amount = yuan_to_fen(biz.get("refund_amount"))
            request_no = biz.get("out_request_no", "")
            if amount is None or amount < 1 or not request_no:
                self._error(f"alipay.trade.refund: bad refund_amount/out_request_no {biz}")
                return self._answer(name, {"code": "40002", "msg": "Invalid Arguments",
                                           "sub_code": "isv.invalid-parameter", "sub_msg": "参数无效"})
            if request_no in t.refunds:
                if t.refunds[request_no] != amount:
                    return business_failed("ACQ.DISCORDANT_REPEAT_REQUEST", "再次请求的参数与首次不一致")
                fund_change = "N"
            else:
                if t.status != "TRADE_SUCCESS":
                    return business_failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                if amount > t.total_fen - t.refunded_fen:
                    return business_failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
                t.refunds[request_no] = amount
                if t.refunded_fen == t.total_fen:
                    t.status = "TRADE_CLOSED"
                fund_change = "Y"
            if mode == "drop_after":
                return None
            return self._answer(name, {
                "code": "10000", "msg": "Success", "buyer_logon_id": BUYER_LOGON_ID,
                "buyer_user_id": BUYER_ID, "fund_change": fund_change, "gmt_refund_pay": beijing_time(),
                "out_trade_no": t.out_trade_no, "refund_fee": fen_to_yuan(t.refunded_fen),
                "send_back_fee": fen_to_yuan(amount), "trade_no": t.trade_no},
                bad_sign=mode == "bad_sign")

    def state(self):
        with self._lock:
            return {no: {k: v for k, v in t.as_dict().items()} for no, t in self.trades.items()}


def _parse_params(text):
    """Form/query params as a dict; None when a key repeats or the encoding is broken."""
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                       encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    params = dict(pairs)
    return params if len(params) == len(pairs) else None


class _Handler(http.server.BaseHTTPRequestHandler):
    emulator = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests read emulator.errors
        pass

    def _send(self, status, body, content_type="text/html; charset=utf-8", headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace") if length else ""

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/control/state":
            return self._send(200, json.dumps(self.emulator.state(), ensure_ascii=False),
                              "application/json; charset=utf-8")
        if url.path == "/control/notify":
            return self._control_notify(_parse_params(url.query) or {})
        if url.path != "/gateway.do":
            return self._send(404, "not found")
        self._gateway(url.query)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self._body()
        if url.path == "/control/pay":
            return self._control_pay(body)
        if url.path == "/control/fail":
            return self._control_fail(body)
        if url.path != "/gateway.do":
            return self._send(404, "not found")
        self._gateway(url.query + ("&" if url.query and body else "") + body)

    def _gateway(self, text):
        params = _parse_params(text)
        if params is None:
            self.emulator._error("gateway: unreadable or repeated params")
            return self._send(400, "bad params")
        method = params.get("method", "")
        if method in PAY_METHODS:
            return self._send(*self.emulator.page_pay(params))
        answer = self.emulator.gateway_call(params)
        if answer is None:  # failure injection: close without a byte
            self.close_connection = True
            return
        self._send(200, answer, "text/html;charset=utf-8")  # what the real gateway sends

    def _control_notify(self, params):
        no, tamper = params.get("out_trade_no", ""), params.get("tamper", "")
        try:
            notify = (self.emulator.tampered_notifies(no)[tamper] if tamper
                      else self.emulator.notify_params(no))
        except KeyError as e:
            return self._send(404, f"no such trade or tampering: {html.escape(str(e))}")
        self._send(200, urllib.parse.urlencode(notify), "application/x-www-form-urlencoded")

    def _control_fail(self, body):
        params = _parse_params(body) or {}
        try:
            fail = {"refund": self.emulator.fail_next_refunds,
                    "query": self.emulator.fail_queries}[params.get("kind", "")]
            fail(int(params.get("n", "1")), params.get("mode", "error"))
        except (KeyError, ValueError, AssertionError):
            return self._send(400, "kind=refund|query&n=N&mode=error|drop|drop_after|bad_sign")
        self._send(200, "ok", "text/plain; charset=utf-8")

    def _control_pay(self, body):
        params = _parse_params(body) or {}
        no = params.get("out_trade_no", "")
        try:
            self.emulator.pay(no, notify=params.get("notify", "1") == "1")
        except (KeyError, ValueError) as e:
            return self._send(400, f"cannot pay: {html.escape(str(e))}")
        if params.get("redirect") == "1":
            return self._send(302, "", headers=[("Location", self.emulator.return_url(no))])
        self._send(200, "paid", "text/plain; charset=utf-8")


# ---- self-test and standalone ---------------------------------------------------------------

def _app_request(app_key, app_id, method, biz, notify_base=None):
    params = {"app_id": app_id, "method": method, "format": "JSON", "charset": "utf-8",
              "sign_type": "RSA2", "timestamp": beijing_time(), "version": "1.0",
              "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
    if notify_base:
        params["notify_url"] = notify_base + "/api/pay/notify/alipay"
        params["return_url"] = notify_base + "/api/pay/return/alipay"
    params["sign"] = rsa2_sign(app_key, signing_string(params))
    return params


def _post(url, params):
    data = urllib.parse.urlencode(params).encode()
    with _OPENER.open(urllib.request.Request(url, data=data), timeout=5) as r:
        return r.read().decode("utf-8")


def _signed_object(body, name, public_key):
    """The app's side of an answer check, for the self-test: the raw object text."""
    start = body.index('{', body.index(f'"{name}":'))
    decoder = json.JSONDecoder()
    _, end = decoder.raw_decode(body, start)
    text = body[start:end]
    sign = json.loads(body)["sign"]
    return json.loads(text), rsa2_verify(public_key, text, sign)


def self_test():
    received = []

    class Notify(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers["Content-Length"])
            received.append(_parse_params(self.rfile.read(n).decode("latin-1")))
            self.send_response(200)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"success")

    app_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Notify)
    threading.Thread(target=app_server.serve_forever, args=(0.05,), daemon=True).start()
    app_base = f"http://127.0.0.1:{app_server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        app_private, app_public = generate_keypair(tmp, "app", pkcs1=True)
        app_key = load_private_key(app_private)
        with AlipayEmulator(app_public) as alipay:
            alipay_public = load_public_key(alipay.alipay_public_key_file)
            biz = {"out_trade_no": "T1", "total_amount": "298.50", "subject": "爱家租房 订单1",
                   "product_code": "FAST_INSTANT_TRADE_PAY", "time_expire": "2026-12-02 12:00:00"}
            query = urllib.parse.urlencode(_app_request(app_key, alipay.app_id, "alipay.trade.page.pay",
                                                        biz, app_base))
            status, page = alipay.open(alipay.gateway + "?" + query)
            assert status == 200 and "298.50" in page
            assert alipay.trade("T1").status == "WAIT_BUYER_PAY"
            # A request signed by another key is refused.
            forged = _app_request(load_private_key(generate_keypair(tmp, "other")[0]), alipay.app_id,
                                  "alipay.trade.page.pay", dict(biz, out_trade_no="T2"), app_base)
            try:
                _OPENER.open(alipay.gateway + "?" + urllib.parse.urlencode(forged), timeout=5)
                raise AssertionError("forged page.pay accepted")
            except urllib.error.HTTPError as e:
                assert e.code == 400
            assert "T2" not in alipay.trades and alipay.errors

            assert alipay.pay("T1") == (200, "success")
            n = received[-1]
            assert rsa2_verify(alipay_public, signing_string(n, True), n["sign"])
            assert n["trade_status"] == "TRADE_SUCCESS" and n["total_amount"] == "298.50"
            for name, forged in alipay.tampered_notifies("T1").items():
                valid = "sign" in forged and rsa2_verify(alipay_public, signing_string(forged, True),
                                                        forged["sign"])
                assert valid == (name.startswith("signed_") or name == "sign_type"), name
            r = alipay.send_notifies_concurrently("T1", 20, threads=4)
            assert len(r) == 20 and all(x == (200, "success") for x in r)
            ret = alipay.return_params("T1")
            assert rsa2_verify(alipay_public, signing_string(ret, True), ret["sign"])

            def call(method, biz):
                body = _post(alipay.gateway, _app_request(app_key, alipay.app_id, method, biz))
                return _signed_object(body, method.replace(".", "_") + "_response", alipay_public)
            answer, ok = call("alipay.trade.query", {"out_trade_no": "T1"})
            assert ok and answer["trade_status"] == "TRADE_SUCCESS" and answer["total_amount"] == "298.50"
            answer, ok = call("alipay.trade.query", {"out_trade_no": "NOPE"})
            assert ok and answer["sub_code"] == "ACQ.TRADE_NOT_EXIST"

            refund = {"out_trade_no": "T1", "refund_amount": "100.00", "out_request_no": "R1"}
            alipay.fail_next_refunds(1, "error")
            alipay.fail_next_refunds(1, "drop")
            alipay.fail_next_refunds(1, "drop_after")
            answer, ok = call("alipay.trade.refund", refund)
            assert ok and answer["sub_code"] == "ACQ.SYSTEM_ERROR"
            for _ in range(2):
                try:
                    call("alipay.trade.refund", refund)
                    raise AssertionError("dropped refund answered")
                except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
                    pass
            answer, ok = call("alipay.trade.refund", refund)
            assert ok and answer["code"] == "10000" and answer["fund_change"] == "N", answer
            assert alipay.refunds_made("T1") == 1 and alipay.refunded_fen("T1") == 10000
            assert alipay.refund_requests("T1") == 4
            answer, ok = call("alipay.trade.refund", dict(refund, refund_amount="1.00"))
            assert ok and answer["sub_code"] == "ACQ.DISCORDANT_REPEAT_REQUEST"
            answer, ok = call("alipay.trade.refund", dict(refund, out_request_no="R2",
                                                          refund_amount="198.51"))
            assert ok and answer["sub_code"] == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
            alipay.fail_queries(1, "bad_sign")
            answer, ok = call("alipay.trade.query", {"out_trade_no": "T1"})
            assert not ok
            assert not [e for e in alipay.errors if "T2" not in e and "signature" not in e], alipay.errors
    app_server.shutdown()
    app_server.server_close()
    print("alipay_emulator self-test: ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("--app-public-key", help="the app's public key (PEM)")
    parser.add_argument("--app-id", default=DEFAULT_APP_ID)
    parser.add_argument("--alipay-private-key", help="Alipay's private key (default: a new pair)")
    parser.add_argument("--alipay-public-key")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--gen-keys", metavar="DIR", help="write app_private_key.pem/app_public_key.pem")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    if args.gen_keys:
        print(*generate_keypair(args.gen_keys, "app"))
        return
    if not args.app_public_key:
        parser.error("--app-public-key is required")
    emulator = AlipayEmulator(args.app_public_key, args.app_id, args.alipay_private_key,
                              args.alipay_public_key, args.port).start()
    print(f"gateway {emulator.gateway}", flush=True)
    print(f"alipay_public_key_file {emulator.alipay_public_key_file}", flush=True)
    print(f"app_id {emulator.app_id}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    emulator.stop()


if __name__ == "__main__":
    main()
