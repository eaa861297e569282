//===- Dataset.cpp - Named columns of samples and their loaders -----------===//

#include "runtime/Dataset.h"

#include <algorithm>

#include "runtime/FileIO.h"
#include "runtime/Npy.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

namespace nnc::rt {

namespace {

Error fail(const std::string &name, const std::string &message) {
  return Error::failure(name + ": " + message);
}

/// "0x" and the low `digits` hex digits of `value`.
std::string hex(uint32_t value, int digits = 8) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
    text += kDigits[(value >> shift) & 0xf];
  return text;
}

/// The largest ratio deflate can reach is about 1032:1; a gzipped IDX file
/// claiming more data than that is corrupt, and is refused before its
/// claim is allocated.
constexpr uint64_t kMaxDeflateRatio = 1032;

/// Reads an IDX file of unsigned bytes with `rank` dimensions, whose magic
/// must be 0x0000 08 `rank`.
Expected<Tensor> readIdxBytes(const std::string &path, unsigned rank,
                              const char *kind) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file)
    return file.takeError();
  unsigned char magic[4];
  if (Error error = file->readExactly(magic, 4, "magic number"); !error.ok())
    return std::move(error);
  uint32_t expectedMagic = 0x800u | rank;
  uint32_t actual = (uint32_t(magic[0]) << 24) | (uint32_t(magic[1]) << 16) |
                    (uint32_t(magic[2]) << 8) | magic[3];
  // The third byte is the element type; only unsigned bytes are read.
  if ((actual & ~0xff00u) == rank && magic[2] != 0x08)
    return fail(path, "unsupported IDX dtype " + hex(magic[2], 2) +
                          " (only 0x08, unsigned bytes, is supported)");
  if (actual != expectedMagic)
    return fail(path, "bad magic " + hex(actual) + " (expected " +
                          hex(expectedMagic) + ", an IDX " + kind + " file)");
  Shape shape;
  for (unsigned i = 0; i < rank; ++i) {
    unsigned char size[4];
    if (Error error = file->readExactly(size, 4, "dimension sizes");
        !error.ok())
      return std::move(error);
    shape.push_back((int64_t(size[0]) << 24) | (int64_t(size[1]) << 16) |
                    (int64_t(size[2]) << 8) | size[3]);
  }
  Expected<int64_t> count = checkedElementCount(shape);
  if (!count)
    return fail(path, count.message());
  uint64_t dataBytes = static_cast<uint64_t>(*count);
  uint64_t headerBytes = 4 + 4 * rank;
  // Check the claim against the file before allocating it.
  if (file->fileSize() != 0 && !file->isGzip()) {
    uint64_t available = file->fileSize() - headerBytes;
    if (available < dataBytes)
      return fail(path, "truncated file: " + shapeToString(shape) + " needs " +
                            std::to_string(dataBytes) +
                            " bytes of data, found " +
                            std::to_string(available));
    if (available > dataBytes)
      return fail(path, std::to_string(available - dataBytes) +
                            " trailing bytes after the data");
  }
  if (file->fileSize() != 0 && file->isGzip() &&
      dataBytes / kMaxDeflateRatio > file->fileSize())
    return fail(path, "corrupt gzip data: " + shapeToString(shape) +
                          " cannot come from " +
                          std::to_string(file->fileSize()) + " bytes");
  Expected<Tensor> tensor = Tensor::create(DType::U8, shape);
  if (!tensor)
    return tensor.takeError().withContext(path);
  if (Error error = file->readExactly(tensor->rawData(), dataBytes, "data");
      !error.ok())
    return std::move(error);
  if (Error error = file->expectEnd("the data"); !error.ok())
    return std::move(error);
  return tensor;
}

bool isBlank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t')
      return false;
  return true;
}

std::string_view trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t'))
    ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t'))
    --end;
  return text.substr(begin, end - begin);
}

/// Splits `line` at `delimiter`, trimming each field.
void splitFields(std::string_view line, char delimiter,
                 std::vector<std::string_view> &fields) {
  fields.clear();
  size_t start = 0;
  while (true) {
    size_t end = line.find(delimiter, start);
    if (end == std::string_view::npos) {
      fields.push_back(trim(line.substr(start)));
      return;
    }
    fields.push_back(trim(line.substr(start, end - start)));
    start = end + 1;
  }
}

/// Parses a whole field as a number, locale-independently; "+1" and
/// "nan"/"inf" are accepted, as NumPy's savetxt may write them.
bool parseNumber(std::string_view field, double &value) {
  if (!field.empty() && field[0] == '+')
    field.remove_prefix(1);
  if (field.empty() || field[0] == '+' || field[0] == ' ')
    return false;
  auto [end, error] =
      std::from_chars(field.data(), field.data() + field.size(), value);
  return error == std::errc() && end == field.data() + field.size();
}

} // namespace

