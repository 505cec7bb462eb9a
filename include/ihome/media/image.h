// Image: the upload pipeline shared by avatars and house images.  Checks the
// size before decoding, the type by magic bytes (JPEG, PNG, GIF, WebP), the
// dimensions by a header ping, then decodes with Magick++ under the resource
// limits set by init_imaging() (include/ihome/captcha/captcha.h; called here
// too, so a worker that never drew a captcha is limited as well), auto-orients,
// crops/fits, and re-encodes as a baseline JPEG without any metadata.
// Anything that is not a sane image — a decompression bomb, a truncated or
// hostile file — is a DATAERR (4004) Error, never a crash.
// The pixel memory limit (256 MiB) is per process: meant for one request at
// a time, as in a prefork worker.
#pragma once

#include <string>
#include <string_view>

#include "ihome/core/result.h"

namespace ihome {

enum class ImageType { kUnknown, kJpeg, kPng, kGif, kWebp };

// The type by magic bytes; kUnknown for anything else.
ImageType sniff_image_type(std::string_view bytes);

struct ImageRules {
  size_t max_bytes = 5 << 20;          // larger input: DATAERR before decoding
  size_t max_pixels = 40'000'000;      // width*height from the header ping (JPEGs decode
                                       // scaled down; other types past ~30 MP hit the
                                       // memory limit, also DATAERR)
  size_t max_side = 12000;             // either dimension
  enum class Fit { kSquareCrop, kInside } fit = Fit::kSquareCrop;
  size_t size = 256;                   // kSquareCrop: exactly size x size; kInside: fits in size x size (never enlarged)
  int quality = 85;                    // JPEG quality
};

// The re-encoded JPEG bytes of `input`; DATAERR with errmsg "图片过大" (over
// max_bytes), "不是图片" (no accepted magic bytes), "图片尺寸过大" (over
// max_side/max_pixels, or beyond the memory limit) or "图片无法解析" (the
// decoder refused it: truncated, corrupt, or not what its magic bytes say).
Result<std::string> reencode_image(std::string_view input, const ImageRules& rules);

// Writes `jpeg` into `dir` under a fresh random name (<43 base64url>.jpg) via a
// temp file + fsync + rename, so a reader never sees half a file.  Returns the
// file name (not the path).  IOERR (4302) on failure.
Result<std::string> store_media_file(const std::string& dir, std::string_view jpeg);

// Removes a media file by name (as store_media_file returned); a name that is
// not of that shape is refused, so no path can escape `dir`.  Best effort: a
// missing file or a failed unlink is ignored.
void remove_media_file(const std::string& dir, std::string_view name);

// Removes the temp files (.upload-*.tmp) of store_media_file that were last
// written more than `older_than_seconds` ago: left by a worker killed while
// writing (a younger one may be another worker's write in progress).  Every
// worker calls it as it starts.  Returns how many it removed.
int sweep_stale_uploads(const std::string& dir, int older_than_seconds);

}  // namespace ihome
