// The upload image pipeline (src/media/image.cpp): type sniffing, the
// avatar (square 256) and house (inside 1600) fits, metadata and alpha
// removal, EXIF orientation, and that hostile input — non-images, truncated
// files, decompression bombs, SVG/MVG behind image magic bytes, oversize
// uploads — comes back as a DATAERR value, never a crash.  Then the media
// directory: atomic stores under random names, and removals that cannot
// leave the directory.  Test images are made in memory with Magick++.
#include <doctest/doctest.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <list>
#include <set>
#include <string>
#include <vector>

// Before Magick++.h: see the note on its includes in src/captcha/captcha.cpp.
#include <cassert>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"  // ImageMagick 6's magick/memory_.h
#include <Magick++.h>
#pragma GCC diagnostic pop

#include "ihome/captcha/captcha.h"
#include "ihome/core/text.h"
#include "ihome/media/image.h"
#include "test_files.h"

namespace ihome {
namespace {

using test::read_file;
using test::write_file;

using namespace std::string_literals;

ImageRules avatar_rules() {
  ImageRules rules;
  rules.fit = ImageRules::Fit::kSquareCrop;
  rules.size = 256;
  return rules;
}

ImageRules house_rules() {
  ImageRules rules;
  rules.fit = ImageRules::Fit::kInside;
  rules.size = 1600;
  return rules;
}

std::string bytes_of(const Magick::Blob& blob) {
  return std::string(static_cast<const char*>(blob.data()), blob.length());
}

Magick::Image solid(size_t width, size_t height, const std::string& colour) {
  return Magick::Image(Magick::Geometry(width, height), Magick::Color(colour));
}

// Noise compresses badly, so most of an encoded file is pixel data: a cut
// anywhere past the header lands in the middle of the picture.
Magick::Image noisy(size_t width, size_t height) {
  Magick::Image image = solid(width, height, "gray50");
  image.addNoise(Magick::UniformNoise);
  return image;
}

// ImageMagick's GIF writer quantises with dithering, ~0.4 s even for a
// small picture; quantising first without it takes a millisecond.
void quantize_for_gif(Magick::Image& image) {
  image.quantizeDither(false);
  image.quantizeColors(256);
  image.quantize();
}

std::string encode(Magick::Image image, const std::string& format) {
  if (format == "GIF") quantize_for_gif(image);
  Magick::Blob blob;
  image.write(&blob, format);
  return bytes_of(blob);
}

// Decodes a JPEG the pipeline produced (with the JPEG coder only).
Magick::Image decode_jpeg(const std::string& jpeg) {
  Magick::Image image;
  image.magick("JPEG");
  image.read(Magick::Blob(jpeg.data(), jpeg.size()));
  // A grey JPEG decodes as a palette image, whose pixelColor() this Magick++
  // answers wrongly (always the first colour); direct pixels read true.
  image.classType(Magick::DirectClass);
  return image;
}

// Mean absolute difference of the red channel (0..1) of same-size images.
double mean_difference(const Magick::Image& a, const Magick::Image& b) {
  REQUIRE(a.columns() == b.columns());
  REQUIRE(a.rows() == b.rows());
  double sum = 0;
  size_t count = 0;
  for (size_t y = 0; y < a.rows(); y += 7)
    for (size_t x = 0; x < a.columns(); ++x, ++count) {
      const auto xx = static_cast<ssize_t>(x), yy = static_cast<ssize_t>(y);
      sum += std::abs(Magick::ColorRGB(a.pixelColor(xx, yy)).red() -
                      Magick::ColorRGB(b.pixelColor(xx, yy)).red());
    }
  return sum / static_cast<double>(count);
}

// Black and white vertical stripes, `period` pixels a pair.  One row set
// pixel by pixel, then repeated (drawing 300 rectangles takes seconds).
Magick::Image stripes(size_t width, size_t height, size_t period) {
  Magick::Image image = solid(width, 1, "white");
  const Magick::Color black("black");
  for (size_t x = 0; x < width; ++x)
    if (x % period < period / 2) image.pixelColor(static_cast<ssize_t>(x), 0, black);
  Magick::Geometry size(width, height);
  size.aspect(true);
  image.sample(size);
  return image;
}

// The pixel at (x, y) is within `tolerance` (0..1 per channel) of r, g, b.
bool pixel_near(const Magick::Image& image, size_t x, size_t y, double r, double g, double b,
                double tolerance = 0.1) {
  const Magick::ColorRGB c = image.pixelColor(static_cast<ssize_t>(x), static_cast<ssize_t>(y));
  return std::abs(c.red() - r) <= tolerance && std::abs(c.green() - g) <= tolerance &&
         std::abs(c.blue() - b) <= tolerance;
}

void check_data_error(const Result<std::string>& result) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == Errno::kDataErr);
  CHECK(result.error().http_status == 200);
  CHECK_FALSE(result.error().text().empty());
}

