//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "runtime/Npy.h"

#include "runtime/FileIO.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::rt {

// The format stores little-endian data and this reader copies it verbatim.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "Npy.cpp assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// Magic, two version bytes and the shortest (2-byte) length field.
constexpr size_t kMinPreamble = kMagicSize + 2 + 2;
/// Headers are padded so that the data starts at a multiple of this, as
/// NumPy does, which lets readers map the data aligned.
constexpr size_t kHeaderAlignment = 64;

/// Where the data of a parsed .npy image starts, and what it holds.
struct NpyLayout {
  DType dtype = DType::F32;
  Shape shape;
  size_t dataOffset = 0;
  int64_t dataBytes = 0;
};

Error fail(const std::string &name, const std::string &message) {
  return Error::failure(name + ": " + message);
}

/// Checks the magic string and version, and returns the size of the
/// preamble plus header, i.e. where the data starts. Needs only the first
/// kMinPreamble + 2 bytes (fewer is a truncation error).
Expected<size_t> npyDataOffset(const unsigned char *bytes, size_t size,
                               const std::string &name) {
  if (size < kMagicSize || std::memcmp(bytes, kMagic, kMagicSize) != 0)
    return fail(name, "bad magic (not a .npy file)");
  if (size < kMagicSize + 2)
    return fail(name, "truncated header");
  unsigned major = bytes[kMagicSize], minor = bytes[kMagicSize + 1];
  if (minor != 0 || major < 1 || major > 3)
    return fail(name, "unsupported .npy format version " +
                          std::to_string(major) + "." + std::to_string(minor));
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t preamble = kMagicSize + 2 + lengthBytes;
  if (size < preamble)
    return fail(name, "truncated header");
  size_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= static_cast<size_t>(bytes[kMagicSize + 2 + i]) << (8 * i);
  return preamble + headerLength;
}

/// A cursor over the header dictionary, a Python literal such as
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
public:
  HeaderParser(std::string_view text, const std::string &name)
      : text(text), name(name) {}

  Expected<NpyLayout> parse() {
    NpyLayout layout;
    bool seenDescr = false, seenOrder = false, seenShape = false;
    skipSpace();
    if (!consume('{'))
      return malformed("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      Expected<std::string> key = parseString();
      if (!key)
        return key.takeError();
      skipSpace();
      if (!consume(':'))
        return malformed("expected ':' after '" + printableExcerpt(*key) + "'");
      skipSpace();
      if (*key == "descr") {
        if (seenDescr)
          return malformed("duplicate key 'descr'");
        seenDescr = true;
        Expected<std::string> descr = parseString();
        if (!descr)
          return descr.takeError();
        Expected<DType> dtype = dtypeFromDescr(*descr);
        if (!dtype)
          return dtype.takeError();
        layout.dtype = *dtype;
      } else if (*key == "fortran_order") {
        if (seenOrder)
          return malformed("duplicate key 'fortran_order'");
        seenOrder = true;
        if (consumeWord("True"))
          return fail(name, "fortran-order arrays are not supported");
        if (!consumeWord("False"))
          return malformed("expected True or False for 'fortran_order'");
      } else if (*key == "shape") {
        if (seenShape)
          return malformed("duplicate key 'shape'");
        seenShape = true;
        Expected<Shape> shape = parseShape();
        if (!shape)
          return shape.takeError();
        layout.shape = std::move(*shape);
      } else {
        return malformed("unexpected key '" + printableExcerpt(*key) + "'");
      }
      skipSpace();
      if (consume(','))
        continue;
      if (consume('}'))
        break;
      return malformed("expected ',' or '}'");
    }
    skipSpace();
    if (pos != text.size())
      return malformed("unexpected text after the dictionary");
    if (!seenDescr || !seenOrder || !seenShape)
      return malformed("missing key '" +
                       std::string(!seenDescr   ? "descr"
                                   : !seenOrder ? "fortran_order"
                                                : "shape") +
                       "'");
    return layout;
  }

