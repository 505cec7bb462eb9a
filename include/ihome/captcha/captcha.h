// Captcha: the text and the picture of an image code (/api/imagecode).
// Text is 4 characters from an alphabet without look-alikes (no 0/O, 1/I/L);
// the picture is drawn with Magick++ (call init_imaging() once per process,
// after fork) and distorted enough to resist plain OCR.
#pragma once

#include <string>
#include <string_view>

#include "ihome/core/result.h"

namespace ihome {

// The alphabet captcha texts are drawn from.
extern const std::string_view kCaptchaAlphabet;

// 4 random characters of kCaptchaAlphabet.
std::string captcha_text();

// Sets up ImageMagick for this process (single-threaded, resource limits).
void init_imaging();

// A PNG of `text` drawn with the TrueType font at `font_path`.
// Errors (missing font, ImageMagick failure) are SERVERERR values.
Result<std::string> render_captcha_png(std::string_view text, const std::string& font_path);

}  // namespace ihome
