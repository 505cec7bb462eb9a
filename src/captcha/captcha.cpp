// Captcha text and picture: see include/ihome/captcha/captcha.h.
//
// The picture, in order: a light random background; each character from a
// per-process glyph cache, scaled, slanted and turned by an affine distort
// and composited in its own dark colour; curves and strokes over them (one
// draw call); speckle; a sine wave over everything; a PNG encode.  Every
// random choice comes from libsodium through random_below(), so two renders
// of the same text differ and no picture says anything about the next.
#include "ihome/captcha/captcha.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <numbers>
#include <utility>

// Two ImageMagick 6.9 header quirks:
//  - Magick++.h includes the C headers inside `namespace MagickCore`, and
//    magick/memory_.h includes <assert.h> there; if that is the first
//    <assert.h> of the file, assert() later names MagickCore::__assert_fail
//    and fails to compile.  <cassert> first keeps the real one global.
//  - magick/memory_.h casts to `size_t *const`, which -Wignored-qualifiers
//    (part of -Wextra) rejects under -Werror.  That one warning is silenced
//    for these headers only; our own code keeps every flag.
#include <cassert>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#include <Magick++.h>
#pragma GCC diagnostic pop

#include "ihome/core/random.h"

namespace ihome {

// Uppercase letters and digits that keep no look-alike once turned, slanted,
// crossed by a curve and waved: none of 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, nor
// V (reads as U), 7 (a slanted 7 reads as T) and 4 (reads as A).  21
// symbols: 21^4 ≈ 194 000 answers for a code that is single-use and lives
// 180 s behind a rate limit.
const std::string_view kCaptchaAlphabet = "ACDEFGHJKMNPRTUWXY369";

namespace {

constexpr size_t kTextLength = 4;
constexpr size_t kMaxRenderLength = 6;  // more would not fit the width

// The final picture is kWidth x kHeight: the wave adds 2 * kWaveAmplitude
// rows to the canvas, so the canvas is drawn that much shorter.
constexpr int kWidth = 130;
constexpr int kHeight = 48;
constexpr int kWaveAmplitude = 3;
constexpr int kCanvasHeight = kHeight - 2 * kWaveAmplitude;

// Glyphs are drawn once at kGlyphPoints, centred on a kGlyphBox square
// (room for the widest glyph, W, at any angle we use), then scaled down
// and rotated per picture.
constexpr double kGlyphPoints = 32;
constexpr int kGlyphBox = 52;

constexpr MagickCore::MagickSizeType kMiB = 1024 * 1024;

// Uniform integer in [low, high].
int random_between(int low, int high) {
  return low + static_cast<int>(random_below(static_cast<uint32_t>(high - low + 1)));
}

// A colour with every channel in [low, high] (0..255 scale).
Magick::ColorRGB random_colour(int low, int high) {
  return Magick::ColorRGB(random_between(low, high) / 255.0, random_between(low, high) / 255.0,
                          random_between(low, high) / 255.0);
}

// Dark enough to stand out on the light background for any person, varied
// enough that a single colour threshold does not isolate the text.
Magick::ColorRGB ink_colour() { return random_colour(0, 110); }

Error server_error(std::string message) {
  return Error{Errno::kServerErr, std::move(message), 500, 0};
}

// Why a cache: ImageMagick 6 opens the font file with FreeType for every
// piece of text it draws (FT_New_Face, an mmap, page faults), about 0.5 ms
// a character, which alone would be half the time budget of a captcha.  So
// each glyph is drawn once per process, as a coverage mask (white on black,
// no alpha), and pictures are made from copies (Magick::Image is
// copy-on-write).  A prefork worker renders one picture at a time; the mutex
// only keeps a threaded caller correct.
class GlyphCache {
 public:
  // The mask of `c` drawn with the font at `font_path`; throws
  // Magick::Exception when the font cannot be drawn.
  Magick::Image mask(const std::string& font_path, char c) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto key = std::make_pair(font_path, c);
    auto it = masks_.find(key);
    if (it == masks_.end()) it = masks_.emplace(key, draw_mask(font_path, c)).first;
    return it->second;
  }

 private:
  static Magick::Image draw_mask(const std::string& font_path, char c) {
    Magick::Image mask(Magick::Geometry(2 * kGlyphBox, 2 * kGlyphBox), Magick::Color("black"));
    mask.quiet(false);  // warnings throw too, not only errors such as an unreadable font
    mask.font(font_path);
    mask.fontPointsize(kGlyphPoints);
    mask.fillColor(Magick::Color("white"));
    mask.annotate(std::string(1, c), Magick::Geometry(2 * kGlyphBox, 2 * kGlyphBox),
                  Magick::CenterGravity);
    // Centre the ink, not the font's metric box, so rotation turns the
    // glyph about its middle.
    mask.trim();
    mask.page(Magick::Geometry(0, 0, 0, 0));
    mask.extent(Magick::Geometry(kGlyphBox, kGlyphBox), Magick::Color("black"),
                Magick::CenterGravity);
    mask.matte(false);  // CopyOpacity reads intensity only from an opaque mask
    return mask;
  }

