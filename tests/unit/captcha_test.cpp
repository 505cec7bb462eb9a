// Captcha text and picture (src/captcha/captcha.cpp): the text's alphabet
// and length, and that the picture is a random PNG of the promised size,
// with errors (missing font, bad text) as values, never exceptions.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <set>
#include <string>

// Before Magick++.h: see the note on its includes in src/captcha/captcha.cpp.
#include <cassert>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"  // ImageMagick 6's magick/memory_.h
#include <Magick++.h>
#pragma GCC diagnostic pop

#include "ihome/captcha/captcha.h"

namespace ihome {
namespace {

const std::string kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
const std::string kPngSignature = "\x89PNG\r\n\x1a\n";

bool in_alphabet(char c) { return kCaptchaAlphabet.find(c) != std::string_view::npos; }

}  // namespace

TEST_CASE("captcha alphabet has no look-alikes and no duplicates") {
  for (char c : std::string_view("0OQ1IL2Z5S8B"))
    CHECK_MESSAGE(!in_alphabet(c), "look-alike in alphabet: ", c);
  std::set<char> seen(kCaptchaAlphabet.begin(), kCaptchaAlphabet.end());
  CHECK(seen.size() == kCaptchaAlphabet.size());
  for (char c : kCaptchaAlphabet) CHECK(((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')));
}

TEST_CASE("captcha text is 4 characters of the alphabet") {
  for (int i = 0; i < 200; ++i) {
    const std::string text = captcha_text();
    REQUIRE(text.size() == 4);
    for (char c : text) CHECK_MESSAGE(in_alphabet(c), "outside the alphabet: ", c);
  }
}

TEST_CASE("captcha texts are random: many draws, almost no repeats, every symbol used") {
  std::set<std::string> texts;
  std::set<char> symbols;
  for (int i = 0; i < 1000; ++i) {
    const std::string text = captcha_text();
    texts.insert(text);
    symbols.insert(text.begin(), text.end());
  }
  // 1000 draws from 21^4 ≈ 194 000: a few collisions at most (expected ~2.6).
  CHECK(texts.size() >= 985);
  CHECK(symbols.size() == kCaptchaAlphabet.size());
}

TEST_CASE("captcha picture is a 130x48 PNG") {
  init_imaging();
  Result<std::string> png = render_captcha_png("ACDE", kFont);
  REQUIRE_MESSAGE(png.ok(), std::string(png.ok() ? "" : png.error().text()));
  REQUIRE(png->size() > kPngSignature.size());
  CHECK(png->compare(0, kPngSignature.size(), kPngSignature) == 0);

  Magick::Image image;
  CHECK_NOTHROW(image.read(Magick::Blob(png->data(), png->size())));
  CHECK(image.magick() == "PNG");
  CHECK(image.columns() == 130);
  CHECK(image.rows() == 48);
  // Not a blank picture: the glyphs and noise make many colours.
  CHECK(image.totalColors() > 50);
}

TEST_CASE("captcha picture of the same text differs each time") {
  Result<std::string> first = render_captcha_png("HJKM", kFont);
  Result<std::string> second = render_captcha_png("HJKM", kFont);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);
  // The pixels differ, not just some timestamp in the file.
  Magick::Image a(Magick::Blob(first->data(), first->size()));
  Magick::Image b(Magick::Blob(second->data(), second->size()));
  CHECK(a.signature() != b.signature());
}

TEST_CASE("captcha renders every symbol of the alphabet") {
  for (char c : kCaptchaAlphabet) {
    Result<std::string> png = render_captcha_png(std::string(4, c), kFont);
    CHECK_MESSAGE(png.ok(), "symbol ", c);
  }
}

TEST_CASE("captcha with a missing font is a SERVERERR value, not an exception") {
  Result<std::string> png = Error{};
  CHECK_NOTHROW(png = render_captcha_png("ACDE", "/nonexistent/ihome-font.ttf"));
  REQUIRE_FALSE(png.ok());
  CHECK(png.error().code == Errno::kServerErr);
  CHECK(png.error().http_status == 500);
}

TEST_CASE("captcha with a font ImageMagick cannot read is a SERVERERR value") {
  // Exists and is readable, but is no font: ImageMagick warns and would fall
  // back to another font; the warning must surface as an error value.
  char path[] = "/tmp/ihome-captcha-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string junk = "this is not a TrueType font\n";
  REQUIRE(write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  close(fd);
  Result<std::string> png = Error{};
  CHECK_NOTHROW(png = render_captcha_png("ACDE", path));
  unlink(path);
  REQUIRE_FALSE(png.ok());
  CHECK(png.error().code == Errno::kServerErr);
}

TEST_CASE("captcha refuses text it cannot draw") {
  CHECK_FALSE(render_captcha_png("", kFont).ok());
  CHECK_FALSE(render_captcha_png("ABCDEFG", kFont).ok());
  CHECK_FALSE(render_captcha_png("A\"B", kFont).ok());
  CHECK_FALSE(render_captcha_png("@etc", kFont).ok());
}

TEST_CASE("image limits: one thread, no disk cache, bounded memory and size") {
  init_imaging();
  CHECK(Magick::ResourceLimits::thread() == 1);
  CHECK(Magick::ResourceLimits::disk() == 0);
  CHECK(Magick::ResourceLimits::memory() <= 256ULL * 1024 * 1024);
  CHECK(Magick::ResourceLimits::width() <= 16000);
  CHECK(Magick::ResourceLimits::height() <= 16000);
  // Room for a 1600x1600 re-encode.
  CHECK(Magick::ResourceLimits::area() >= 1600ULL * 1600);
  // No process-wide time budget: in ImageMagick 6 running out of it _exit()s.
  CHECK(MagickCore::GetMagickResourceLimit(MagickCore::TimeResource) == (~0ULL >> 1));
}

}  // namespace ihome
