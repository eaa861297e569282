//===- DataArguments.cpp - Datasets from --data arguments -----------------===//

#include "train/DataArguments.h"

#include "train/OutputWriter.h"
#include "train/ParameterStore.h"
#include "train/RunSettings.h"

#include "runtime/FileIO.h"
#include "runtime/NonFinite.h"
#include "runtime/Npy.h"
#include "runtime/ReplayableFile.h"
#include "runtime/TextWindows.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>
#include <type_traits>

namespace nnc::train {
namespace {

enum class FileFormat { Npy, IdxImages, IdxLabels, Csv, Text };

/// The format the first bytes of a file tell, or nothing for binary data
/// none of the formats holds (NUL bytes).
std::optional<FileFormat> formatOfHead(const unsigned char *head,
                                       size_t size) {
  // A NumPy-like first byte (0x93, which never starts UTF-8 text) means
  // .npy, so that a damaged magic string is reported by the .npy reader
  // rather than read as CSV.
  if (size >= 1 && head[0] == 0x93)
    return FileFormat::Npy;
  // IDX: two zero bytes, the element type, the rank. The type is left to
  // the IDX reader, which names the ones it does not support.
  if (size >= 4 && head[0] == 0 && head[1] == 0) {
    if (head[3] == 3)
      return FileFormat::IdxImages;
    if (head[3] == 1)
      return FileFormat::IdxLabels;
  }
  if (std::memchr(head, 0, size))
    return std::nullopt;
  return FileFormat::Csv;
}

/// The format of the file named `path` (whose name tells .txt and .npy),
/// whose bytes are read at `readable`.
rt::Expected<FileFormat> detectFormat(const std::string &path,
                                      const std::string &readable) {
  // Text is told by its name: any bytes are valid text.
  if (llvm::StringRef(path).ends_with_insensitive(".txt"))
    return FileFormat::Text;
  rt::Expected<rt::InputFile> file = rt::InputFile::open(readable);
  if (!file.ok())
    return rt::Error::failure(file.message());
  // Enough of the start to tell binary data from text.
  unsigned char head[rt::ReplayableFile::kHeadBytes] = {};
  rt::Expected<size_t> got = file->read(head, sizeof(head));
  if (!got.ok())
    return rt::Error::failure(got.message());
  std::optional<FileFormat> format = formatOfHead(head, *got);
  if (llvm::StringRef(path).ends_with_insensitive(".npy") ||
      format == FileFormat::Npy) {
    if (file->isGzip())
      return rt::Error::failure(path + ": a gzipped .npy is not supported");
    return FileFormat::Npy;
  }
  if (!format)
    return rt::Error::failure(
        path + ": binary data (it holds NUL bytes), not a .npy, IDX "
               "(images or labels), CSV or .txt file");
  return *format;
}

/// Whether a stream starting with `head` may be data detectFormat takes,
/// or is binary it refuses from these bytes alone (/dev/zero, a stray
/// executable). A gzipped stream is told once it is inflated.
bool mayBeData(const unsigned char *head, size_t size) {
  bool gzip = size >= 2 && head[0] == 0x1f && head[1] == 0x8b;
  return gzip || formatOfHead(head, size).has_value();
}

template <typename From, typename To>
void convertElements(const rt::Tensor &from, rt::Tensor &to) {
  const From *in = from.view().data<From>();
  To *out = to.view().data<To>();
  for (int64_t i = 0, n = from.view().numElements(); i < n; ++i)
    out[i] = static_cast<To>(in[i]);
}

/// The elements of one sample of `column` (its leading axis counts the
/// samples), for messages that name the sample of an element.
int64_t elementsPerSample(rt::ConstTensorView column) {
  if (column.shape().empty() || column.shape()[0] == 0)
    return 1;
  return std::max<int64_t>(1, column.numElements() / column.shape()[0]);
}

/// The first element of `from` that type `To` cannot hold (an i64 label of
/// 2^40 as i32, a negative id as u8), as "sample N holds V, not an i32
/// integer" (samples counted along the leading axis); nothing when every
/// element fits. Floats are never narrowed to integers, so only integer
/// `From` and `To` are checked.
template <typename From, typename To>
std::optional<std::string> firstUnrepresentable(const rt::Tensor &from,
                                                rt::DType to) {
  if constexpr (std::is_same_v<From, double> && std::is_same_v<To, float>) {
    // A finite f64 beyond f32's range would read as an infinity.
    const double *values = from.view().data<double>();
    int64_t perSample = elementsPerSample(from.view());
    for (int64_t i = 0, n = from.view().numElements(); i < n; ++i)
      if (std::isfinite(values[i]) &&
          std::isinf(static_cast<float>(values[i]))) {
        std::ostringstream text;
        text << "sample " << i / perSample << " holds " << values[i]
             << ", beyond the range of " << rt::dtypeName(to);
        return text.str();
      }
    return std::nullopt;
  } else if constexpr (!std::is_integral_v<From> || !std::is_integral_v<To>) {
    return std::nullopt;
  } else {
    const From *values = from.view().data<From>();
    int64_t count = from.view().numElements();
    int64_t perSample = elementsPerSample(from.view());
    for (int64_t i = 0; i < count; ++i) {
      // Round-tripping and comparing signs catches every loss, whatever the
      // two types' widths and signedness.
      To narrowed = static_cast<To>(values[i]);
      if (static_cast<From>(narrowed) != values[i] ||
          (values[i] < 0) != (narrowed < 0))
        return "sample " + std::to_string(i / perSample) + " holds " +
               std::to_string(values[i]) + ", not an " + rt::dtypeName(to) +
               " integer";
    }
    return std::nullopt;
  }
}

template <typename From>
std::optional<std::string> firstUnrepresentableFrom(const rt::Tensor &from,
                                                    rt::DType to) {
  switch (to) {
  case rt::DType::F32:
    return firstUnrepresentable<From, float>(from, to);
  case rt::DType::I32:
    return firstUnrepresentable<From, int32_t>(from, to);
  case rt::DType::I64:
    return firstUnrepresentable<From, int64_t>(from, to);
  case rt::DType::U8:
    return firstUnrepresentable<From, uint8_t>(from, to);
  default:
    return std::nullopt;
  }
}

template <typename From>
void convertFrom(const rt::Tensor &from, rt::Tensor &to) {
  switch (to.view().dtype()) {
  case rt::DType::F32:
    return convertElements<From, float>(from, to);
  case rt::DType::F64:
    return convertElements<From, double>(from, to);
  case rt::DType::I32:
    return convertElements<From, int32_t>(from, to);
  case rt::DType::I64:
    return convertElements<From, int64_t>(from, to);
  case rt::DType::U8:
    return convertElements<From, uint8_t>(from, to);
  }
}

/// `column` as `shape` of the input's dtype (same element count); floats
/// never silently become integers.
rt::Expected<rt::Tensor> convertColumn(rt::Tensor column,
                                       const InputDeclaration &input,
                                       const rt::Shape &shape,
                                       const std::string &path);

/// An input without the batch dimension takes one tensor for every batch:
/// `tensor` with the input's shape (any shape of its element count) and
/// dtype.
rt::Expected<rt::Tensor> adaptShared(rt::Tensor tensor,
                                     const InputDeclaration &input,
                                     const std::string &path) {
  int64_t want = 1;
  for (int64_t extent : input.shape)
    want *= extent;
  if (tensor.view().numElements() != want)
    return rt::Error::failure(
        path + ": input '" + input.name +
        "' has no batch dimension: it takes one tensor of " +
        rt::shapeToString(input.shape) + " for every batch, got " +
        rt::shapeToString(tensor.view().shape()));
  return convertColumn(std::move(tensor), input, input.shape, path);
}

/// `column` with the input's dtype and per-sample shape, or an error that
/// names the input. Floats never silently become integers.
rt::Expected<rt::Tensor> adaptColumn(rt::Tensor column,
                                     const InputDeclaration &input,
                                     const std::string &path) {
  rt::ConstTensorView view = column.view();
  rt::Shape shape = input.shape;
  if (view.shape().empty())
    return rt::Error::failure(path + ": input '" + input.name +
                              "' needs one sample per row, got a scalar");
  int64_t samples = view.shape()[0];
  // Its per-sample shape may be right: "expects samples of [64], got [64]"
  // would contradict itself.
  if (samples == 0)
    return rt::Error::failure(path + ": input '" + input.name +
                              "' has no samples (its first dimension is 0)");
  int64_t perSampleHave = view.numElements() / samples;
  int64_t perSampleWant = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    perSampleWant *= shape[i];
  shape[0] = samples;
  if (perSampleHave != perSampleWant)
    return rt::Error::failure(
        path + ": input '" + input.name + "' expects samples of " +
        rt::shapeToString(
            rt::Shape(input.shape.begin() + 1, input.shape.end())) +
        ", got " +
        rt::shapeToString(
            rt::Shape(view.shape().begin() + 1, view.shape().end())));
  return convertColumn(std::move(column), input, shape, path);
}

rt::Expected<rt::Tensor> convertColumn(rt::Tensor column,
                                       const InputDeclaration &input,
                                       const rt::Shape &shape,
                                       const std::string &path) {
  rt::ConstTensorView view = column.view();
  rt::DType want = input.dtype;
  if (rt::isFloat(view.dtype()) && !rt::isFloat(want))
    return rt::Error::failure(path + ": input '" + input.name + "' expects " +
                              rt::dtypeName(want) + ", got " +
                              rt::dtypeName(view.dtype()));
  if (view.dtype() == want && view.shape() == shape)
    return column;
  // Integers (and f64 to f32) are narrowed only where every value survives: a
  // wrapped label would train silently on the wrong class.
  std::optional<std::string> lost;
  switch (view.dtype()) {
  case rt::DType::I32:
    lost = firstUnrepresentableFrom<int32_t>(column, want);
    break;
  case rt::DType::I64:
    lost = firstUnrepresentableFrom<int64_t>(column, want);
    break;
  case rt::DType::U8:
    lost = firstUnrepresentableFrom<uint8_t>(column, want);
    break;
  case rt::DType::F64:
    lost = firstUnrepresentableFrom<double>(column, want);
    break;
  default:
    break;
  }
  if (lost)
    return rt::Error::failure(path + ": " + input.name + ": " + *lost);
  rt::Expected<rt::Tensor> adapted = rt::Tensor::create(want, shape);
  if (!adapted.ok())
    return rt::Error::failure(adapted.message());
  switch (view.dtype()) {
  case rt::DType::F32:
    convertFrom<float>(column, *adapted);
    break;
  case rt::DType::F64:
    convertFrom<double>(column, *adapted);
    break;
  case rt::DType::I32:
    convertFrom<int32_t>(column, *adapted);
    break;
  case rt::DType::I64:
    convertFrom<int64_t>(column, *adapted);
    break;
  case rt::DType::U8:
    convertFrom<uint8_t>(column, *adapted);
    break;
  }
  return std::move(*adapted);
}

/// "sample 3 holds 11, outside the classes [0, 10) ..." for the first label of
/// an integer `column` outside the classes of `input` (InputDeclaration::
/// classes), and not its ignore_index.
template <typename T>
std::optional<std::string> firstStrayLabelOf(rt::ConstTensorView column,
                                             const InputDeclaration &input) {
  const T *values = column.data<T>();
  int64_t count = column.numElements();
  int64_t perSample = elementsPerSample(column);
  for (int64_t i = 0; i < count; ++i) {
    int64_t label = static_cast<int64_t>(values[i]);
    if ((label < 0 || label >= input.classes) && label != input.ignoreIndex)
      return "sample " + std::to_string(i / perSample) + " holds " +
             std::to_string(label) + ", outside the classes [0, " +
             std::to_string(input.classes) + ") of the model's cross-entropy";
  }
  return std::nullopt;
}

/// Fails naming the first sample of the float `column` of input `name`
/// outside [0, 1] (NaN is checkFiniteData's).
template <typename T>
rt::Error checkProbabilitiesOf(rt::ConstTensorView column,
                               const std::string &name) {
  const T *values = column.data<T>();
  int64_t perSample = elementsPerSample(column);
  for (int64_t i = 0, n = column.numElements(); i < n; ++i)
    if (values[i] < 0 || values[i] > 1)
      return rt::Error::failure(
          name + ": sample " + std::to_string(i / perSample) + " holds " +
          exactNumber(static_cast<double>(values[i])) +
          ", outside [0, 1], the targets of the model's binary "
          "cross-entropy");
  return rt::Error::success();
}

rt::Error checkProbabilities(rt::ConstTensorView column,
                             const std::string &name) {
  if (column.dtype() == rt::DType::F32)
    return checkProbabilitiesOf<float>(column, name);
  if (column.dtype() == rt::DType::F64)
    return checkProbabilitiesOf<double>(column, name);
  return rt::Error::success();
}

rt::Error noSuchInput(const InputDeclarations &inputs,
                      const std::string &name) {
  std::vector<std::string> names;
  for (const InputDeclaration &input : inputs)
    names.push_back(input.name);
  return rt::Error::failure("the model has no input '" + name +
                            "' (inputs: " + llvm::join(names, ", ") + ")");
}

rt::Error addColumn(rt::Dataset &dataset, const InputDeclarations &inputs,
                    const std::string &name, rt::Tensor column,
                    const std::string &path) {
  const InputDeclaration *input = findInput(inputs, name);
  if (!input)
    return noSuchInput(inputs, name);
  bool batched = input->batched();
  rt::Expected<rt::Tensor> adapted =
      batched ? adaptColumn(std::move(column), *input, path)
              : adaptShared(std::move(column), *input, path);
  if (!adapted.ok())
    return adapted.takeError();
  if (rt::Error finite = checkFiniteData(*adapted, name, batched); !finite.ok())
    return std::move(finite).withContext(path);
  if (rt::Error labels = checkLabels(*adapted, *input); !labels.ok())
    return std::move(labels).withContext(path);
  rt::Error error = batched
                        ? dataset.addColumn(name, std::move(*adapted))
                        : dataset.addSharedColumn(name, std::move(*adapted));
  return std::move(error).withContext(path);
}

/// Byte windows of the text at `path` into `columns` (ids, then optional
/// next-byte targets), as long as the first input's context.
rt::Error addTextColumns(rt::Dataset &dataset, const InputDeclarations &inputs,
                         llvm::ArrayRef<llvm::StringRef> columns,
                         const std::string &path) {
  const InputDeclaration *ids = findInput(inputs, columns[0].str());
  if (!ids)
    return noSuchInput(inputs, columns[0].str());
  // Given under one name, a text file feeds the ids: the labels of the
  // loss given the same way would be the ids again, a copy task that
  // trains without a word.
  if (columns.size() == 1 && ids->classes > 0)
    return rt::Error::failure(
        path +
        ": a text file gives the byte ids and the next bytes "
        "together (--data IDS," +
        ids->name + "=" + path + "); alone it gives ids, not the labels '" +
        ids->name + "' the loss reads");
  // Named the other way round, the loss would learn each byte from the
  // one after it.
  if (columns.size() == 2 && ids->classes > 0)
    return rt::Error::failure(
        path +
        ": a text file gives the byte ids first and the next bytes "
        "second (--data " +
        columns[1].str() + "," + ids->name + "=" + path + "), but '" +
        ids->name + "', named first, is the labels the loss reads");
  const rt::Shape &shape = ids->shape;
  rt::DType dtype = ids->dtype;
  if (shape.size() != 2 || shape[0] != shape::kDynamic ||
      shape[1] == shape::kDynamic ||
      (dtype != rt::DType::I32 && dtype != rt::DType::I64))
    return rt::Error::failure(path +
                              ": text feeds an input of byte ids [B, T] (i32 "
                              "or i64), but input '" +
                              ids->name + "' is " + rt::dtypeName(dtype) +
                              rt::shapeToString(shape));
  int64_t context = shape[1];
  rt::Expected<rt::TextWindows> windows = rt::loadTextWindows(
      path, context, std::max<int64_t>(1, context / 2), dtype);
  if (!windows.ok())
    return windows.takeError();
  if (rt::Error error = addColumn(dataset, inputs, columns[0].str(),
                                  std::move(windows->ids), path);
      !error.ok() || columns.size() < 2)
    return error;
  return addColumn(dataset, inputs, columns[1].str(),
                   std::move(windows->targets), path);
}

/// The column of a file that holds one tensor (npy, IDX).
rt::Error addTensorColumn(rt::Dataset &dataset, const InputDeclarations &inputs,
                          const std::string &name,
                          rt::Expected<rt::Tensor> tensor,
                          const std::string &path) {
  if (!tensor.ok())
    return tensor.takeError();
  return addColumn(dataset, inputs, name, std::move(*tensor), path);
}

/// The columns of a CSV file: every field but the last in `columns[0]`,
/// the last in `columns[1]` when given.
rt::Error addCsvColumns(rt::Dataset &dataset, const InputDeclarations &inputs,
                        llvm::ArrayRef<llvm::StringRef> columns,
                        const CsvArguments &csv, const std::string &path) {
  rt::CsvOptions options;
  options.hasHeader = csv.header;
  options.featureColumn = columns[0].str();
  if (columns.size() == 2) {
    options.labelColumn = columns[1].str();
    options.labelLast = true;
  }
  rt::Expected<rt::Dataset> loaded = rt::loadCsv(path, options);
  if (!loaded.ok())
    return loaded.takeError();
  for (size_t i = 0; i < loaded->numColumns(); ++i) {
    rt::Expected<rt::Tensor> column = loaded->column(i).clone();
    if (!column.ok())
      return column.takeError();
    if (rt::Error error = addColumn(dataset, inputs, loaded->columnName(i),
                                    std::move(*column), path);
        !error.ok())
      return error;
  }
  return rt::Error::success();
}

} // namespace

rt::Error checkLabels(rt::ConstTensorView column,
                      const InputDeclaration &input) {
  if (input.probabilities)
    return checkProbabilities(column, input.name);
  if (input.classes <= 0)
    return rt::Error::success();
  std::optional<std::string> stray;
  if (column.dtype() == rt::DType::I32)
    stray = firstStrayLabelOf<int32_t>(column, input);
  else if (column.dtype() == rt::DType::I64)
    stray = firstStrayLabelOf<int64_t>(column, input);
  if (!stray)
    return rt::Error::success();
  // Caught in training, it is the loss kernel's error, naming no file.
  return rt::Error::failure(input.name + ": " + *stray);
}

rt::Error checkFiniteData(rt::ConstTensorView column, const std::string &name,
                          bool batched) {
  // Caught here, a NaN or an infinity names its file and sample; caught in
  // training, it reads as a diverging loss and a learning rate to lower.
  // An input without the batch dimension is part of the model rather than
  // data (a mask, whose -inf entries are the point), so only NaN is refused
  // there.
  if (!batched)
    return rt::checkUnbatchedInput(column, name);
  std::optional<rt::NonFiniteElement> bad =
      rt::firstNonFinite(column, /*infinityAllowed=*/false);
  if (!bad)
    return rt::Error::success();
  return rt::Error::failure(
      name + ": sample " +
      std::to_string(bad->index / elementsPerSample(column)) + " holds " +
      (bad->isNaN ? "NaN" : "an infinity") +
      "; training and evaluation data must be finite");
}

CodedError loadDataArguments(const std::vector<std::string> &arguments,
                             const char *flag, const InputDeclarations &inputs,
                             const CsvArguments &csv, rt::Dataset &dataset) {
  for (const std::string &argument : arguments) {
    auto [names, path] = llvm::StringRef(argument).split('=');
    if (names.empty() || path.empty())
      return CodedError::usage(std::string(flag) + " expects NAME=FILE, got '" +
                               argument + "'");
    llvm::SmallVector<llvm::StringRef> columns;
    names.split(columns, ',');
    // Any bytes are text under a .txt name, read to the text limit.
    bool text = path.ends_with_insensitive(".txt");
    rt::Expected<rt::ReplayableFile> replayable = rt::ReplayableFile::open(
        path.str(),
        text ? [](const unsigned char *, size_t) { return true; } : mayBeData,
        text ? rt::kMaxTextBytes : UINT64_MAX);
    if (!replayable.ok())
      return replayable.takeError();
    // Messages name the copy of a stream; named() gives them the path back.
    const std::string &file = replayable->path();
    rt::Expected<FileFormat> format = detectFormat(path.str(), file);
    if (!format.ok())
      return replayable->named(format.takeError());
    bool twoInputs = *format == FileFormat::Csv || *format == FileFormat::Text;
    if (!twoInputs && columns.size() != 1)
      return CodedError::usage(std::string(flag) + " '" + argument +
                               "': only a CSV or text file fills several "
                               "inputs");
    if (twoInputs && columns.size() > 2)
      return CodedError::usage(
          std::string(flag) + " '" + argument + "': a " +
          (*format == FileFormat::Csv
               ? "CSV file fills at most two inputs (features, label)"
               : "text file fills at most two inputs (ids, next-byte "
                 "targets)"));

    rt::Error error;
    switch (*format) {
    case FileFormat::Npy:
      error = addTensorColumn(dataset, inputs, columns[0].str(),
                              rt::readNpy(file), file);
      break;
    case FileFormat::IdxImages:
      error = addTensorColumn(dataset, inputs, columns[0].str(),
                              rt::readIdxImages(file, rt::IdxPixels::F32Scaled),
                              file);
      break;
    case FileFormat::IdxLabels:
      error = addTensorColumn(dataset, inputs, columns[0].str(),
                              rt::readIdxLabels(file), file);
      break;
    case FileFormat::Text:
      error = addTextColumns(dataset, inputs, columns, file);
      break;
    case FileFormat::Csv:
      error = addCsvColumns(dataset, inputs, columns, csv, file);
      break;
    }
    if (!error.ok())
      return replayable->named(std::move(error));
  }
  return CodedError();
}

rt::Error loadDataTensors(const std::string &kind,
                          const std::map<std::string, rt::Tensor> &tensors,
                          const InputDeclarations &inputs,
                          rt::Dataset &dataset) {
  for (const auto &[name, tensor] : tensors) {
    // The loader adapts columns in place; the caller's stay as they are.
    rt::Expected<rt::Tensor> copy = tensor.clone();
    if (!copy.ok())
      return copy.takeError();
    if (rt::Error error = addColumn(dataset, inputs, name, std::move(*copy),
                                    kind + " '" + name + "'");
        !error.ok())
      return error;
  }
  return rt::Error::success();
}

} // namespace nnc::train