bool Dataset::hasName(const std::string &name) const {
  return std::find(names.begin(), names.end(), name) != names.end() ||
         std::find(sharedNames.begin(), sharedNames.end(), name) !=
             sharedNames.end();
}

Error Dataset::addSharedColumn(std::string name, Tensor tensor) {
  if (name.empty())
    return Error::failure("a dataset column needs a name");
  if (hasName(name))
    return Error::failure("duplicate dataset column '" + name + "'");
  sharedNames.push_back(std::move(name));
  sharedColumns.push_back(std::move(tensor));
  return Error::success();
}

const Tensor *Dataset::sharedColumn(const std::string &name) const {
  for (size_t i = 0; i < sharedNames.size(); ++i)
    if (sharedNames[i] == name)
      return &sharedColumns[i];
  return nullptr;
}

Error Dataset::addColumn(std::string name, Tensor column) {
  if (name.empty())
    return Error::failure("a dataset column needs a name");
  if (hasName(name))
    return Error::failure("duplicate dataset column '" + name + "'");
  if (column.rank() == 0)
    return Error::failure("column '" + name +
                          "' is a scalar; a column needs a sample dimension");
  if (!columns.empty() && column.shape()[0] != numSamples())
    return Error::failure("column '" + name + "' has " +
                          std::to_string(column.shape()[0]) +
                          " samples, but column '" + names[0] + "' has " +
                          std::to_string(numSamples()));
  names.push_back(std::move(name));
  columns.push_back(std::move(column));
  return Error::success();
}

int64_t Dataset::numSamples() const {
  return columns.empty() ? 0 : columns[0].shape()[0];
}

const Tensor *Dataset::column(const std::string &name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return &columns[i];
  return sharedColumn(name);
}

const Tensor &Dataset::column(size_t index) const {
  assert(index < columns.size() && "dataset column index out of range");
  return columns[index];
}

const std::string &Dataset::columnName(size_t index) const {
  assert(index < names.size() && "dataset column index out of range");
  return names[index];
}

Expected<Dataset> loadNpyColumns(const std::vector<ColumnFile> &files) {
  Dataset dataset;
  for (const ColumnFile &file : files) {
    Expected<Tensor> tensor = readNpy(file.path);
    if (!tensor)
      return tensor.takeError();
    if (Error error = dataset.addColumn(file.name, std::move(*tensor));
        !error.ok())
      return std::move(error).withContext(file.path);
  }
  return dataset;
}

Expected<Tensor> readIdxImages(const std::string &path, IdxPixels pixels) {
  Expected<Tensor> bytes = readIdxBytes(path, 3, "image");
  if (!bytes || pixels == IdxPixels::U8)
    return bytes;
  Expected<Tensor> scaled = Tensor::create(DType::F32, bytes->shape());
  if (!scaled)
    return scaled.takeError().withContext(path);
  const uint8_t *in = bytes->data<uint8_t>();
  float *out = scaled->data<float>();
  for (int64_t i = 0, e = bytes->numElements(); i < e; ++i)
    out[i] = static_cast<float>(in[i]) / 255.0f;
  return scaled;
}

Expected<Tensor> readIdxLabels(const std::string &path) {
  Expected<Tensor> bytes = readIdxBytes(path, 1, "label");
  if (!bytes)
    return bytes;
  Expected<Tensor> labels = Tensor::create(DType::I32, bytes->shape());
  if (!labels)
    return labels.takeError().withContext(path);
  for (int64_t i = 0, e = bytes->numElements(); i < e; ++i)
    labels->data<int32_t>()[i] = bytes->data<uint8_t>()[i];
  return labels;
}

Expected<Dataset> loadMnist(const std::string &imagesPath,
                            const std::string &labelsPath,
                            const MnistOptions &options) {
  Expected<Tensor> images = readIdxImages(imagesPath, options.pixels);
  if (!images)
    return images.takeError();
  Expected<Tensor> labels = readIdxLabels(labelsPath);
  if (!labels)
    return labels.takeError();
  if (labels->shape()[0] != images->shape()[0])
    return fail(labelsPath, std::to_string(labels->shape()[0]) +
                                " labels for " +
                                std::to_string(images->shape()[0]) +
                                " images in '" + imagesPath + "'");
  Dataset dataset;
  if (Error error = dataset.addColumn(options.imageColumn, std::move(*images));
      !error.ok())
    return std::move(error);
  if (Error error = dataset.addColumn(options.labelColumn, std::move(*labels));
      !error.ok())
    return std::move(error);
  return dataset;
}