// True when the JPEG's frame header is SOF0 (baseline), not progressive.
bool is_baseline_jpeg(const std::string& jpeg) {
  return jpeg.find("\xFF\xC0"s) != std::string::npos && jpeg.find("\xFF\xC2"s) == std::string::npos;
}

// An EXIF APP1 payload (big-endian TIFF) with Orientation, a camera make,
// and a GPS IFD holding a latitude of 39°54'N.  Mind that ImageMagick's
// JPEG writer overwrites the Orientation tag with Image::orientation().
std::string exif_blob(uint16_t orientation) {
  std::string s = "Exif\0\0"s;
  auto u16 = [&s](unsigned v) {
    s += static_cast<char>((v >> 8) & 0xFF);
    s += static_cast<char>(v & 0xFF);
  };
  auto u32 = [&](unsigned v) {
    u16(v >> 16);
    u16(v & 0xFFFF);
  };
  // TIFF offsets count from here ("MM").
  s += "MM";
  u16(42);
  u32(8);
  const std::string make = "IhomeTestCam";  // 12 bytes + NUL, stored out of line
  // IFD0 at 8: 3 entries; GPS IFD at 8 + 2 + 3*12 + 4 = 50; make at 50 + 2 + 2*12 + 4 = 80;
  // latitude rationals at 80 + 13 = 93 (odd: TIFF wants even) -> 94.
  u16(3);
  u16(0x010F); u16(2); u32(static_cast<unsigned>(make.size() + 1)); u32(80);  // Make
  u16(0x0112); u16(3); u32(1); u16(orientation); u16(0);                      // Orientation
  u16(0x8825); u16(4); u32(1); u32(50);                                       // GPS IFD
  u32(0);
  REQUIRE(s.size() - 6 == 50);
  u16(2);
  u16(0x0001); u16(2); u32(2); s += "N\0\0\0"s;  // GPSLatitudeRef
  u16(0x0002); u16(5); u32(3); u32(94);          // GPSLatitude
  u32(0);
  REQUIRE(s.size() - 6 == 80);
  s += make;
  s += '\0';
  s += '\0';  // pad to 94
  REQUIRE(s.size() - 6 == 94);
  for (unsigned v : {39u, 1u, 54u, 1u, 0u, 1u}) u32(v);
  return s;
}

// A PNG chunk with its CRC.
std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  auto u32 = [&out](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
  };
  u32(static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  u32(static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return out;
}

// A well-formed PNG of width x height pixels (bit_depth, colour_type as in
// IHDR) whose IDAT holds `raw_bytes` zero bytes, deflated: with fewer bytes
// than the pixels need, it has a decompression bomb's shape; with all of
// them, it is a valid all-black picture.
std::string png_file(uint32_t width, uint32_t height, char bit_depth, char colour_type,
                     size_t raw_bytes) {
  std::string ihdr;
  for (uint32_t v : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) ihdr += static_cast<char>((v >> shift) & 0xFF);
  ihdr += std::string{bit_depth, colour_type} + "\x00\x00\x00"s;  // deflate, filter 0, no interlace
  const std::string raw(raw_bytes, '\0');
  std::vector<Bytef> packed(compressBound(raw.size()));
  uLongf packed_size = packed.size();
  REQUIRE(compress(packed.data(), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                   raw.size()) == Z_OK);
  return "\x89PNG\r\n\x1A\n"s + png_chunk("IHDR", ihdr) +
         png_chunk("IDAT", std::string(reinterpret_cast<const char*>(packed.data()), packed_size)) +
         png_chunk("IEND", "");
}

// A PNG header declaring width x height 8-bit RGB pixels and hardly any data.
std::string png_declaring(uint32_t width, uint32_t height) {
  return png_file(width, height, 8, 2, 4096);
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A fresh directory under /tmp, removed with its files at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/ihome-image-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() { remove_tree(path_); }
  const std::string& path() const { return path_; }

  std::set<std::string> entries() const { return list(path_); }

 private:
  static std::set<std::string> list(const std::string& dir) {
    std::set<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.insert(name);
      }
      closedir(d);
    }
    return names;
  }
  static void remove_tree(const std::string& dir) {
    for (const std::string& name : list(dir)) {
      const std::string path = dir + "/" + name;
      struct stat st {};
      if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        remove_tree(path);
      else
        unlink(path.c_str());
    }
    rmdir(dir.c_str());
  }
  std::string path_;
};

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

