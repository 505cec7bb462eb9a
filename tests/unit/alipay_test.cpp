// Unit tests of src/pay/alipay.cpp, src/pay/rsa2.cpp and src/pay/alipay_http.cpp: Alipay's
// signing string rules, RSA2 with keys made at test time and the committed TEST-ONLY keys of
// tests/unit/data (see make_alipay_fixtures.py there), a notify and gateway answers signed by
// python3-cryptography (an independent implementation), amounts, and the config checks.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ihome/core/text.h"
#include "ihome/pay/alipay.h"

using namespace ihome;

namespace {

const std::string kAppId = "2021000000000001";

std::string data_path(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "data" / name).string();
}

std::string read_text(const std::string& name) {
  std::ifstream in(data_path(name), std::ios::binary);
  REQUIRE_MESSAGE(in, "missing fixture " << name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> read_lines(const std::string& name) {
  std::vector<std::string> lines;
  std::istringstream in(read_text(name));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

AlipayParams parse_form(std::string_view text) {
  AlipayParams params;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    size_t eq = pair.find('=');
    REQUIRE(eq != std::string_view::npos);
    auto key = url_decode(pair.substr(0, eq));
    auto value = url_decode(pair.substr(eq + 1));
    REQUIRE((key && value));
    params.emplace_back(*key, *value);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
  }
  return params;
}

std::string param(const AlipayParams& params, const std::string& key) {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return {};
}

AlipayConfig test_config() {
  AlipayConfig c;
  c.app_id = kAppId;
  c.private_key_file = data_path("alipay_TEST_ONLY_app_private_key.pem");
  c.public_key_file = data_path("alipay_TEST_ONLY_gateway_public_key.pem");
  c.gateway = "https://openapi.alipay.com/gateway.do";
  c.public_url = "https://ihome.example.com";
  return c;
}

std::unique_ptr<Alipay> test_alipay() {
  auto a = Alipay::create(test_config());
  REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : std::string(a.error().text())));
  return std::move(*a);
}

Rsa2Key gateway_private_key() {
  auto k = Rsa2Key::private_from_file(data_path("alipay_TEST_ONLY_gateway_private_key.pem"));
  REQUIRE(k.ok());
  return std::move(*k);
}

// A gateway answer as Alipay sends it, signed with the TEST-ONLY gateway key.
std::string signed_answer(const std::string& name, const std::string& object) {
  auto sign = gateway_private_key().sign(object);
  REQUIRE(sign.ok());
  return "{\"" + name + "\":" + object + ",\"sign\":\"" + *sign + "\"}";
}

