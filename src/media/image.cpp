// The upload image pipeline and the media directory: see
// include/ihome/media/image.h.
//
// reencode_image runs, in order, from cheapest to dearest, so that a hostile
// upload costs as little as possible before it is refused:
//   1. the byte count (nothing read yet);
//   2. the magic bytes: only JPEG, PNG, GIF and WebP go on;
//   3. a header ping with the coder of the sniffed type: width and height
//      without a pixel, checked against the rules (decompression bombs);
//   4. the decode, again with that one coder, first frame only;
//   5. crop/fit, then the EXIF orientation, metadata and alpha removal,
//      sRGB, baseline JPEG.
//
// Why the coder is always named (image.magick("PNG") before ping and read):
// left alone, ImageMagick picks a coder from the content, and some coders
// are interpreters (SVG, MVG, MSL, PostScript, "text:" reading files named
// inside the picture).  Naming the coder the magic bytes chose means bytes
// that are not a real JPEG/PNG/GIF/WebP fail in that coder instead.
//
// Memory: init_imaging() allows 256 MiB of pixel cache and no disk spill
// (Debian's policy.xml allows no more memory, and with disk 0 the "map"
// limit never comes into play), and ImageMagick 6 keeps 8 bytes a pixel
// (Q16 RGBA).  So a PNG, GIF or WebP of up to about 25 MP decodes and
// resizes; a bigger one fails on the cache limit, a clean DATAERR.  JPEGs,
// nearly every photo, are decoded already scaled down by libjpeg
// ("jpeg:size", a 1/8-step DCT scaling) to no less than the size they end
// up at: a 40 MP photo costs a few MiB, and a 12 MP one is done in about
// 0.3 s instead of 0.75 s (house image), 0.03 s instead of 0.75 s (avatar).
// For the same reason the picture is cropped and resized before it is
// turned upright.
#include "ihome/media/image.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <utility>

// Before Magick++.h: see the note on its includes in src/captcha/captcha.cpp.
#include <cassert>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"  // ImageMagick 6's magick/memory_.h
#include <Magick++.h>
#pragma GCC diagnostic pop

#include "ihome/captcha/captcha.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/random.h"
#include "ihome/core/text.h"