TEST_CASE("sniff_image_type knows JPEG, PNG, GIF and WebP by their magic bytes only") {
  CHECK(sniff_image_type("\xFF\xD8\xFF\xE0rest"s) == ImageType::kJpeg);
  CHECK(sniff_image_type("\x89PNG\r\n\x1A\nrest"s) == ImageType::kPng);
  CHECK(sniff_image_type("GIF87a...") == ImageType::kGif);
  CHECK(sniff_image_type("GIF89a...") == ImageType::kGif);
  CHECK(sniff_image_type("RIFF\x10\x00\x00\x00WEBPVP8 "s) == ImageType::kWebp);

  CHECK(sniff_image_type("") == ImageType::kUnknown);
  CHECK(sniff_image_type("\xFF\xD8"s) == ImageType::kUnknown);            // cut short
  CHECK(sniff_image_type("\x89PNG\r\n\x1A"s) == ImageType::kUnknown);     // cut short
  CHECK(sniff_image_type("GIF88a...") == ImageType::kUnknown);
  CHECK(sniff_image_type("RIFF\x10\x00\x00\x00WAVEfmt "s) == ImageType::kUnknown);
  CHECK(sniff_image_type("RIFF\x10\x00\x00\x00WEB"s) == ImageType::kUnknown);
  CHECK(sniff_image_type("<?xml version=\"1.0\"?><svg/>") == ImageType::kUnknown);
  CHECK(sniff_image_type("BM\x36\x00"s) == ImageType::kUnknown);  // BMP: not accepted
  CHECK(sniff_image_type("push graphic-context") == ImageType::kUnknown);  // MVG
}

TEST_CASE("this ImageMagick build reads and writes WebP (else the WebP cases below would lie)") {
  init_imaging();
  CHECK(Magick::CoderInfo("WEBP").isReadable());
  CHECK(Magick::CoderInfo("WEBP").isWritable());
  CHECK(sniff_image_type(encode(solid(8, 8, "red"), "WEBP")) == ImageType::kWebp);
}

TEST_CASE("avatar: every accepted type becomes a 256x256 baseline JPEG") {
  init_imaging();
  for (const std::string format : {"JPEG", "PNG", "GIF", "WEBP"}) {
    CAPTURE(format);
    const std::string input = encode(solid(640, 480, "red"), format);
    auto out = reencode_image(input, avatar_rules());
    REQUIRE_MESSAGE(out.ok(), out.error().text());
    CHECK(out->starts_with("\xFF\xD8\xFF"));
    CHECK(is_baseline_jpeg(*out));
    Magick::Image image = decode_jpeg(*out);
    CHECK(image.columns() == 256);
    CHECK(image.rows() == 256);
    CHECK(pixel_near(image, 128, 128, 1, 0, 0));
  }
}

