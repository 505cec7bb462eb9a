// RSA2 (SHA256withRSA, PKCS#1 v1.5) keys, signatures and base64 for the
// Alipay protocol: see include/ihome/pay/alipay.h.  OpenSSL's EVP does the
// crypto, libsodium the strict base64; every OpenSSL handle is owned by a
// unique_ptr, and OpenSSL's error queue is cleared after each failure so a
// stale error never surfaces in an unrelated call of the same process.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "ihome/pay/alipay.h"

namespace ihome {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Smaller RSA keys are not RSA2 as Alipay issues them (2048 bits).
constexpr int kMinRsaBits = 2048;

Error key_error(std::string what) {
  ERR_clear_error();
  return {Errno::kDataErr, "alipay key: " + std::move(what), 200, 0};
}

Result<PkeyPtr> read_pem(std::string_view pem, bool is_private) {
  if (pem.size() > 64 * 1024) return key_error("PEM too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return key_error("out of memory");
  // PEM_read_bio_PrivateKey reads PKCS#1 ("RSA PRIVATE KEY") and PKCS#8
  // ("PRIVATE KEY"); the empty passphrase callback refuses encrypted keys
  // instead of prompting on a terminal.
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  PkeyPtr key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                         : PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return key_error(is_private ? "not a PEM private key" : "not a PEM public key (SubjectPublicKeyInfo)");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return key_error("not an RSA key");
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) return key_error("RSA key shorter than 2048 bits");
  return key;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errno::kIoErr, "alipay key: cannot read " + path, 200, 0};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64_encode(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &size, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(size);
  return out;
}

}  // namespace

struct Rsa2Key::Impl {
  PkeyPtr key;
  bool is_private = false;
};

Rsa2Key::Rsa2Key(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Rsa2Key::Rsa2Key(Rsa2Key&&) noexcept = default;
Rsa2Key& Rsa2Key::operator=(Rsa2Key&&) noexcept = default;
Rsa2Key::~Rsa2Key() = default;

Result<Rsa2Key> Rsa2Key::private_from_pem(std::string_view pem) {
  auto key = read_pem(pem, true);
  if (!key) return key.take_error();
  return Rsa2Key(std::make_unique<Impl>(Impl{std::move(*key), true}));
}

Result<Rsa2Key> Rsa2Key::public_from_pem(std::string_view pem) {
  auto key = read_pem(pem, false);
  if (!key) return key.take_error();
  return Rsa2Key(std::make_unique<Impl>(Impl{std::move(*key), false}));
}

Result<Rsa2Key> Rsa2Key::private_from_file(const std::string& path) {
  auto pem = read_file(path);
  if (!pem) return pem.take_error();
  auto key = private_from_pem(*pem);
  sodium_memzero(pem->data(), pem->size());
  return key;
}

Result<Rsa2Key> Rsa2Key::public_from_file(const std::string& path) {
  auto pem = read_file(path);
  if (!pem) return pem.take_error();
  return public_from_pem(*pem);
}

Result<std::string> Rsa2Key::sign(std::string_view data) const {
  if (!impl_ || !impl_->is_private) return key_error("signing needs a private key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return key_error("RSA2 signing failed");
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return key_error("RSA2 signing failed");
  return base64_encode(reinterpret_cast<const unsigned char*>(signature.data()), size);
}

bool Rsa2Key::verify(std::string_view data, std::string_view signature_base64) const {
  if (!impl_) return false;
  auto signature = base64_decode(signature_base64);
  if (!signature || signature->empty()) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace ihome