  std::mutex mutex_;
  std::map<std::pair<std::string, char>, Magick::Image> masks_;
};

GlyphCache& glyph_cache() {
  static GlyphCache* cache = new GlyphCache;  // never destroyed: no exit-time order issues
  return *cache;
}

// How one glyph is bent: scaled (each axis on its own), slanted, turned.
struct GlyphPose {
  double scale_x, scale_y, shear, degrees;
};

GlyphPose random_pose() {
  return GlyphPose{random_between(84, 100) / 100.0, random_between(84, 100) / 100.0,
                   random_between(-20, 20) / 100.0, static_cast<double>(random_between(-22, 22))};
}

// Draws `c` centred at (x, y) on `canvas` in `pose` and `ink`.
void draw_glyph(Magick::Image& canvas, const std::string& font_path, char c, double x, double y,
                const GlyphPose& pose, const Magick::Color& ink) {
  Magick::Image glyph = glyph_cache().mask(font_path, c);

  // m = rotate * shear * scale, about the centre of the glyph box (which
  // stays put: t = centre - m * centre).  ImageMagick's affine arguments are
  // sx, rx, ry, sy, tx, ty for x' = sx*x + ry*y + tx, y' = rx*x + sy*y + ty.
  const double radians = pose.degrees * std::numbers::pi / 180.0;
  const double cos_a = std::cos(radians), sin_a = std::sin(radians);
  const double m00 = cos_a * pose.scale_x;
  const double m01 = (cos_a * pose.shear - sin_a) * pose.scale_y;
  const double m10 = sin_a * pose.scale_x;
  const double m11 = (sin_a * pose.shear + cos_a) * pose.scale_y;
  const double centre = kGlyphBox / 2.0;
  const double affine[6] = {m00, m10, m01, m11, centre - (m00 + m01) * centre,
                            centre - (m10 + m11) * centre};
  // Point filter + bilinear lookup: a plain resample, ~3x faster than the
  // default EWA filter and indistinguishable at this size.
  glyph.virtualPixelMethod(Magick::BlackVirtualPixelMethod);
  glyph.filterType(Magick::PointFilter);
  glyph.interpolate(Magick::BilinearInterpolatePixel);
  glyph.distort(Magick::AffineProjectionDistortion, 6, affine);
  glyph.matte(false);

  Magick::Image layer(Magick::Geometry(kGlyphBox, kGlyphBox), ink);
  layer.composite(glyph, 0, 0, Magick::CopyOpacityCompositeOp);
  canvas.composite(layer, static_cast<ssize_t>(x - centre), static_cast<ssize_t>(y - centre),
                   Magick::OverCompositeOp);
}

// A curve from edge to edge through the text band.
void add_curve(std::list<Magick::Drawable>& draw, const Magick::Color& colour, double width) {
  Magick::CoordinateList points;
  points.emplace_back(random_between(-5, 5), random_between(12, kCanvasHeight - 12));
  points.emplace_back(random_between(30, 55), random_between(0, kCanvasHeight));
  points.emplace_back(random_between(75, 100), random_between(0, kCanvasHeight));
  points.emplace_back(random_between(kWidth - 5, kWidth + 5), random_between(12, kCanvasHeight - 12));
  draw.emplace_back(Magick::DrawableStrokeColor(colour));
  draw.emplace_back(Magick::DrawableStrokeWidth(width));
  draw.emplace_back(Magick::DrawableBezier(points));
}

}  // namespace

std::string captcha_text() {
  std::string text;
  for (size_t i = 0; i < kTextLength; ++i)
    text += kCaptchaAlphabet[random_below(static_cast<uint32_t>(kCaptchaAlphabet.size()))];
  return text;
}