TEST_CASE("avatar: the square is cut from the centre, and a small picture is enlarged to 256") {
  init_imaging();
  // 600x200: blue | red | green thirds; the centre square is the red third.
  Magick::Image wide = solid(600, 200, "red");
  wide.composite(solid(200, 200, "blue"), 0, 0);
  wide.composite(solid(200, 200, "lime"), 400, 0);
  auto out = reencode_image(encode(wide, "PNG"), avatar_rules());
  REQUIRE(out.ok());
  Magick::Image image = decode_jpeg(*out);
  CHECK(image.columns() == 256);
  CHECK(image.rows() == 256);
  for (size_t at : {8u, 128u, 247u}) {
    CHECK(pixel_near(image, 8, at, 1, 0, 0));
    CHECK(pixel_near(image, 247, at, 1, 0, 0));
  }

  auto small = reencode_image(encode(solid(100, 60, "blue"), "PNG"), avatar_rules());
  REQUIRE(small.ok());
  Magick::Image enlarged = decode_jpeg(*small);
  CHECK(enlarged.columns() == 256);
  CHECK(enlarged.rows() == 256);
}

TEST_CASE("house image: fitted inside the box keeping the aspect, never enlarged") {
  init_imaging();
  auto check_fit = [](const std::string& input, const ImageRules& rules, size_t want_width,
                      size_t want_height) {
    auto out = reencode_image(input, rules);
    REQUIRE_MESSAGE(out.ok(), out.error().text());
    CHECK(out->starts_with("\xFF\xD8\xFF"));
    CHECK(is_baseline_jpeg(*out));
    Magick::Image image = decode_jpeg(*out);
    CHECK(image.columns() == want_width);
    CHECK(image.rows() == want_height);
  };
  // The real box, with a photo-sized JPEG (decoded scaled down by libjpeg).
  check_fit(encode(solid(3200, 2400, "navy"), "JPEG"), house_rules(), 1600, 1200);

  // The same rule in a 160 box, small enough to try every shape quickly.
  ImageRules rules = house_rules();
  rules.size = 160;
  struct Case {
    size_t width, height, want_width, want_height;
  };
  for (const Case c : {Case{320, 240, 160, 120}, Case{100, 400, 40, 160}, Case{200, 50, 160, 40},
                       Case{30, 20, 30, 20}, Case{160, 160, 160, 160}, Case{161, 3, 160, 3}}) {
    CAPTURE(c.width);
    CAPTURE(c.height);
    for (const std::string format : {"JPEG", "PNG", "GIF", "WEBP"}) {
      CAPTURE(format);
      check_fit(encode(solid(c.width, c.height, "navy"), format), rules, c.want_width,
                c.want_height);
    }
  }
}

TEST_CASE("a JPEG decoded scaled down by libjpeg keeps the detail of a full decode") {
  init_imaging();
  // The same stripes as JPEG (decoded at 3/8 and 1/2 by "jpeg:size") and as
  // PNG (decoded whole): the results must look the same.
  ImageRules inside_800 = house_rules();
  inside_800.size = 800;  // the 1600 rule at a quarter of the pixels: a faster test
  struct Case {
    size_t width, height, period;
    ImageRules rules;
  };
  for (const Case& c : {Case{1280, 960, 24, avatar_rules()}, Case{1700, 1000, 12, inside_800}}) {
    CAPTURE(c.width);
    std::string jpeg, png;
    {  // the pixel cache limit is per process: let the picture go first
      Magick::Image picture = stripes(c.width, c.height, c.period);
      png = encode(picture, "PNG");
      picture.quality(95);
      jpeg = encode(picture, "JPEG");
    }
    auto from_jpeg = reencode_image(jpeg, c.rules);
    auto from_png = reencode_image(png, c.rules);
    REQUIRE_MESSAGE(from_jpeg.ok(), from_jpeg.error().text());
    REQUIRE_MESSAGE(from_png.ok(), from_png.error().text());
    const Magick::Image a = decode_jpeg(*from_jpeg), b = decode_jpeg(*from_png);
    CHECK(mean_difference(a, b) < 0.03);
    // And the stripes are still there, black and white.
    double darkest = 1, lightest = 0;
    for (ssize_t x = 0; x < 64; ++x) {
      const double v = Magick::ColorRGB(a.pixelColor(x, 100)).red();
      darkest = std::min(darkest, v);
      lightest = std::max(lightest, v);
    }
    CHECK(darkest < 0.2);
    CHECK(lightest > 0.8);
  }
}