Expected<Dataset> parseCsv(const std::string &text, const std::string &name,
                           const CsvOptions &options) {
  std::string_view rest(text);
  // A UTF-8 byte order mark, as spreadsheet programs write.
  if (rest.substr(0, 3) == "\xEF\xBB\xBF")
    rest.remove_prefix(3);

  std::vector<std::string_view> fields;
  std::vector<float> features;
  std::vector<int32_t> labels;
  int64_t fieldCount = -1, labelField = -1, rows = 0, lineNumber = 0;
  bool headerPending = options.hasHeader;
  if (!options.labelFieldName.empty() && !options.hasHeader)
    return fail(name, "a label field chosen by name needs a header row");

  auto at = [&](const std::string &message) {
    return fail(name + ":" + std::to_string(lineNumber), message);
  };
  // Fixes the field count and the label field from the first row.
  auto setLayout = [&](int64_t count) -> Error {
    fieldCount = count;
    if (options.labelFieldName.empty()) {
      labelField = options.labelLast ? fieldCount - 1 : options.labelField;
      if (labelField < -1 || labelField >= fieldCount)
        return at("label field " + std::to_string(labelField + 1) +
                  " is out of range (rows have " + std::to_string(fieldCount) +
                  " fields)");
      return Error::success();
    }
    for (int64_t i = 0; i < count; ++i)
      if (fields[static_cast<size_t>(i)] == options.labelFieldName)
        labelField = i;
    if (labelField < 0)
      return at("no field named '" + options.labelFieldName +
                "' in the header");
    return Error::success();
  };

  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size()
                                                         : newline + 1);
    ++lineNumber;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (isBlank(line))
      continue;
    // Text never holds NUL; a binary file read as CSV would otherwise fail
    // on whatever its first "field" happened to be.
    if (line.find('\0') != std::string_view::npos)
      return at("holds a NUL byte: binary data, not CSV");
    splitFields(line, options.delimiter, fields);
    int64_t count = static_cast<int64_t>(fields.size());
    if (fieldCount < 0) {
      if (Error error = setLayout(count); !error.ok())
        return std::move(error);
    } else if (count != fieldCount) {
      return at("expected " + std::to_string(fieldCount) + " fields, found " +
                std::to_string(count));
    }
    if (headerPending) {
      headerPending = false;
      continue;
    }
    for (int64_t i = 0; i < count; ++i) {
      std::string_view field = fields[static_cast<size_t>(i)];
      double value;
      if (!parseNumber(field, value))
        return at("field " + std::to_string(i + 1) + " ('" +
                  printableExcerpt(field) + "') is not a number");
      if (i == labelField) {
        if (!(value == std::floor(value)) ||
            value < std::numeric_limits<int32_t>::min() ||
            value > std::numeric_limits<int32_t>::max())
          return at("label field " + std::to_string(i + 1) + " ('" +
                    printableExcerpt(field) + "') is not an i32 integer");
        labels.push_back(static_cast<int32_t>(value));
        continue;
      }
      float narrowed = static_cast<float>(value);
      if (std::isinf(narrowed) && !std::isinf(value))
        return at("field " + std::to_string(i + 1) + " ('" +
                  printableExcerpt(field) + "') is out of f32 range");
      features.push_back(narrowed);
    }
    ++rows;
  }
  if (rows == 0)
    return fail(name, "no data rows");

  int64_t featureCount = fieldCount - (labelField >= 0 ? 1 : 0);
  Dataset dataset;
  Expected<Tensor> x = Tensor::create(DType::F32, {rows, featureCount});
  if (!x)
    return x.takeError().withContext(name);
  if (!features.empty())
    std::memcpy(x->rawData(), features.data(), features.size() * sizeof(float));
  if (Error error = dataset.addColumn(options.featureColumn, std::move(*x));
      !error.ok())
    return std::move(error).withContext(name);
  if (labelField >= 0) {
    Expected<Tensor> y = Tensor::create(DType::I32, {rows});
    if (!y)
      return y.takeError().withContext(name);
    std::memcpy(y->rawData(), labels.data(), labels.size() * sizeof(int32_t));
    if (Error error = dataset.addColumn(options.labelColumn, std::move(*y));
        !error.ok())
      return std::move(error).withContext(name);
  }
  return dataset;
}

Expected<Dataset> loadCsv(const std::string &path, const CsvOptions &options) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file)
    return file.takeError();
  Expected<std::string> text = file->readAll();
  if (!text)
    return text.takeError();
  return parseCsv(*text, path, options);
}

} // namespace nnc::rt