// Limits, and why (Debian's /etc/ImageMagick-6/policy.xml is a ceiling:
// asking for more than it allows silently gets the policy's value):
//  - thread 1: each prefork worker serves one request at a time; OpenMP
//    threads would only compete with the other workers, and libgomp's pool
//    does not survive fork().
//  - memory 256 MiB (also the ceiling of Debian's policy.xml, which cannot
//    be raised from here), map 512 MiB.  With disk 0 the map limit never
//    comes into play, so 256 MiB of pixel cache is the real bound: a
//    1600x1600 re-encode needs ~20 MiB at Q16 RGBA; JPEG uploads are decoded
//    already reduced (src/media/image.cpp), and other formats above ~25 MP
//    are refused before decoding.
//  - disk 0: never spill a pixel cache to /tmp; a picture too big for
//    memory fails (errno 4004) instead of filling the disk.
//  - width/height 16000, area 64 MP: a decoder rejects a declared size
//    beyond these before allocating (decompression bombs); 64 MP covers any
//    real camera.
//  - list length 64: frames in one file (GIF bombs of many small frames).
//  - time: deliberately NOT limited.  In ImageMagick 6 the time resource is a
//    wall-clock budget for the whole process, counted from its first pixel
//    cache, and running out is a fatal error that _exit()s the process
//    ("time limit exceeded `Operation canceled' @ fatal/cache.c"), so a
//    10 s limit would kill every worker 10 s after its first image.  It is
//    set to infinity explicitly so MAGICK_TIME_LIMIT in the environment
//    cannot arm it.  The size limits above are what bound the work.
void init_imaging() {
  static std::once_flag once;
  std::call_once(once, [] {
    Magick::InitializeMagick(nullptr);
    Magick::ResourceLimits::thread(1);
    Magick::ResourceLimits::memory(256 * kMiB);
    Magick::ResourceLimits::map(512 * kMiB);
    Magick::ResourceLimits::disk(0);
    Magick::ResourceLimits::width(16000);
    Magick::ResourceLimits::height(16000);
    Magick::ResourceLimits::area(64 * 1000 * 1000);
    Magick::ResourceLimits::listLength(64);
    MagickCore::SetMagickResourceLimit(MagickCore::TimeResource,
                                       MagickCore::MagickSizeType(~0ULL >> 1));
  });
}

Result<std::string> render_captcha_png(std::string_view text, const std::string& font_path) {
  if (text.empty() || text.size() > kMaxRenderLength)
    return server_error("captcha text must be 1-6 characters");
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      return server_error("captcha text must be ASCII letters and digits");
  // ImageMagick quietly falls back to another font when this one is missing;
  // a captcha in an unexpected font is a configuration error to report.
  if (access(font_path.c_str(), R_OK) != 0)
    return server_error("captcha font " + font_path + ": " + std::strerror(errno));

  init_imaging();
  try {
    const Magick::ColorRGB background = random_colour(225, 255);
    Magick::Image image(Magick::Geometry(kWidth, kCanvasHeight), background);
    image.quiet(false);  // warnings throw too: better no picture than a wrong one

    // The characters: one slot each, jittered in place and each in its own
    // pose, so that neither spacing nor baseline gives the segmentation away.
    const double slot = (kWidth - 12.0) / static_cast<double>(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      const double x = 6 + slot * (static_cast<double>(i) + 0.5) + random_between(-3, 3);
      const double y = kCanvasHeight / 2.0 + random_between(-3, 3);
      draw_glyph(image, font_path, text[i], x, y, random_pose(), ink_colour());
    }

    std::list<Magick::Drawable> draw;
    draw.emplace_back(Magick::DrawableFillColor(Magick::Color()));  // transparent: strokes only
    // One curve in ink through the letters: it cannot be filtered out by
    // colour or width and it joins neighbouring glyphs for a segmenter.  A
    // thinner, paler one and two short strokes add clutter a person ignores.
    add_curve(draw, ink_colour(), random_between(15, 20) / 10.0);
    add_curve(draw, random_colour(90, 170), 1);
    for (int i = 0; i < 2; ++i) {
      draw.emplace_back(Magick::DrawableStrokeColor(random_colour(90, 190)));
      const int x = random_between(0, kWidth - 30), y = random_between(0, kCanvasHeight);
      draw.emplace_back(Magick::DrawableLine(x, y, x + random_between(15, 30),
                                             y + random_between(-15, 15)));
    }
    image.draw(draw);
    // Speckle for a binariser, invisible to a person.  Set pixel by pixel:
    // each draw() call costs a fixed ~0.3 ms, a pixel about a microsecond.
    for (int group = 0; group < 3; ++group) {
      const Magick::ColorRGB speck = random_colour(60, 200);
      for (int i = 0; i < 20; ++i)
        image.pixelColor(random_between(0, kWidth - 1), random_between(0, kCanvasHeight - 1), speck);
    }

    // The wave bends every baseline and stroke differently along x; the
    // rows it adds at the top and bottom take the background colour.
    image.backgroundColor(background);
    image.virtualPixelMethod(Magick::BackgroundVirtualPixelMethod);
    image.wave(kWaveAmplitude, random_between(45, 75));

    // PNG24: 8-bit RGB, no alpha, no palette analysis (Q16 would otherwise
    // write 16 bits a channel).  No ancillary chunks (dates, gAMA, bKGD...).
    // quality = 10 * zlib level + filter: level 1 with the Sub filter, which
    // is both faster and smaller here than the default adaptive filtering.
    image.quality(11);
    image.defineValue("png", "exclude-chunk", "all");
    Magick::Blob blob;
    image.write(&blob, "PNG24");
    return std::string(static_cast<const char*>(blob.data()), blob.length());
  } catch (const Magick::Exception& e) {
    return server_error(std::string("captcha render: ") + e.what());
  } catch (const std::exception& e) {
    return server_error(std::string("captcha render: ") + e.what());
  } catch (...) {
    return server_error("captcha render: unknown exception");
  }
}

}  // namespace ihome