TEST_CASE("metadata is gone: no EXIF (GPS, camera), no ICC profile, no comment") {
  init_imaging();
  Magick::Image photo = noisy(320, 240);
  const std::string exif = exif_blob(1);
  photo.profile("EXIF", Magick::Blob(exif.data(), exif.size()));
  const std::string icc = "fake ICC profile bytes, long enough to be a chunk";
  MagickCore::StringInfo* icc_info = MagickCore::BlobToStringInfo(icc.data(), icc.size());
  MagickCore::SetImageProfile(photo.image(), "icc", icc_info);
  MagickCore::DestroyStringInfo(icc_info);
  photo.comment("taken at home, 39.9N 116.4E");
  const std::string input = encode(photo, "JPEG");

  // The input really carries all three, as ImageMagick reads them.
  Magick::Image before = decode_jpeg(input);
  REQUIRE(before.attribute("exif:GPSLatitude") != "");
  REQUIRE(before.attribute("exif:Make") == "IhomeTestCam");
  REQUIRE(before.profile("ICC").length() == icc.size());
  REQUIRE(before.comment() == "taken at home, 39.9N 116.4E");

  for (const ImageRules& rules : {avatar_rules(), house_rules()}) {
    auto out = reencode_image(input, rules);
    REQUIRE(out.ok());
    CHECK(out->find("Exif") == std::string::npos);
    CHECK(out->find("IhomeTestCam") == std::string::npos);
    CHECK(out->find("ICC_PROFILE") == std::string::npos);
    CHECK(out->find("taken at home") == std::string::npos);
    Magick::Image after = decode_jpeg(*out);
    CHECK(after.profile("EXIF").length() == 0);
    CHECK(after.profile("ICC").length() == 0);
    CHECK(after.attribute("exif:GPSLatitude") == "");
    CHECK(after.comment() == "");
  }
}

TEST_CASE("EXIF orientation is applied: Orientation=6 comes out turned a quarter clockwise") {
  init_imaging();
  // Stored 600x400, left half red and right half blue; shown upright
  // (rotated 90° clockwise) it is 400x600 with red on top.
  Magick::Image stored = solid(600, 400, "red");
  stored.composite(solid(300, 400, "blue"), 300, 0);
  const std::string exif = exif_blob(6);
  stored.profile("EXIF", Magick::Blob(exif.data(), exif.size()));
  // The JPEG writer rewrites the EXIF Orientation tag from this field.
  stored.orientation(Magick::RightTopOrientation);
  const std::string input = encode(stored, "JPEG");
  REQUIRE(decode_jpeg(input).orientation() == Magick::RightTopOrientation);

  auto out = reencode_image(input, house_rules());
  REQUIRE(out.ok());
  Magick::Image upright = decode_jpeg(*out);
  CHECK(upright.columns() == 400);
  CHECK(upright.rows() == 600);
  CHECK(pixel_near(upright, 200, 100, 1, 0, 0));
  CHECK(pixel_near(upright, 200, 500, 0, 0, 1));
  // Nothing left for a viewer to turn a second time.
  CHECK(upright.orientation() != Magick::RightTopOrientation);

  // As an avatar: the centre square of the upright picture, red over blue.
  auto avatar = reencode_image(input, avatar_rules());
  REQUIRE(avatar.ok());
  Magick::Image square = decode_jpeg(*avatar);
  CHECK(square.columns() == 256);
  CHECK(square.rows() == 256);
  CHECK(pixel_near(square, 128, 40, 1, 0, 0));
  CHECK(pixel_near(square, 128, 216, 0, 0, 1));
}

TEST_CASE("transparency is flattened onto white") {
  init_imaging();
  Magick::Image clear = solid(300, 300, "none");
  clear.composite(solid(100, 100, "blue"), 100, 100, Magick::OverCompositeOp);
  for (const std::string format : {"PNG", "GIF", "WEBP"}) {
    CAPTURE(format);
    auto out = reencode_image(encode(clear, format), avatar_rules());
    REQUIRE(out.ok());
    Magick::Image image = decode_jpeg(*out);
    CHECK(pixel_near(image, 10, 10, 1, 1, 1));
    CHECK(pixel_near(image, 128, 128, 0, 0, 1));
  }
}