// A fresh RSA key pair made with OpenSSL at test time, as PEM texts.
std::pair<std::string, std::string> generate_pem_pair(unsigned bits) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  REQUIRE(key != nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  REQUIRE(PEM_write_bio_PUBKEY(pub, key) == 1);
  auto text = [](BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
  };
  std::pair<std::string, std::string> out{text(priv), text(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace

// ---- the signing string ----------------------------------------------------------

TEST_CASE("alipay signing string: sorted by key, k=v joined by &, sign dropped, sign_type kept for requests") {
  AlipayParams p = {{"timestamp", "2014-07-24 03:07:50"}, {"method", "alipay.mobile.public.menu.add"},
                    {"charset", "GBK"},                   {"sign", "XXXXX"},
                    {"sign_type", "RSA2"},                {"version", "1.0"},
                    {"app_id", "2014072300007148"},       {"biz_content", R"({"button":[{"name":"话费充值"}]})"}};
  // Alipay's published example request: the string its SDKs sign.
  CHECK(alipay_signing_string(p, false) ==
        R"(app_id=2014072300007148&biz_content={"button":[{"name":"话费充值"}]}&charset=GBK&)"
        "method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0");
}

TEST_CASE("alipay signing string: notify verification drops sign_type as well") {
  AlipayParams p = {{"sign_type", "RSA2"}, {"b", "2"}, {"sign", "abc"}, {"a", "1"}};
  CHECK(alipay_signing_string(p, true) == "a=1&b=2");
  CHECK(alipay_signing_string(p, false) == "a=1&b=2&sign_type=RSA2");
}

TEST_CASE("alipay signing string: empty values are dropped, blanks are not") {
  AlipayParams p = {{"body", ""}, {"a", "1"}, {"passback_params", ""}, {"c", " "}};
  CHECK(alipay_signing_string(p, true) == "a=1&c= ");
}

TEST_CASE("alipay signing string: values raw, UTF-8 unencoded, & and = inside values kept") {
  AlipayParams p = {{"subject", "爱家租房 & 海景房=2晚"},
                    {"fund_bill_list", R"([{"amount":"0.01","fundChannel":"ALIPAYACCOUNT"}])"},
                    {"notify_url", "https://ihome.example.com/api/pay/notify/alipay?x=1&y=%20"}};
  CHECK(alipay_signing_string(p, true) ==
        R"(fund_bill_list=[{"amount":"0.01","fundChannel":"ALIPAYACCOUNT"}]&)"
        "notify_url=https://ihome.example.com/api/pay/notify/alipay?x=1&y=%20&subject=爱家租房 & 海景房=2晚");
}

TEST_CASE("alipay signing string: keys sort in byte order (upper case first, prefixes first)") {
  AlipayParams p = {{"b", "1"}, {"a_b", "2"}, {"a", "3"}, {"B", "4"}, {"ab", "5"}, {"A", "6"}};
  CHECK(alipay_signing_string(p, false) == "A=6&B=4&a=3&a_b=2&ab=5&b=1");
}

// ---- amounts, time, text ---------------------------------------------------------

TEST_CASE("alipay amounts: yuan text to exact fen, anything malformed refused") {
  CHECK(alipay_amount_fen("0.01") == 1);
  CHECK(alipay_amount_fen("298.50") == 29850);
  CHECK(alipay_amount_fen("298.5") == 29850);
  CHECK(alipay_amount_fen("298") == 29800);
  CHECK(alipay_amount_fen("100000000.00") == 10'000'000'000);
  for (const char* bad : {"", "1e3", "-1", "-0.01", "1.234", "+1", " 1", "1 ", ".5", "1.", "0x10", "1,00", "NaN",
                          "99999999999999999999", "9223372036854775807", "1234567890123.00"})
    CHECK_MESSAGE(!alipay_amount_fen(bad).has_value(), bad);
}

TEST_CASE("alipay amounts: fen to yuan with two decimals") {
  CHECK(alipay_amount_yuan(1) == "0.01");
  CHECK(alipay_amount_yuan(29850) == "298.50");
  CHECK(alipay_amount_yuan(100) == "1.00");
  CHECK(alipay_amount_yuan(10'000'000'000) == "100000000.00");
  for (int64_t fen : {1, 9, 10, 99, 100, 101, 29850, 123456789})
    CHECK(alipay_amount_fen(alipay_amount_yuan(fen)) == fen);
}

TEST_CASE("alipay time: Beijing time, UTC+8") {
  CHECK(alipay_time(0) == "1970-01-01 08:00:00");
  CHECK(alipay_time(1796083200) == "2026-12-01 08:00:00");  // 2026-12-01T00:00:00Z
  CHECK(alipay_time(1796083200 + 16 * 3600 - 1) == "2026-12-01 23:59:59");
}

TEST_CASE("utf8_prefix cuts at a code point boundary") {
  CHECK(utf8_prefix("爱家租房", 12) == "爱家租房");
  CHECK(utf8_prefix("爱家租房", 11) == "爱家租");
  CHECK(utf8_prefix("爱家租房", 7) == "爱家");
  CHECK(utf8_prefix("爱家租房", 2).empty());
  CHECK(utf8_prefix("ab爱", 3) == "ab");
  std::string long_subject;
  for (int i = 0; i < 100; ++i) long_subject += "房";  // 300 bytes
  std::string cut = utf8_prefix(long_subject, 256);
  CHECK(cut.size() == 255);
  CHECK(utf8_length(cut) == 85u);
}

// ---- RSA2 ------------------------------------------------------------------------

TEST_CASE("rsa2: a key pair made at test time signs and verifies; any change fails") {
  auto [private_pem, public_pem] = generate_pem_pair(2048);
  auto priv = Rsa2Key::private_from_pem(private_pem);
  auto pub = Rsa2Key::public_from_pem(public_pem);
  REQUIRE(priv.ok());
  REQUIRE(pub.ok());
  std::string text = "a=1&b=爱家&c=x&y";
  auto sign = priv->sign(text);
  REQUIRE(sign.ok());
  CHECK(sign->size() == 344);  // base64 of 256 bytes
  CHECK(pub->verify(text, *sign));
  CHECK(priv->verify(text, *sign));
  CHECK_FALSE(pub->verify(text + " ", *sign));
  CHECK_FALSE(pub->verify("a=1&b=爱家&c=x&z", *sign));
  std::string flipped = *sign;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  CHECK_FALSE(pub->verify(text, flipped));
  CHECK_FALSE(pub->verify(text, ""));
  CHECK_FALSE(pub->verify(text, "not base64!"));
  CHECK_FALSE(pub->verify(text, sign->substr(0, 340)));
  // Another key's signature does not verify.
  auto other = Rsa2Key::public_from_file(data_path("alipay_TEST_ONLY_gateway_public_key.pem"));
  REQUIRE(other.ok());
  CHECK_FALSE(other->verify(text, *sign));
  // A public key cannot sign.
  CHECK_FALSE(pub->sign(text).ok());
}

TEST_CASE("rsa2: PKCS#1 and PKCS#8 private keys, SubjectPublicKeyInfo public keys; junk refused") {
  CHECK(read_text("alipay_TEST_ONLY_app_private_key.pem").find("BEGIN RSA PRIVATE KEY") != std::string::npos);
  CHECK(read_text("alipay_TEST_ONLY_gateway_private_key.pem").find("BEGIN PRIVATE KEY") != std::string::npos);
  auto pkcs1 = Rsa2Key::private_from_file(data_path("alipay_TEST_ONLY_app_private_key.pem"));
  auto pkcs8 = Rsa2Key::private_from_file(data_path("alipay_TEST_ONLY_gateway_private_key.pem"));
  auto app_public = Rsa2Key::public_from_file(data_path("alipay_TEST_ONLY_app_public_key.pem"));
  auto gateway_public = Rsa2Key::public_from_file(data_path("alipay_TEST_ONLY_gateway_public_key.pem"));
  REQUIRE((pkcs1.ok() && pkcs8.ok() && app_public.ok() && gateway_public.ok()));
  CHECK(app_public->verify("x", pkcs1->sign("x").value()));
  CHECK(gateway_public->verify("x", pkcs8->sign("x").value()));

  CHECK(Rsa2Key::private_from_file(data_path("no_such_key.pem")).error().code == Errno::kIoErr);
  CHECK_FALSE(Rsa2Key::private_from_pem("junk").ok());
  CHECK_FALSE(Rsa2Key::public_from_pem(read_text("alipay_TEST_ONLY_app_private_key.pem")).ok());
  CHECK_FALSE(Rsa2Key::private_from_pem(read_text("alipay_TEST_ONLY_app_public_key.pem")).ok());
  auto weak = generate_pem_pair(1024);
  CHECK_FALSE(Rsa2Key::private_from_pem(weak.first).ok());
  CHECK_FALSE(Rsa2Key::public_from_pem(weak.second).ok());
}

// ---- notify and return -----------------------------------------------------------

TEST_CASE("alipay notify: one signed by python3-cryptography verifies and is read exactly") {
  auto alipay = test_alipay();
  AlipayParams params = parse_form(read_lines("alipay_notify_signed_by_python.txt").at(0));
  auto n = alipay->verify_notify(params);
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? "" : std::string(n.error().text())));
  CHECK(n->out_trade_no == "20261201000000000042");
  CHECK(n->trade_no == "2026120122001400001234567890");
  CHECK(n->trade_status == "TRADE_SUCCESS");
  CHECK(n->total_amount_fen == 29850);
  CHECK(n->notify_id == "2026120100222100005a1b2c3d4e5f");
  CHECK_FALSE(n->refund_fee_fen.has_value());
  // Order does not matter; an empty param may come or go (it is not signed).
  std::reverse(params.begin(), params.end());
  CHECK(alipay->verify_notify(params).ok());
  std::erase_if(params, [](const auto& p) { return p.first == "body"; });
  CHECK(alipay->verify_notify(params).ok());
}

TEST_CASE("alipay notify: every tampered param, a missing or bad sign, a repeated param is refused") {
  auto alipay = test_alipay();
  const AlipayParams original = parse_form(read_lines("alipay_notify_signed_by_python.txt").at(0));
  for (size_t i = 0; i < original.size(); ++i) {
    AlipayParams p = original;
    if (p[i].first == "body") continue;  // empty, unsigned
    p[i].second += p[i].first == "sign" ? "A" : "1";
    auto n = alipay->verify_notify(p);
    CHECK_MESSAGE(!n.ok(), original[i].first);
    if (!n.ok()) CHECK(n.error().code == Errno::kDataErr);
  }
  for (const char* field : {"total_amount", "out_trade_no", "app_id", "trade_status", "trade_no"}) {
    AlipayParams p = original;
    std::erase_if(p, [&](const auto& kv) { return kv.first == field; });
    CHECK_MESSAGE(!alipay->verify_notify(p).ok(), field);
  }
  AlipayParams p = original;
  std::erase_if(p, [](const auto& kv) { return kv.first == "sign"; });
  CHECK(alipay->verify_notify(p).error().code == Errno::kDataErr);
  p = original;
  p.emplace_back("total_amount", "0.01");
  CHECK(alipay->verify_notify(p).error().code == Errno::kDataErr);
  p = original;
  for (auto& [k, v] : p)
    if (k == "sign_type") v = "RSA";
  CHECK(alipay->verify_notify(p).error().code == Errno::kDataErr);
}

TEST_CASE("alipay notify: genuinely signed but for another app id is refused") {
  AlipayConfig c = test_config();
  c.app_id = "2021000000000002";
  auto alipay = Alipay::create(c);
  REQUIRE(alipay.ok());
  auto n = (*alipay)->verify_notify(parse_form(read_lines("alipay_notify_signed_by_python.txt").at(0)));
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().code == Errno::kDataErr);
  CHECK(std::string(n.error().text()).find("app_id") != std::string::npos);
}

TEST_CASE("alipay notify: a malformed amount in a correctly signed notify is refused") {
  auto alipay = test_alipay();
  Rsa2Key key = gateway_private_key();
  for (const char* amount : {"1e3", "-1", "1.234", "", "99999999999999.00", "298.50 "}) {
    AlipayParams p = {{"app_id", kAppId},     {"out_trade_no", "20261201000000000042"}, {"trade_no", "2026"},
                      {"sign_type", "RSA2"},  {"trade_status", "TRADE_SUCCESS"},        {"total_amount", amount}};
    p.emplace_back("sign", key.sign(alipay_signing_string(p, true)).value());
    CHECK_MESSAGE(!alipay->verify_notify(p).ok(), amount);
  }
  // The same with a good amount and a refund_fee passes (a browser return has no trade_status).
  AlipayParams p = {{"app_id", kAppId},    {"out_trade_no", "20261201000000000042"}, {"trade_no", "2026"},
                    {"sign_type", "RSA2"}, {"total_amount", "0.01"},                 {"refund_fee", "0.01"}};
  p.emplace_back("sign", key.sign(alipay_signing_string(p, true)).value());
  auto n = alipay->verify_notify(p);
  REQUIRE(n.ok());
  CHECK(n->total_amount_fen == 1);
  CHECK(n->refund_fee_fen == 1);
  CHECK(n->trade_status.empty());
}

// ---- the pay URL -----------------------------------------------------------------

TEST_CASE("alipay pay_url: the gateway GET with every common param, signed by the app") {
  auto alipay = test_alipay();
  AlipayPayRequest r{"20261201000000000042", 29850, "爱家租房 海景房 & 2晚=好", "2026-12-01 10:15:00", false};
  auto url = alipay->pay_url(r);
  REQUIRE(url.ok());
  const std::string prefix = "https://openapi.alipay.com/gateway.do?";
  REQUIRE(url->rfind(prefix, 0) == 0);
  std::string query = url->substr(prefix.size());
  CHECK(query.find_first_of(" \"{}爱") == std::string::npos);  // all URL-encoded
  AlipayParams p = parse_form(query);
  CHECK(param(p, "app_id") == kAppId);
  CHECK(param(p, "method") == "alipay.trade.page.pay");
  CHECK(param(p, "format") == "JSON");
  CHECK(param(p, "charset") == "utf-8");
  CHECK(param(p, "sign_type") == "RSA2");
  CHECK(param(p, "version") == "1.0");
  CHECK(param(p, "timestamp").size() == 19);
  CHECK(param(p, "notify_url") == "https://ihome.example.com/api/pay/notify/alipay");
  CHECK(param(p, "return_url") == "https://ihome.example.com/api/pay/return/alipay");
  rapidjson::Document biz;
  biz.Parse(param(p, "biz_content").c_str());
  REQUIRE(biz.IsObject());
  CHECK(std::string(biz["out_trade_no"].GetString()) == "20261201000000000042");
  CHECK(std::string(biz["total_amount"].GetString()) == "298.50");
  // Alipay refuses '/', '=' and '&' in a subject: they become full-width.
  CHECK(std::string(biz["subject"].GetString()) == "爱家租房 海景房 ＆ 2晚＝好");
  CHECK(std::string(biz["product_code"].GetString()) == "FAST_INSTANT_TRADE_PAY");
  CHECK(std::string(biz["time_expire"].GetString()) == "2026-12-01 10:15:00");
  auto app_public = Rsa2Key::public_from_file(data_path("alipay_TEST_ONLY_app_public_key.pem"));
  REQUIRE(app_public.ok());
  CHECK(app_public->verify(alipay_signing_string(p, false), param(p, "sign")));
}

TEST_CASE("alipay pay_url: wap on mobile; the subject cut to 256 bytes; bad input refused") {
  auto alipay = test_alipay();
  std::string subject;
  for (int i = 0; i < 100; ++i) subject += "房";
  auto url = alipay->pay_url({"ORDER_1-a", 1, subject, "", true});
  REQUIRE(url.ok());
  AlipayParams p = parse_form(url->substr(url->find('?') + 1));
  CHECK(param(p, "method") == "alipay.trade.wap.pay");
  rapidjson::Document biz;
  biz.Parse(param(p, "biz_content").c_str());
  REQUIRE(biz.IsObject());
  CHECK(std::string(biz["product_code"].GetString()) == "QUICK_WAP_WAY");
  CHECK(std::string(biz["total_amount"].GetString()) == "0.01");
  CHECK(biz["subject"].GetStringLength() == 255);
  CHECK_FALSE(biz.HasMember("time_expire"));
  url = alipay->pay_url({"ORDER_2", 100, "a/b=c&d\n\te", "", false});
  REQUIRE(url.ok());
  biz.Parse(param(parse_form(url->substr(url->find('?') + 1)), "biz_content").c_str());
  REQUIRE(biz.IsObject());
  CHECK(std::string(biz["subject"].GetString()) == "a／b＝c＆d  e");

  CHECK(alipay->pay_url({"", 1, "x", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"a b", 1, "x", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({std::string(65, '1'), 1, "x", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", 0, "x", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", -5, "x", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", 10'000'000'001, "x", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", 1, "", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", 1, "\xff", "", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", 1, "x", "2026-12-01T10:15:00", false}).error().code == Errno::kParamErr);
  CHECK(alipay->pay_url({"1", 1, "x", "2026-12-01 10:15", false}).error().code == Errno::kParamErr);
}

// ---- gateway answers -------------------------------------------------------------

TEST_CASE("alipay answers: the signed object is the exact text of the member, wherever it stands") {
  std::string body = R"({ "sign":"c2ln" , "x_response" :{"a":"}{\"","b":[{"c":{}}]} })";
  auto a = alipay_split_answer(body, "x_response");
  REQUIRE(a.ok());
  CHECK(a->object_text == R"({"a":"}{\"","b":[{"c":{}}]})");
  CHECK(a->sign == "c2ln");
  CHECK(alipay_split_answer(R"({"x_response":{},"sign":"s"})", "x_response")->object_text == "{}");
  // A nested member of that name is not the answer.
  CHECK_FALSE(alipay_split_answer(R"({"y":{"x_response":{}},"sign":"s"})", "x_response").ok());
  CHECK_FALSE(alipay_split_answer(R"({"x_response":{},"x_response":{},"sign":"s"})", "x_response").ok());
  CHECK(alipay_split_answer(R"({"x_response":{},"sign":"s","sign":"t"})", "x_response").error().code ==
        Errno::kDataErr);
  CHECK(alipay_split_answer(R"({"x_response":{},"sign":{"s":1}})", "x_response").error().code == Errno::kDataErr);
  CHECK(alipay_split_answer(R"({"x_response":{},"sign":""})", "x_response").error().code == Errno::kDataErr);
  CHECK(alipay_split_answer(R"({"x_response":[],"sign":"s"})", "x_response").error().code == Errno::kThirdErr);
  CHECK_FALSE(alipay_split_answer(R"({"x_response":"{}","sign":"s"})", "x_response").ok());
  CHECK_FALSE(alipay_split_answer(R"({"x_response":{},"sign":1})", "x_response").ok());
  CHECK_FALSE(alipay_split_answer(R"({"x_response":{}})", "x_response").ok());
  CHECK_FALSE(alipay_split_answer(R"({"x_response":{},"sign":"s"} x)", "x_response").ok());
  CHECK_FALSE(alipay_split_answer("<html>502 Bad Gateway</html>", "x_response").ok());
  CHECK_FALSE(alipay_split_answer("", "x_response").ok());
  CHECK_FALSE(alipay_split_answer(std::string_view(R"({"x_response":{},"sign":"s"})" "\0x", 30), "x_response").ok());
  CHECK_FALSE(alipay_split_answer(R"([{"x_response":{},"sign":"s"}])", "x_response").ok());
}

TEST_CASE("alipay answers: query and refund answers signed by python3-cryptography verify") {
  auto alipay = test_alipay();
  for (const std::string& body : read_lines("alipay_query_answer_signed_by_python.txt")) {
    auto t = alipay->read_query_answer(body, "20261201000000000042");
    REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : std::string(t.error().text())));
    CHECK(t->found);
    CHECK(t->paid());
    CHECK(t->trade_status == "TRADE_SUCCESS");
    CHECK(t->trade_no == "2026120122001400001234567890");
    CHECK(t->total_amount_fen == 29850);
    // One changed byte inside the signed object breaks it.
    std::string forged = body;
    forged.replace(forged.find("298.50"), 6, "298.51");
    CHECK(alipay->read_query_answer(forged, "20261201000000000042").error().code == Errno::kDataErr);
    // The answer is about another order.
    CHECK(alipay->read_query_answer(body, "20261201000000000043").error().code == Errno::kDataErr);
  }
  std::string refund_body = read_lines("alipay_refund_answer_signed_by_python.txt").at(0);
  auto r = alipay->read_refund_answer(refund_body, "20261201000000000042");
  REQUIRE(r.ok());
  CHECK(r->fund_change);
  CHECK(r->refund_fee_fen == 10000);
  CHECK(r->trade_no == "2026120122001400001234567890");
}