private:
  Error malformed(const std::string &why) {
    return fail(name, "malformed header: " + why);
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    size_t end = pos + word.size();
    if (end < text.size() &&
        (std::isalnum(static_cast<unsigned char>(text[end])) ||
         text[end] == '_'))
      return false;
    pos = end;
    return true;
  }

  /// A quoted string without escapes (a dtype or a key never has one).
  Expected<std::string> parseString() {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return malformed("expected a quoted string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string_view::npos)
      return malformed("unterminated string");
    std::string_view body = text.substr(pos, end - pos);
    if (body.find('\\') != std::string_view::npos)
      return malformed("escape sequences are not supported");
    pos = end + 1;
    return std::string(body);
  }

  /// A tuple of non-negative integers: "()", "(3,)", "(3, 4)". Python 2
  /// era files may write "3L".
  Expected<Shape> parseShape() {
    if (!consume('('))
      return malformed("expected '(' for 'shape'");
    Shape shape;
    while (true) {
      skipSpace();
      if (consume(')'))
        break;
      if (pos < text.size() && text[pos] == '-')
        return fail(name, "negative extent in shape");
      if (pos >= text.size() ||
          !std::isdigit(static_cast<unsigned char>(text[pos])))
        return malformed("expected an integer in 'shape'");
      int64_t extent = 0;
      while (pos < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[pos]))) {
        int digit = text[pos++] - '0';
        if (extent > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return fail(name, "extent in shape is too large");
        extent = extent * 10 + digit;
      }
      consume('L');
      shape.push_back(extent);
      skipSpace();
      if (consume(','))
        continue;
      if (consume(')'))
        break;
      return malformed("expected ',' or ')' in 'shape'");
    }
    return shape;
  }

  Expected<DType> dtypeFromDescr(const std::string &descr) {
    if (descr == "<f4")
      return DType::F32;
    if (descr == "<f8")
      return DType::F64;
    if (descr == "<i4")
      return DType::I32;
    if (descr == "<i8")
      return DType::I64;
    // One-byte types have no byte order; NumPy writes '|' but '<' and '>'
    // mean the same.
    if (descr == "|u1" || descr == "<u1" || descr == ">u1" || descr == "|b1")
      return DType::U8;
    if (!descr.empty() && descr[0] == '>')
      return fail(name, "big-endian data ('" + printableExcerpt(descr) +
                            "') is not supported");
    return fail(name, "unsupported dtype '" + printableExcerpt(descr) +
                          "' (supported: <f4, <f8, <i4, <i8, |u1, |b1)");
  }

  std::string_view text;
  const std::string &name;
  size_t pos = 0;
};

/// Parses the preamble and header held in `bytes[0, size)` (at least up to
/// the data offset) and checks that exactly `totalSize` bytes make the file
/// (when known: a stream's size is not).
Expected<NpyLayout> parseLayout(const unsigned char *bytes, size_t size,
                                std::optional<uint64_t> totalSize,
                                const std::string &name) {
  Expected<size_t> dataOffset = npyDataOffset(bytes, size, name);
  if (!dataOffset)
    return dataOffset.takeError();
  if (*dataOffset > size)
    return fail(name, "truncated header");
  size_t preamble = bytes[kMagicSize] == 1 ? kMinPreamble : kMinPreamble + 2;
  std::string_view header(reinterpret_cast<const char *>(bytes) + preamble,
                          *dataOffset - preamble);
  Expected<NpyLayout> layout = HeaderParser(header, name).parse();
  if (!layout)
    return layout;
  Expected<int64_t> dataBytes =
      checkedElementCount(layout->shape, dtypeSize(layout->dtype));
  if (!dataBytes)
    return fail(name, dataBytes.message());
  layout->dataOffset = *dataOffset;
  layout->dataBytes =
      *dataBytes * static_cast<int64_t>(dtypeSize(layout->dtype));
  if (!totalSize)
    return layout;
  uint64_t available = *totalSize - *dataOffset;
  uint64_t expected = static_cast<uint64_t>(layout->dataBytes);
  if (available < expected)
    return fail(name, "truncated data: expected " + std::to_string(expected) +
                          " bytes, found " + std::to_string(available));
  if (available > expected)
    return fail(name, std::to_string(available - expected) +
                          " trailing bytes after the data");
  return layout;
}

/// Closes a file descriptor when it goes out of scope.
struct FileCloser {
  int fd;
  ~FileCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

std::string descrOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  }
  return "?";
}

/// The preamble and padded header for `tensor`.
Expected<std::string> encodeHeader(ConstTensorView tensor, NpyVersion version) {
  std::string dict = "{'descr': '" + descrOf(tensor.dtype()) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape().size(); ++i)
    dict += std::to_string(tensor.shape()[i]) + ", ";
  // A one-element tuple keeps its comma; others drop the last ", ".
  if (tensor.rank() > 1)
    dict.resize(dict.size() - 2);
  else if (tensor.rank() == 1)
    dict.pop_back();
  dict += "), }";

  auto paddedHeader = [&](size_t lengthBytes) {
    size_t preamble = kMagicSize + 2 + lengthBytes;
    // Room for the dictionary and the final newline, rounded up.
    size_t total = (preamble + dict.size() + 1 + kHeaderAlignment - 1) /
                   kHeaderAlignment * kHeaderAlignment;
    std::string header = dict;
    header.append(total - preamble - dict.size() - 1, ' ');
    header += '\n';
    return header;
  };

  std::string header = paddedHeader(2);
  bool fitsV1 = header.size() <= std::numeric_limits<uint16_t>::max();
  if (version == NpyVersion::V1 && !fitsV1)
    return Error::failure("header of " +
                          typeToString(tensor.dtype(), tensor.shape()) +
                          " does not fit .npy version 1.0");
  bool useV2 =
      version == NpyVersion::V2 || (version == NpyVersion::Auto && !fitsV1);
  size_t lengthBytes = useV2 ? 4 : 2;
  if (useV2)
    header = paddedHeader(4);

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(useV2 ? 2 : 1);
  out += '\0';
  for (size_t i = 0; i < lengthBytes; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header;
}

} // namespace