TEST_CASE("a CMYK JPEG comes out as sRGB") {
  init_imaging();
  Magick::Image print = solid(200, 200, "red");
  print.colorSpace(Magick::CMYKColorspace);
  const std::string input = encode(print, "JPEG");
  REQUIRE(decode_jpeg(input).colorSpace() == Magick::CMYKColorspace);
  auto out = reencode_image(input, avatar_rules());
  REQUIRE(out.ok());
  Magick::Image image = decode_jpeg(*out);
  CHECK(image.colorSpace() == Magick::sRGBColorspace);
  CHECK(pixel_near(image, 128, 128, 1, 0, 0, 0.15));
}

TEST_CASE("animations: only the first frame is kept") {
  init_imaging();
  for (const std::string format : {"GIF", "WEBP"}) {
    CAPTURE(format);
    std::list<Magick::Image> frames{solid(120, 80, "red"), solid(120, 80, "blue"),
                                    solid(120, 80, "lime")};
    for (Magick::Image& frame : frames) {
      frame.animationDelay(10);
      if (format == "GIF") quantize_for_gif(frame);
    }
    frames.front().magick(format);  // writeImages takes the format from the first frame
    Magick::Blob blob;
    Magick::writeImages(frames.begin(), frames.end(), &blob, true);
    const std::string input = bytes_of(blob);
    REQUIRE(sniff_image_type(input) != ImageType::kUnknown);

    auto out = reencode_image(input, avatar_rules());
    REQUIRE_MESSAGE(out.ok(), out.error().text());
    Magick::Image image = decode_jpeg(*out);
    CHECK(pixel_near(image, 128, 128, 1, 0, 0));
  }
}

TEST_CASE("bytes that are not an image are DATAERR, size checked before anything else") {
  init_imaging();
  for (const std::string& input : {""s, "hello"s, "<html><body>hi</body></html>"s,
                                  std::string(1000, '\0'), "BM\x36\x00\x00\x00"s}) {
    auto out = reencode_image(input, avatar_rules());
    check_data_error(out);
    CHECK(out.error().text() == "不是图片");
  }

  // Over max_bytes: refused by size even though it is no image at all,
  // so nothing was sniffed, pinged or decoded.
  ImageRules rules = avatar_rules();
  rules.max_bytes = 1000;
  auto garbage = reencode_image(std::string(1001, 'x'), rules);
  check_data_error(garbage);
  CHECK(garbage.error().text() == "图片过大");

  const std::string jpeg = encode(noisy(200, 200), "JPEG");
  REQUIRE(jpeg.size() > rules.max_bytes);
  auto big = reencode_image(jpeg, rules);
  check_data_error(big);
  CHECK(big.error().text() == "图片过大");
  rules.max_bytes = jpeg.size();
  CHECK(reencode_image(jpeg, rules).ok());  // the limit itself is allowed
}

TEST_CASE("truncated and corrupted files are DATAERR, not a grey-filled picture or a crash") {
  init_imaging();
  for (const std::string format : {"JPEG", "PNG", "GIF", "WEBP"}) {
    CAPTURE(format);
    const std::string whole = encode(noisy(400, 300), format);
    REQUIRE(reencode_image(whole, avatar_rules()).ok());
    for (double keep : {0.9, 0.5, 0.1}) {
      CAPTURE(keep);
      const auto cut = static_cast<size_t>(static_cast<double>(whole.size()) * keep);
      check_data_error(reencode_image(whole.substr(0, cut), avatar_rules()));
    }
    // The magic bytes and nothing after them.
    check_data_error(reencode_image(whole.substr(0, 12), avatar_rules()));
  }

  // Flipped bytes in the middle of a PNG break its CRC.
  std::string png = encode(noisy(200, 200), "PNG");
  for (size_t i = png.size() / 2; i < png.size() / 2 + 16; ++i) png[i] = static_cast<char>(~png[i]);
  check_data_error(reencode_image(png, avatar_rules()));
}