TEST_CASE("alipay answers: not-exist is a state, other failures and unsigned answers are errors") {
  auto alipay = test_alipay();
  const std::string no = "20261201000000000042";
  auto t = alipay->read_query_answer(
      signed_answer("alipay_trade_query_response",
                    R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"})"),
      no);
  REQUIRE(t.ok());
  CHECK_FALSE(t->found);
  CHECK_FALSE(t->paid());
  auto busy = alipay->read_query_answer(
      signed_answer("alipay_trade_query_response",
                    R"({"code":"20000","msg":"Service Currently Unavailable","sub_code":"ACQ.SYSTEM_ERROR"})"),
      no);
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().code == Errno::kThirdErr);
  CHECK(std::string(busy.error().text()).find("ACQ.SYSTEM_ERROR") != std::string::npos);
  auto waiting = alipay->read_query_answer(
      signed_answer("alipay_trade_query_response",
                    R"({"code":"10000","msg":"Success","out_trade_no":"20261201000000000042",)"
                    R"("trade_no":"2026","trade_status":"WAIT_BUYER_PAY","total_amount":"1.00"})"),
      no);
  REQUIRE(waiting.ok());
  CHECK(waiting->found);
  CHECK_FALSE(waiting->paid());
  CHECK(waiting->total_amount_fen == 100);
  // Right text, signed by the app's key instead of Alipay's.
  std::string object = R"({"code":"40004","sub_code":"ACQ.TRADE_NOT_EXIST"})";
  auto app_key = Rsa2Key::private_from_file(data_path("alipay_TEST_ONLY_app_private_key.pem"));
  REQUIRE(app_key.ok());
  std::string wrong = R"({"alipay_trade_query_response":)" + object + R"(,"sign":")" + *app_key->sign(object) + "\"}";
  CHECK(alipay->read_query_answer(wrong, no).error().code == Errno::kDataErr);
  CHECK_FALSE(alipay->read_query_answer(R"({"alipay_trade_query_response":)" + object + "}", no).ok());
  CHECK(alipay->read_query_answer("<html>", no).error().code == Errno::kThirdErr);
  // An error_response (what the gateway sends for some request errors) is an error.
  CHECK_FALSE(alipay->read_query_answer(signed_answer("error_response", R"({"code":"40002"})"), no).ok());

  auto again = alipay->read_refund_answer(
      signed_answer("alipay_trade_refund_response",
                    R"({"code":"10000","msg":"Success","fund_change":"N","out_trade_no":"20261201000000000042",)"
                    R"("refund_fee":"298.50","trade_no":"2026"})"),
      no);
  REQUIRE(again.ok());
  CHECK_FALSE(again->fund_change);
  CHECK(again->refund_fee_fen == 29850);
  auto failed = alipay->read_refund_answer(
      signed_answer("alipay_trade_refund_response",
                    R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR"})"),
      no);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == Errno::kThirdErr);
  CHECK_FALSE(alipay->read_refund_answer(signed_answer("alipay_trade_refund_response",
                                                       R"({"code":"10000","out_trade_no":"20261201000000000042",)"
                                                       R"("fund_change":"?","refund_fee":"1.00"})"),
                                         no)
                  .ok());
  CHECK_FALSE(alipay->read_refund_answer(signed_answer("alipay_trade_query_response", R"({"code":"10000"})"), no).ok());
}