namespace ihome {

namespace {

constexpr size_t kMediaTokenBytes = 32;  // 43 base64url characters
constexpr std::string_view kMediaSuffix = ".jpg";

Error data_error(std::string message) { return Error{Errno::kDataErr, std::move(message), 200, 0}; }
// Logs the failing step with errno (the client only learns "IOERR").
Error save_error(const char* step = "write") {
  log_error(std::string("media file ") + step + " failed: " + strerror(errno));
  return Error{Errno::kIoErr, "文件保存失败", 200, 0};
}

// ImageMagick's name of the one coder allowed to read `type`.
const char* coder_name(ImageType type) {
  switch (type) {
    case ImageType::kJpeg: return "JPEG";
    case ImageType::kPng: return "PNG";
    case ImageType::kGif: return "GIF";
    case ImageType::kWebp: return "WEBP";
    case ImageType::kUnknown: break;
  }
  assert(false && "no coder for ImageType::kUnknown");
  return "";
}

struct Dimensions {
  size_t width = 0;
  size_t height = 0;
};

// An image object set up to read `type` and nothing else, first frame only
// (an animation's other frames would cost decoding and are thrown away).
Magick::Image reader_for(ImageType type) {
  Magick::Image image;
  image.quiet(false);  // warnings throw as well: see decode()
  image.magick(coder_name(type));
  image.subImage(0);
  image.subRange(1);
  return image;
}

// True when every exception in the chain is a coder warning.  libpng
// reports blemishes of valid files that way (the classic one: "iCCP: known
// incorrect sRGB profile", in many PNGs from image editors); such a picture
// decodes fully and is accepted.  Every other warning — above all
// CorruptImageWarning, libjpeg's "Premature end of JPEG file" for a
// truncated upload, which ImageMagick would fill with grey — refuses it.
bool only_coder_warnings(const Magick::Exception& e) {
  for (const Magick::Exception* p = &e; p; p = p->nested())
    if (!dynamic_cast<const Magick::WarningCoder*>(p)) return false;
  return true;
}

// Width and height as the file declares them, without decoding a pixel.
Dimensions ping(const Magick::Blob& blob, ImageType type) {
  Magick::Image image = reader_for(type);
  try {
    image.ping(blob);
  } catch (const Magick::Warning& w) {
    if (!only_coder_warnings(w)) throw;
  }
  return {image.columns(), image.rows()};
}

// The size `source` ends up at under `rules`.
Dimensions fitted(Dimensions source, const ImageRules& rules) {
  if (rules.fit == ImageRules::Fit::kSquareCrop) return {rules.size, rules.size};
  const size_t longer = std::max(source.width, source.height);
  if (longer <= rules.size) return source;  // never enlarged
  const double scale = static_cast<double>(rules.size) / static_cast<double>(longer);
  auto scaled = [scale, &rules](size_t side) {
    const auto v = static_cast<size_t>(std::lround(static_cast<double>(side) * scale));
    return std::clamp<size_t>(v, 1, rules.size);
  };
  return {scaled(source.width), scaled(source.height)};
}

// The "jpeg:size" hint: the smallest picture the crop/fit still needs.
// libjpeg then decodes at the largest 1/8-step scale that is at least that
// big in both directions.  A rotation (EXIF orientation) swaps width and
// height, but both fits are symmetric (a square box, a square crop), so the
// hint computed on the stored orientation holds.
std::string jpeg_size_hint(Dimensions source, const ImageRules& rules) {
  Dimensions need;
  if (rules.fit == ImageRules::Fit::kSquareCrop) {
    // The crop keeps the shorter side, which must still reach `size`;
    // libjpeg scales by the smaller of the two ratios, the shorter side's.
    if (std::min(source.width, source.height) <= rules.size) return {};
    need = {rules.size, rules.size};
  } else {
    need = fitted(source, rules);
    if (need.width == source.width && need.height == source.height) return {};
  }
  return std::to_string(need.width) + "x" + std::to_string(need.height);
}

// The first frame of `blob`, decoded by the coder of `type`.
Magick::Image decode(const Magick::Blob& blob, ImageType type, const std::string& jpeg_hint) {
  Magick::Image image = reader_for(type);
  if (type == ImageType::kJpeg && !jpeg_hint.empty()) image.defineValue("jpeg", "size", jpeg_hint);
  try {
    image.read(blob);
  } catch (const Magick::Warning& w) {
    if (!only_coder_warnings(w) || !image.isValid()) throw;
  }
  // From here on a warning (never fatal to the operation) must not throw.
  image.quiet(true);
  // A GIF frame may sit at an offset on a larger canvas; the crop below
  // works on the frame itself.
  image.page(Magick::Geometry(0, 0, 0, 0));
  return image;
}

// Resizes to exactly width x height.
void resize_to(Magick::Image& image, size_t width, size_t height) {
  if (image.columns() == width && image.rows() == height) return;
  Magick::Geometry geometry(width, height);
  geometry.aspect(true);
  image.resize(geometry);
}

// Cuts the centred square of the shorter side.
void crop_to_square(Magick::Image& image) {
  const size_t width = image.columns(), height = image.rows();
  const size_t side = std::min(width, height);
  if (width == height) return;
  image.crop(Magick::Geometry(side, side, static_cast<ssize_t>((width - side) / 2),
                              static_cast<ssize_t>((height - side) / 2)));
  image.page(Magick::Geometry(0, 0, 0, 0));
}

// Brings the decoded picture (not yet turned upright) to its final size.
// The orientation does not matter here: both the square crop (centred) and
// the fit (into a square box) give the same result turned or not, so the
// picture is turned afterwards, when it is small — see reencode_image.
void crop_and_fit(Magick::Image& image, const ImageRules& rules) {
  const size_t width = image.columns(), height = image.rows();
  if (rules.fit == ImageRules::Fit::kInside) {
    const Dimensions target = fitted({width, height}, rules);
    resize_to(image, target.width, target.height);
    return;
  }
  const size_t shorter = std::min(width, height);
  if (shorter > rules.size) {
    // Shrinking: scale first, so that the crop copies a small picture and
    // not the upload (for a 24 MP PNG another 128 MiB of pixel cache).
    auto scaled = [&rules, shorter](size_t side) {
      const auto v = static_cast<size_t>(std::lround(static_cast<double>(side) *
                                                     static_cast<double>(rules.size) /
                                                     static_cast<double>(shorter)));
      return std::max(v, rules.size);
    };
    resize_to(image, scaled(width), scaled(height));
    crop_to_square(image);
  } else {
    // Enlarging: crop first, so that a 10-pixel strip is not first blown up
    // to 300 000 pixels wide.
    crop_to_square(image);
  }
  resize_to(image, rules.size, rules.size);  // a no-op after the shrink
}

// The picture alone as a baseline JPEG: no EXIF (GPS position, camera,
// time), no ICC or XMP profile, no comment; transparency on white, since
// JPEG has none; sRGB, 8 bits, which every browser shows alike.
std::string encode_jpeg(Magick::Image& image, int quality) {
  image.strip();
  image.backgroundColor(Magick::Color("white"));
  image.alphaChannel(Magick::RemoveAlphaChannel);
  image.colorSpace(Magick::sRGBColorspace);
  image.depth(8);
  image.interlaceType(Magick::NoInterlace);
  image.quality(static_cast<size_t>(std::clamp(quality, 1, 100)));
  Magick::Blob out;
  image.write(&out, "JPEG");
  return std::string(static_cast<const char*>(out.data()), out.length());
}

// A file descriptor closed on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, for callers that must see close()'s error (NFS reports
  // write errors there).
  bool close() {
    const int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// A path unlinked on scope exit unless keep() was called.
class TempPath {
 public:
  explicit TempPath(std::string path) : path_(std::move(path)) {}
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  ~TempPath() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  std::string path_;
};

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// <43 base64url characters>.jpg, as store_media_file makes them: no '/',
// no "..", nothing that leaves the directory.
bool is_media_name(std::string_view name) {
  if (!name.ends_with(kMediaSuffix)) return false;
  name.remove_suffix(kMediaSuffix.size());
  return is_token(name, kMediaTokenBytes);
}

}  // namespace

ImageType sniff_image_type(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xD8\xFF")) return ImageType::kJpeg;
  if (bytes.starts_with("\x89PNG\r\n\x1A\n")) return ImageType::kPng;
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return ImageType::kGif;
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP")
    return ImageType::kWebp;
  return ImageType::kUnknown;
}

Result<std::string> reencode_image(std::string_view input, const ImageRules& rules) {
  if (input.size() > rules.max_bytes) return data_error("图片过大");
  const ImageType type = sniff_image_type(input);
  if (type == ImageType::kUnknown) return data_error("不是图片");

  init_imaging();
  try {
    const Magick::Blob blob(input.data(), input.size());
    const Dimensions declared = ping(blob, type);
    if (declared.width == 0 || declared.height == 0) return data_error("图片无法解析");
    // Sides first, so the product cannot overflow.
    if (declared.width > rules.max_side || declared.height > rules.max_side ||
        declared.width * declared.height > rules.max_pixels)
      return data_error("图片尺寸过大");
    // Pixels that alone exceed the pixel cache limit cannot be decoded:
    // refuse them now rather than after seconds of inflating.  (A JPEG is
    // decoded scaled down, at 1/2 or less of each side for any picture
    // this big.)
    if (type != ImageType::kJpeg &&
        declared.width * declared.height * sizeof(MagickCore::PixelPacket) >
            MagickCore::GetMagickResourceLimit(MagickCore::MemoryResource))
      return data_error("图片尺寸过大");

    Magick::Image image = decode(blob, type, jpeg_size_hint(declared, rules));
    crop_and_fit(image, rules);
    // Turned upright last: rotating the final picture costs a fraction of
    // rotating the upload, and needs no second full-size pixel cache.
    image.autoOrient();
    return encode_jpeg(image, rules.quality);
  } catch (const Magick::ErrorCache&) {
    // "cache resources exhausted": the pixels do not fit the memory limit
    // of init_imaging() (a file within the rules that still decodes to too
    // much, such as a tiny PNG of one colour and tens of megapixels).
    return data_error("图片尺寸过大");
  } catch (const Magick::ErrorResourceLimit&) {
    return data_error("图片尺寸过大");
  } catch (const std::exception&) {  // every Magick::Exception; std::bad_alloc
    return data_error("图片无法解析");
  }
}

Result<std::string> store_media_file(const std::string& dir, std::string_view jpeg) {
  const std::string name = random_token(kMediaTokenBytes) + std::string(kMediaSuffix);
  // Dot-prefixed and never of the media name's shape: a half-written file
  // is neither served as /media/<name> nor removable through the API.
  const std::string temp_path = dir + "/.upload-" + random_token(12) + ".tmp";
  FileDescriptor fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return save_error("create");
  TempPath temp(temp_path);  // ours from here: gone again on any failure
  // nginx serves the file under its own user: 0644 whatever the umask.
  if (::fchmod(fd.get(), 0644) != 0) return save_error();
  if (!write_all(fd.get(), jpeg)) return save_error();
  if (::fsync(fd.get()) != 0) return save_error();
  if (!fd.close()) return save_error();

  const std::string path = dir + "/" + name;
  if (::rename(temp.path().c_str(), path.c_str()) != 0) return save_error("rename");
  temp.keep();

  // The rename itself is durable only once the directory is synced; the
  // caller is about to point a database row at this name.
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) {
    ::unlink(path.c_str());
    return save_error();
  }
  return name;
}

int sweep_stale_uploads(const std::string& dir, int older_than_seconds) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  const time_t cutoff = unix_now() - older_than_seconds;
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() <= 12 || name.substr(0, 8) != ".upload-" || name.substr(name.size() - 4) != ".tmp")
      continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_mtime >= cutoff) continue;
    if (::unlinkat(::dirfd(d), e->d_name, 0) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

void remove_media_file(const std::string& dir, std::string_view name) {
  if (!is_media_name(name)) return;
  // Best effort: a file that stays behind costs disk space, not
  // correctness (no row points at it any more).
  ::unlink((dir + "/" + std::string(name)).c_str());
}

}  // namespace ihome
