// The Alipay module against the gateway emulator (tests/integration/alipay_emulator.py),
// over real HTTP: skipped in a plain unit run; tests/integration/alipay_module_test.py starts
// the emulator and runs this case with --no-skip and IHOME_ALIPAY_GATEWAY set.  The emulator
// uses the TEST-ONLY keys of tests/unit/data, and its control URLs (/control/...) play the
// buyer and inject the failures.
#include <curl/curl.h>
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "ihome/core/text.h"
#include "ihome/pay/alipay.h"

using namespace ihome;

namespace {

std::string data_path(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "data" / name).string();
}

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// The test's own browser: GET, or POST of a form; no redirects followed.
HttpAnswer http(const std::string& url, const std::string* form = nullptr) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  REQUIRE(curl);
  HttpAnswer answer;
  auto write = +[](char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
  if (form) curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, form->c_str());
  REQUIRE(curl_easy_perform(curl.get()) == CURLE_OK);
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

HttpAnswer post(const std::string& url, const std::string& form) { return http(url, &form); }

AlipayParams parse_form(std::string_view text) {
  AlipayParams params;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    size_t eq = pair.find('=');
    REQUIRE(eq != std::string_view::npos);
    params.emplace_back(url_decode(pair.substr(0, eq)).value(), url_decode(pair.substr(eq + 1)).value());
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
  }
  return params;
}

}  // namespace

TEST_CASE("alipay live: pay, query, notify and refunds against the emulator" * doctest::skip()) {
  const char* gateway = std::getenv("IHOME_ALIPAY_GATEWAY");
  REQUIRE_MESSAGE(gateway, "run by tests/integration/alipay_module_test.py");
  const std::string base = std::string(gateway).substr(0, std::string(gateway).rfind('/'));
  AlipayConfig c;
  c.app_id = "2021000000000001";
  c.private_key_file = data_path("alipay_TEST_ONLY_app_private_key.pem");
  c.public_key_file = data_path("alipay_TEST_ONLY_gateway_public_key.pem");
  c.gateway = gateway;
  c.public_url = "http://127.0.0.1:9";  // nothing listens: the notify is fetched, not posted
  auto created = Alipay::create(c);
  REQUIRE(created.ok());
  const Alipay& alipay = **created;
  const std::string no = "20261201000000000042";

  // The buyer opens the cashier: the emulator checks our signature and records the trade.
  auto url = alipay.pay_url({no, 29850, "爱家租房 海景房 & 2晚=好", alipay_time(::time(nullptr) + 900), false});
  REQUIRE(url.ok());
  HttpAnswer cashier = http(*url);
  CHECK(cashier.status == 200);
  CHECK(cashier.body.find("298.50") != std::string::npos);
  CHECK(http(*alipay.pay_url({"ORDER_WAP", 1, "x", "", true})).status == 200);

  auto waiting = alipay.query(no);
  REQUIRE_MESSAGE(waiting.ok(), (waiting.ok() ? "" : std::string(waiting.error().text())));
  CHECK(waiting->found);
  CHECK(waiting->trade_status == "WAIT_BUYER_PAY");
  CHECK_FALSE(waiting->paid());
  auto unknown = alipay.query("NO_SUCH_ORDER");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->found);

  // Paid, but the notify never comes: the query sees it.
  REQUIRE(post(base + "/control/pay", "out_trade_no=" + no + "&notify=0").status == 200);
  auto paid = alipay.query(no);
  REQUIRE(paid.ok());
  CHECK(paid->paid());
  CHECK(paid->total_amount_fen == 29850);
  CHECK_FALSE(paid->trade_no.empty());

  // The notify Alipay would send verifies; every forgery of it does not.
  auto notify = alipay.verify_notify(parse_form(http(base + "/control/notify?out_trade_no=" + no).body));
  REQUIRE_MESSAGE(notify.ok(), (notify.ok() ? "" : std::string(notify.error().text())));
  CHECK(notify->trade_no == paid->trade_no);
  CHECK(notify->total_amount_fen == 29850);
  CHECK(notify->trade_status == "TRADE_SUCCESS");
  for (const char* tamper : {"amount", "app_id", "out_trade_no", "trade_status", "sign", "sign_other_key", "no_sign",
                             "sign_type", "signed_app_id"}) {
    HttpAnswer forged = http(base + "/control/notify?out_trade_no=" + no + "&tamper=" + tamper);
    REQUIRE(forged.status == 200);
    auto n = alipay.verify_notify(parse_form(forged.body));
    CHECK_MESSAGE(!n.ok(), tamper);
  }
  // Signed by Alipay but not matching the order: verify_notify passes it on, the caller's
  // amount and order checks must refuse it.
  auto cheaper = alipay.verify_notify(
      parse_form(http(base + "/control/notify?out_trade_no=" + no + "&tamper=signed_amount").body));
  REQUIRE(cheaper.ok());
  CHECK(cheaper->total_amount_fen != 29850);

  // A refund that fails three ways and then succeeds, once.
  REQUIRE(post(base + "/control/fail", "kind=refund&n=1&mode=error").status == 200);
  REQUIRE(post(base + "/control/fail", "kind=refund&n=1&mode=drop").status == 200);
  REQUIRE(post(base + "/control/fail", "kind=refund&n=1&mode=drop_after").status == 200);
  for (int i = 0; i < 3; ++i) {
    auto r = alipay.refund(no, "R1", 10000, "房东取消");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errno::kThirdErr);
  }
  auto refund = alipay.refund(no, "R1", 10000, "房东取消");
  REQUIRE_MESSAGE(refund.ok(), (refund.ok() ? "" : std::string(refund.error().text())));
  CHECK_FALSE(refund->fund_change);  // the dropped third call had made it
  CHECK(refund->refund_fee_fen == 10000);
  REQUIRE(post(base + "/control/fail", "kind=refund&n=1&mode=bad_sign").status == 200);
  auto bad = alipay.refund(no, "R2", 19850, "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errno::kDataErr);
  auto rest = alipay.refund(no, "R2", 19850, "");
  REQUIRE(rest.ok());
  CHECK(rest->refund_fee_fen == 29850);
  auto too_much = alipay.refund(no, "R3", 1, "");
  CHECK_FALSE(too_much.ok());

  REQUIRE(post(base + "/control/fail", "kind=query&n=1&mode=bad_sign").status == 200);
  CHECK(alipay.query(no).error().code == Errno::kDataErr);
  REQUIRE(post(base + "/control/fail", "kind=query&n=1&mode=drop").status == 200);
  CHECK(alipay.query(no).error().code == Errno::kThirdErr);
  auto closed = alipay.query(no);
  REQUIRE(closed.ok());
  CHECK(closed->trade_status == "TRADE_CLOSED");
}