Expected<Tensor> parseNpy(const void *data, size_t size,
                          const std::string &name) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  Expected<NpyLayout> layout = parseLayout(bytes, size, size, name);
  if (!layout)
    return layout.takeError();
  Expected<Tensor> tensor = Tensor::create(layout->dtype, layout->shape);
  if (!tensor)
    return tensor.takeError().withContext(name);
  if (layout->dataBytes != 0)
    std::memcpy(tensor->rawData(), bytes + layout->dataOffset,
                static_cast<size_t>(layout->dataBytes));
  return tensor;
}

Expected<Tensor> readNpy(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(path, errnoMessage(errno));
  FileCloser closer{fd};
  struct stat info;
  if (::fstat(fd, &info) != 0)
    return fail(path, errnoMessage(errno));
  if (S_ISDIR(info.st_mode))
    return fail(path, "is a directory");
  // A pipe or a device has no size: it is read no further than its header
  // announces (and one byte more, to find trailing bytes), so that
  // /dev/zero is a bad magic rather than a read without end.
  bool stream = !S_ISREG(info.st_mode);

  // Read the preamble, then the header it announces, then the data straight
  // into the tensor, so a large file is never held twice in memory.
  std::optional<uint64_t> fileSize;
  if (!stream)
    fileSize = static_cast<uint64_t>(info.st_size);
  std::string prefix(kMinPreamble + 2, '\0');
  Expected<size_t> got = readFully(fd, prefix.data(), prefix.size());
  if (!got)
    return got.takeError().withContext(path);
  prefix.resize(*got);
  const auto *bytes = reinterpret_cast<const unsigned char *>(prefix.data());
  Expected<size_t> dataOffset = npyDataOffset(bytes, prefix.size(), path);
  if (!dataOffset)
    return dataOffset.takeError();
  if (fileSize && *dataOffset > *fileSize)
    return fail(path, "truncated header");
  size_t already = prefix.size();
  prefix.resize(*dataOffset);
  if (*dataOffset > already) {
    got = readFully(fd, prefix.data() + already, *dataOffset - already);
    if (!got)
      return got.takeError().withContext(path);
    if (*got != *dataOffset - already)
      return fail(path, "truncated header");
  }
  bytes = reinterpret_cast<const unsigned char *>(prefix.data());
  Expected<NpyLayout> layout =
      parseLayout(bytes, prefix.size(), fileSize, path);
  if (!layout)
    return layout.takeError();
  Expected<Tensor> tensor = Tensor::create(layout->dtype, layout->shape);
  if (!tensor)
    return tensor.takeError().withContext(path);
  size_t dataBytes = static_cast<size_t>(layout->dataBytes);
  if (!stream &&
      ::lseek(fd, static_cast<off_t>(layout->dataOffset), SEEK_SET) < 0)
    return fail(path, errnoMessage(errno));
  got = readFully(fd, tensor->rawData(), dataBytes);
  if (!got)
    return got.takeError().withContext(path);
  // A stream shorter than its header says, or a file that changed size
  // under us.
  if (*got != dataBytes)
    return fail(path, "truncated data: expected " + std::to_string(dataBytes) +
                          " bytes, found " + std::to_string(*got));
  if (stream) {
    char extra;
    got = readFully(fd, &extra, 1);
    if (!got)
      return got.takeError().withContext(path);
    if (*got != 0)
      return fail(path, "trailing bytes after the data");
  }
  return tensor;
}

Expected<std::string> encodeNpy(ConstTensorView tensor, NpyVersion version) {
  // A view is not checked when it is made: a negative extent would go into
  // a header no reader accepts, and a view without data would be read.
  Expected<int64_t> count =
      checkedElementCount(tensor.shape(), dtypeSize(tensor.dtype()));
  if (!count)
    return count.takeError();
  if (*count != 0 && !tensor.rawData())
    return Error::failure("the tensor has no data");
  Expected<std::string> image = encodeHeader(tensor, version);
  if (image && tensor.byteSize() != 0)
    image->append(reinterpret_cast<const char *>(tensor.rawData()),
                  tensor.byteSize());
  return image;
}

Error writeNpy(const std::string &path, ConstTensorView tensor,
               NpyVersion version) {
  Expected<std::string> image = encodeNpy(tensor, version);
  if (!image)
    return image.takeError().withContext(path);
  return writeFileAtomically(path, *image);
}

Error writeNpyFiles(const std::vector<NpyFile> &files) {
  std::vector<StagedFile> staged;
  for (const NpyFile &file : files) {
    Expected<std::string> image = encodeNpy(file.tensor);
    Expected<StagedFile> written =
        image ? stageFile(file.path, *image)
              : Expected<StagedFile>(image.takeError().withContext(file.path));
    if (!written) {
      discardStagedFiles(staged);
      return written.takeError();
    }
    staged.push_back(std::move(*written));
  }
  return commitStagedFiles(staged);
}

} // namespace nnc::rt
