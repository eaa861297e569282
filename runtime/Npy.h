//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes the NumPy array format, the way tensors enter and leave
// `nnc`
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
// Supported: format versions 1.0 and 2.0 (3.0 is read as 2.0: it only
// allows UTF-8 in the header, which a dtype/shape header never needs),
// little-endian '<f4' '<f8' '<i4' '<i8', and '|u1' ('|b1' reads as u8), in
// C order. Anything else is an error naming the file: Fortran order,
// big-endian data, other dtypes, a bad magic string, a truncated header or
// data, a malformed header dictionary, negative or overflowing extents.
//
// Bytes after the data are an error: NumPy never writes them, so they mean
// a corrupt or concatenated file rather than something worth accepting.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_NPY_H
#define NNC_RUNTIME_NPY_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstddef>
#include <string>
#include <vector>

namespace nnc::rt {

/// Which header format writeNpy emits.
enum class NpyVersion {
  /// 1.0 unless the header needs more than 65535 bytes, then 2.0; this is
  /// what NumPy itself does.
  Auto,
  V1,
  V2,
};

/// Reads the .npy file at `path`. Errors start with the path.
Expected<Tensor> readNpy(const std::string &path);

/// Decodes an in-memory .npy image of `size` bytes. `name` (a file name)
/// starts every error message. The same parser as readNpy; exposed for
/// tests, fuzzing and embedded data.
Expected<Tensor> parseNpy(const void *data, size_t size,
                          const std::string &name);

/// Encodes `tensor` as a .npy image. Fails for a negative extent, a size
/// that overflows, a view without data (unless it has no elements), and a
/// V1 request whose header does not fit in 65535 bytes.
Expected<std::string> encodeNpy(ConstTensorView tensor,
                                NpyVersion version = NpyVersion::Auto);

/// Writes `tensor` to `path` atomically: the bytes go to a temporary file
/// "PATH.tmp.XXXXXX" in the same directory, which is flushed to disk and
/// then renamed over `path`, so a crash leaves either the old file or the
/// new one, never half of one. Errors start with the path.
Error writeNpy(const std::string &path, ConstTensorView tensor,
               NpyVersion version = NpyVersion::Auto);

/// A tensor and the .npy file it goes to.
struct NpyFile {
  std::string path;
  ConstTensorView tensor;
};

/// Writes every file of `files` as writeNpy does, as one: all are written
/// and synced under temporary names before the first replaces its old
/// file, so a full disk or a crash while writing leaves the old set whole
/// (a folder of parameters never half old, half new). Errors start with
/// the path.
Error writeNpyFiles(const std::vector<NpyFile> &files);

} // namespace nnc::rt

#endif // NNC_RUNTIME_NPY_H