TEST_CASE("decompression bombs are refused from the header, fast and without the memory") {
  init_imaging();
  const long rss_before = max_rss_kib();
  const auto start = std::chrono::steady_clock::now();

  const std::string png_bomb = png_declaring(100000, 100000);
  REQUIRE(png_bomb.size() < 200);
  auto out = reencode_image(png_bomb, house_rules());
  check_data_error(out);

  // Under ImageMagick's own width/height limits (16000), over ours.
  check_data_error(reencode_image(png_declaring(12001, 100), house_rules()));
  check_data_error(reencode_image(png_declaring(8000, 8000), house_rules()));  // 64 MP > 40 MP

  // A GIF declaring a 65535x65535 frame.
  const std::string gif_bomb = "GIF89a\xFF\xFF\xFF\xFF\x00\x00\x00"s
                               "\x2C\x00\x00\x00\x00\xFF\xFF\xFF\xFF\x00"s
                               "\x02\x02\x4C\x01\x00\x3B"s;
  check_data_error(reencode_image(gif_bomb, house_rules()));

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 1.0);
  // ru_maxrss is a high-water mark: had anything allocated the 30 GB the
  // PNG declares (or the 256 MiB cache limit), it would have moved.
  CHECK(max_rss_kib() - rss_before < 64 * 1024);
}

TEST_CASE("a bomb within the rules still fails cleanly on the memory limit of init_imaging") {
  init_imaging();
  // 6000x6000 = 36 MP passes max_side and max_pixels, and all its rows are
  // there (1-bit grey, zeros: a 5 KB file).  Decoded it needs 36 MP * 8
  // bytes, more than the 256 MiB pixel cache init_imaging() allows with no
  // disk spill, so it is refused before decoding a row.  (Should the limits
  // ever grow, this picture becomes legal and this test says so.)
  const std::string png = png_file(6000, 6000, 1, 0, 6000 * (1 + 750));
  REQUIRE(png.size() < 10'000);
  const long rss_before = max_rss_kib();
  const auto start = std::chrono::steady_clock::now();
  auto out = reencode_image(png, house_rules());
  check_data_error(out);
  CHECK(out.error().text() == "图片尺寸过大");
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 1.0);
  CHECK(max_rss_kib() - rss_before < 64 * 1024);

  // The same picture at 1000x1000 is an ordinary (black) image.
  auto small = reencode_image(png_file(1000, 1000, 1, 0, 1000 * (1 + 125)), house_rules());
  REQUIRE_MESSAGE(small.ok(), small.error().text());
  CHECK(pixel_near(decode_jpeg(*small), 500, 500, 0, 0, 0));
}

TEST_CASE("ImageRules limits on sides and pixels are checked from the header") {
  init_imaging();
  ImageRules rules = house_rules();
  rules.max_side = 1000;
  check_data_error(reencode_image(encode(solid(1001, 10, "red"), "PNG"), rules));
  check_data_error(reencode_image(encode(solid(10, 1001, "red"), "JPEG"), rules));
  CHECK(reencode_image(encode(solid(1000, 10, "red"), "PNG"), rules).ok());

  rules = house_rules();
  rules.max_pixels = 100'000;
  auto out = reencode_image(encode(solid(400, 300, "red"), "GIF"), rules);
  check_data_error(out);
  CHECK(out.error().text() == "图片尺寸过大");
  CHECK(reencode_image(encode(solid(400, 250, "red"), "GIF"), rules).ok());
}

TEST_CASE("SVG, MVG and text behind a .jpg name or image magic bytes are never interpreted") {
  init_imaging();
  const std::string svg =
      "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" "
      "height=\"64\"><rect width=\"64\" height=\"64\" fill=\"red\"/></svg>";
  const std::string mvg = "push graphic-context\nviewbox 0 0 64 64\n"
                          "image over 0,0 0,0 'text:/etc/passwd'\npop graphic-context\n";
  check_data_error(reencode_image(svg, avatar_rules()));
  check_data_error(reencode_image(mvg, avatar_rules()));
  check_data_error(reencode_image("text:/etc/passwd", avatar_rules()));

  // The same payloads after genuine magic bytes: the named coder (JPEG,
  // PNG, GIF, WebP) rejects them; nothing guesses SVG or MVG from content.
  for (const std::string& magic : {"\xFF\xD8\xFF\xE0"s, "\x89PNG\r\n\x1A\n"s, "GIF89a"s,
                                  "RIFF\x40\x00\x00\x00WEBP"s}) {
    for (const std::string& payload : {svg, mvg}) {
      auto out = reencode_image(magic + "\n" + payload, avatar_rules());
      check_data_error(out);
    }
  }
}