// ---- configuration and the gateway calls -----------------------------------------

TEST_CASE("alipay create: https gateways, plain http only on loopback; keys and app id checked") {
  for (const char* ok_gateway : {"https://openapi.alipay.com/gateway.do", "http://127.0.0.1:8443/gateway.do",
                                 "http://localhost/gateway.do", "http://[::1]:9/gateway.do"}) {
    AlipayConfig c = test_config();
    c.gateway = ok_gateway;
    CHECK_MESSAGE(Alipay::create(c).ok(), ok_gateway);
  }
  for (const char* bad_gateway : {"http://openapi.alipay.com/gateway.do", "http://127.0.0.2/gateway.do",
                                  "http://localhost.evil.com/gateway.do", "ftp://127.0.0.1/x", "file:///etc/passwd",
                                  "", "gateway.do"}) {
    AlipayConfig c = test_config();
    c.gateway = bad_gateway;
    CHECK_MESSAGE(!Alipay::create(c).ok(), bad_gateway);
  }
  AlipayConfig c = test_config();
  c.private_key_file = data_path("alipay_TEST_ONLY_app_public_key.pem");
  CHECK_FALSE(Alipay::create(c).ok());
  c = test_config();
  c.public_key_file = data_path("missing.pem");
  CHECK_FALSE(Alipay::create(c).ok());
  c = test_config();
  c.app_id = "";
  CHECK_FALSE(Alipay::create(c).ok());
  c = test_config();
  c.timeout_ms = 10001;
  CHECK_FALSE(Alipay::create(c).ok());
  c = test_config();
  c.public_url = "ihome.example.com";
  CHECK_FALSE(Alipay::create(c).ok());
}

TEST_CASE("alipay query/refund: an unreachable gateway is a THIRDERR value, soon") {
  // A loopback port that was just free: connection refused.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  AlipayConfig c = test_config();
  c.gateway = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/gateway.do";
  c.timeout_ms = 2000;
  auto alipay = Alipay::create(c);
  REQUIRE(alipay.ok());
  auto t = (*alipay)->query("20261201000000000042");
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().code == Errno::kThirdErr);
  auto r = (*alipay)->refund("20261201000000000042", "R1", 100, "房东取消");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errno::kThirdErr);
  CHECK((*alipay)->refund("20261201000000000042", "", 100, "x").error().code == Errno::kParamErr);
  CHECK((*alipay)->refund("20261201000000000042", "R1", 0, "x").error().code == Errno::kParamErr);
  CHECK((*alipay)->query("a&b").error().code == Errno::kParamErr);
}
