// Captcha: the text and the picture of an image code (/api/imagecode).
// Text is 4 characters from an alphabet without look-alikes (no 0/O, 1/I/L);
// the picture is drawn with Magick++ (call init_imaging() once per process,
// after fork) and distorted enough to resist plain OCR.  Randomness comes
// from libsodium: sodium_init() must have run.
#pragma once

#include <string>
#include <string_view>

#include "ihome/core/result.h"

namespace ihome {

// The alphabet captcha texts are drawn from: uppercase letters and digits.
// Answers should be compared case-insensitively.
extern const std::string_view kCaptchaAlphabet;

// 4 random characters of kCaptchaAlphabet.
std::string captcha_text();

// Sets up ImageMagick for this process: one thread (no OpenMP pool), and
// bounded memory, pixel size and no disk cache, limits that every later
// Magick++ use in the process (image uploads) also runs under.
// Idempotent; render_captcha_png() calls it too.
void init_imaging();

// A 130x48 PNG of `text` (1-6 ASCII letters or digits) drawn with the
// TrueType font at `font_path`; every call draws a different picture.
// Each glyph is rasterised once per process and font (the first pictures
// cost up to ~20 ms, later ones ~3 ms).  Never throws: errors (bad text,
// missing or unreadable font, ImageMagick failure) are SERVERERR values
// with HTTP status 500; their message is for the log, not the client.
Result<std::string> render_captcha_png(std::string_view text, const std::string& font_path);

}  // namespace ihome