TEST_CASE("alipay live: HTTPS to the gateway verifies the certificate and the host name" * doctest::skip()) {
  // The emulator serves TLS with a self-signed certificate for "localhost".
  const char* gateway = std::getenv("IHOME_ALIPAY_TLS_GATEWAY");  // https://localhost:PORT/gateway.do
  const char* cert = std::getenv("IHOME_ALIPAY_TLS_CERT");
  REQUIRE_MESSAGE((gateway && cert), "run by tests/integration/alipay_module_test.py");
  AlipayConfig c;
  c.app_id = "2021000000000001";
  c.private_key_file = data_path("alipay_TEST_ONLY_app_private_key.pem");
  c.public_key_file = data_path("alipay_TEST_ONLY_gateway_public_key.pem");
  c.public_url = "https://ihome.example.com";
  c.gateway = gateway;
  c.ca_file = cert;
  auto trusted = Alipay::create(c);
  REQUIRE(trusted.ok());
  auto found = (*trusted)->query("NO_SUCH_ORDER");
  REQUIRE_MESSAGE(found.ok(), (found.ok() ? "" : std::string(found.error().text())));
  CHECK_FALSE(found->found);

  // Without the certificate as CA: the system's CAs do not know it.
  c.ca_file.clear();
  auto untrusted = Alipay::create(c);
  REQUIRE(untrusted.ok());
  auto refused = (*untrusted)->query("NO_SUCH_ORDER");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errno::kThirdErr);

  // Trusted certificate, other host name: 127.0.0.1 is not "localhost".
  c.ca_file = cert;
  std::string by_ip = gateway;
  by_ip.replace(by_ip.find("localhost"), 9, "127.0.0.1");
  c.gateway = by_ip;
  auto wrong_host = Alipay::create(c);
  REQUIRE(wrong_host.ok());
  auto mismatch = (*wrong_host)->query("NO_SUCH_ORDER");
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().code == Errno::kThirdErr);
}