TEST_CASE("store_media_file writes the bytes under a fresh <43 base64url>.jpg name, atomically") {
  ScratchDir dir;
  const std::string jpeg = "\xFF\xD8\xFF\xE0 not really a picture, the store does not care"s;
  auto name = store_media_file(dir.path(), jpeg);
  REQUIRE_MESSAGE(name.ok(), name.error().text());
  REQUIRE(name->size() == 47);
  CHECK(name->ends_with(".jpg"));
  CHECK(is_token(std::string_view(*name).substr(0, 43), 32));
  CHECK(read_file(dir.path() + "/" + *name) == jpeg);
  // Only the file itself: no temp file left behind.
  CHECK(dir.entries() == std::set<std::string>{*name});
  struct stat st {};
  REQUIRE(stat((dir.path() + "/" + *name).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);

  auto second = store_media_file(dir.path(), jpeg);
  REQUIRE(second.ok());
  CHECK(*second != *name);
  CHECK(dir.entries().size() == 2);

  auto empty = store_media_file(dir.path(), "");
  REQUIRE(empty.ok());
  CHECK(read_file(dir.path() + "/" + *empty).empty());
}

TEST_CASE("store_media_file into a missing or unwritable directory is IOERR") {
  ScratchDir dir;
  auto missing = store_media_file(dir.path() + "/no-such-dir", "x");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errno::kIoErr);
  CHECK(missing.error().text() == "文件保存失败");

  if (geteuid() != 0) {  // root writes anywhere
    REQUIRE(chmod(dir.path().c_str(), 0555) == 0);
    auto denied = store_media_file(dir.path(), "x");
    CHECK_FALSE(denied.ok());
    REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  }
  CHECK(dir.entries().empty());
}

TEST_CASE("remove_media_file removes stored files and refuses any other name") {
  ScratchDir dir;
  auto name = store_media_file(dir.path(), "jpeg");
  REQUIRE(name.ok());
  remove_media_file(dir.path(), *name);
  CHECK_FALSE(exists(dir.path() + "/" + *name));
  remove_media_file(dir.path(), *name);  // already gone: no complaint, no crash

  // A file outside the media directory must survive "../x.jpg".
  const std::string media = dir.path() + "/media";
  REQUIRE(mkdir(media.c_str(), 0755) == 0);
  write_file(dir.path() + "/x.jpg", "x");
  remove_media_file(media, "../x.jpg");
  CHECK(exists(dir.path() + "/x.jpg"));

  const std::string token(43, 'A');
  const std::vector<std::string> refused = {
      "",
      ".jpg",
      token,                              // no suffix
      token.substr(1) + ".jpg",           // 42 characters
      token + "A.jpg",                    // 44 characters
      token + ".png",
      token + ".JPG",
      token.substr(1) + "..jpg",          // a dot inside
      token.substr(1) + "+.jpg",          // not base64url
      token.substr(1) + "/.jpg",
      "../" + token.substr(3) + ".jpg",   // 43 characters, but a path
      ".upload-" + token.substr(8) + ".jpg",
  };
  for (const std::string& bad : refused) {
    CAPTURE(bad);
    // Where the name can be a file, make it, so a removal would show.
    const bool plain = bad.find('/') == std::string::npos && !bad.empty() && bad != ".jpg";
    if (plain) write_file(media + "/" + bad, "x");
    remove_media_file(media, bad);
    if (plain) CHECK(exists(media + "/" + bad));
  }
  CHECK(exists(dir.path() + "/x.jpg"));

  write_file(media + "/" + token + ".jpg", "x");
  remove_media_file(media, token + ".jpg");
  CHECK_FALSE(exists(media + "/" + token + ".jpg"));
}

}  // namespace ihome
