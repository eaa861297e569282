//===- Translation.cpp - Values, names and text of a translation ----------===//

#include "onnx/Translation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace nnc::onnx {

using ::onnx::AttributeProto;
using ::onnx::TensorProto;

const char *dslTypeName(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return "f32";
  case ElemType::F64:
    return "f64";
  case ElemType::I32:
    return "i32";
  case ElemType::I64:
    return "i64";
  case ElemType::Bool:
    return "bool";
  }
  return "?";
}

bool isFloat(ElemType type) {
  return type == ElemType::F32 || type == ElemType::F64;
}

std::string formatDims(const Dims &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      text += ", ";
    text += dims[i] == kBatch ? "B" : std::to_string(dims[i]);
  }
  return text + "]";
}

int64_t staticElementCount(const Dims &dims) {
  int64_t count = 1;
  for (int64_t d : dims)
    if (d != kBatch)
      count *= d;
  return count;
}

bool fitsElementLimit(const Dims &dims, int64_t limit) {
  int64_t count = 1;
  for (int64_t d : dims)
    if (d != kBatch &&
        (__builtin_mul_overflow(count, std::max<int64_t>(d, 1), &count) ||
         count > limit))
      return false;
  return true;
}

bool hasBatch(const Dims &dims) {
  for (int64_t d : dims)
    if (d == kBatch)
      return true;
  return false;
}

size_t Constant::size() const {
  return isFloat(type) ? reals.size() : ints.size();
}

bool Constant::anyBatchEntry() const {
  for (bool b : batchEntries)
    if (b)
      return true;
  return false;
}

double Constant::number(size_t i) const {
  return isFloat(type) ? reals[i] : static_cast<double>(ints[i]);
}

int64_t Constant::integer(size_t i) const {
  if (!isFloat(type))
    return ints[i];
  // Converting a double outside int64's range is undefined behaviour; a
  // model can hold any float where an integer belongs (ONNX's checker
  // does not check types), and the callers refuse out-of-range results.
  double value = reals[i];
  if (std::isnan(value))
    return 0;
  if (value >= 0x1p63)
    return std::numeric_limits<int64_t>::max();
  if (value < -0x1p63)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

std::optional<ElemType> elemTypeOf(int32_t onnxDataType) {
  switch (onnxDataType) {
  case TensorProto::FLOAT:
    return ElemType::F32;
  case TensorProto::DOUBLE:
    return ElemType::F64;
  case TensorProto::INT32:
    return ElemType::I32;
  case TensorProto::INT64:
    return ElemType::I64;
  case TensorProto::BOOL:
    return ElemType::Bool;
  default:
    return std::nullopt;
  }
}

namespace {

std::string onnxTypeName(int32_t code) {
  if (TensorProto::DataType_IsValid(code))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(code));
  return "dtype " + std::to_string(code);
}

template <typename T>
bool readRaw(const std::string &raw, size_t count, std::vector<T> &out) {
  // The whole elements are read even when there are too few or too many,
  // so that the error can say how many the tensor holds.
  out.resize(raw.size() / sizeof(T));
  if (!out.empty())
    std::memcpy(out.data(), raw.data(), out.size() * sizeof(T));
  return raw.size() == count * sizeof(T);
}

} // namespace

rt::Expected<Constant> constantFromTensor(const TensorProto &tensor) {
  std::optional<ElemType> type = elemTypeOf(tensor.data_type());
  std::string what = "tensor '" + tensor.name() + "'";
  if (!type)
    return rt::Error::failure(what + " has " +
                              onnxTypeName(tensor.data_type()) +
                              " elements, which nnc does not support");
  Constant constant;
  constant.type = *type;
  // The extents other than 0 are bounded even when one is 0: an empty
  // tensor of shape [0, 2^62, 4] holds nothing, but its strides overflow.
  uint64_t count = 1, bound = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && bound > (uint64_t(1) << 40) / uint64_t(d)))
      return rt::Error::failure(what + " has an invalid shape");
    constant.shape.push_back(d);
    count *= uint64_t(d);
    bound *= std::max<uint64_t>(uint64_t(d), 1);
  }
  const std::string &raw = tensor.raw_data();
  bool fromRaw = tensor.has_raw_data();
  bool ok = true;
  switch (*type) {
  case ElemType::F32: {
    std::vector<float> floats;
    if (fromRaw)
      ok = readRaw(raw, count, floats);
    else
      floats.assign(tensor.float_data().begin(), tensor.float_data().end());
    constant.reals.assign(floats.begin(), floats.end());
    break;
  }
  case ElemType::F64:
    if (fromRaw)
      ok = readRaw(raw, count, constant.reals);
    else
      constant.reals.assign(tensor.double_data().begin(),
                            tensor.double_data().end());
    break;
  case ElemType::I32: {
    std::vector<int32_t> ints;
    if (fromRaw)
      ok = readRaw(raw, count, ints);
    else
      ints.assign(tensor.int32_data().begin(), tensor.int32_data().end());
    constant.ints.assign(ints.begin(), ints.end());
    break;
  }
  case ElemType::I64:
    if (fromRaw)
      ok = readRaw(raw, count, constant.ints);
    else
      constant.ints.assign(tensor.int64_data().begin(),
                           tensor.int64_data().end());
    break;
  case ElemType::Bool: {
    std::vector<uint8_t> bytes;
    if (fromRaw)
      ok = readRaw(raw, count, bytes);
    else
      bytes.assign(tensor.int32_data().begin(), tensor.int32_data().end());
    constant.ints.assign(bytes.begin(), bytes.end());
    break;
  }
  }
  if (!ok || constant.size() != count)
    return rt::Error::failure(
        what + " holds " + std::to_string(constant.size()) +
        " elements where its shape needs " + std::to_string(count));
  return constant;
}

Attributes::Attributes(const NodeProto &node) : node(node) {}

const AttributeProto *Attributes::find(const std::string &name) {
  for (const AttributeProto &attribute : node.attribute())
    if (attribute.name() == name) {
      used.insert(name);
      return &attribute;
    }
  return nullptr;
}

bool Attributes::has(const std::string &name) const {
  for (const AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return true;
  return false;
}

int64_t Attributes::getInt(const std::string &name, int64_t fallback) {
  const AttributeProto *attribute = find(name);
  return attribute ? attribute->i() : fallback;
}

double Attributes::getFloat(const std::string &name, double fallback) {
  const AttributeProto *attribute = find(name);
  return attribute ? attribute->f() : fallback;
}

std::vector<int64_t> Attributes::getInts(const std::string &name,
                                         std::vector<int64_t> fallback) {
  const AttributeProto *attribute = find(name);
  if (!attribute)
    return fallback;
  return {attribute->ints().begin(), attribute->ints().end()};
}

std::string Attributes::getString(const std::string &name,
                                  std::string fallback) {
  const AttributeProto *attribute = find(name);
  return attribute ? attribute->s() : fallback;
}

const TensorProto *Attributes::getTensor(const std::string &name) {
  const AttributeProto *attribute = find(name);
  return attribute && attribute->has_t() ? &attribute->t() : nullptr;
}

std::vector<std::string> Attributes::unread() const {
  std::vector<std::string> names;
  for (const AttributeProto &attribute : node.attribute())
    if (!used.count(attribute.name()))
      names.push_back(attribute.name());
  return names;
}

std::string printable(const std::string &text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (a non-ASCII name) is kept whole.
    size_t length = c >= 0xc2 && c <= 0xdf   ? 2
                    : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xf0 && c <= 0xf4 ? 4
                                             : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid && length == 3) {
      unsigned char next = static_cast<unsigned char>(text[i + 1]);
      valid = !(c == 0xe0 && next < 0xa0) && !(c == 0xed && next >= 0xa0);
    }
    if (valid && length == 4) {
      unsigned char next = static_cast<unsigned char>(text[i + 1]);
      valid = !(c == 0xf0 && next < 0x90) && !(c == 0xf4 && next >= 0x90);
    }
    if (valid) {
      out.append(text, i, length);
      i += length;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string sanitizeName(const std::string &name) {
  // The language's keywords, and B, the batch dimension's symbol (an
  // input named B would read `input B: f32[B, 4]`).
  static const char *const kKeywords[] = {"model",  "input", "param",  "buffer",
                                          "layer",  "let",   "repeat", "return",
                                          "output", "loss",  "train",  "freeze",
                                          "true",   "false", "B"};
  std::string out;
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  // PyTorch's scoped names start with '/', which would lead every name
  // with an underscore; drop them.
  size_t first = out.find_first_not_of('_');
  out = first == std::string::npos ? std::string() : out.substr(first);
  if (out.empty())
    out = "v";
  if (std::isdigit(static_cast<unsigned char>(out[0])))
    out = "v_" + out;
  for (const char *keyword : kKeywords)
    if (out == keyword)
      out += "_";
  return out;
}

const Value *Translation::find(const std::string &onnxName) const {
  if (onnxName.empty())
    return nullptr;
  auto it = values.find(onnxName);
  return it == values.end() ? nullptr : &it->second;
}

void Translation::bindConstant(const std::string &onnxName, Constant constant) {
  Value value;
  value.kind = Value::Kind::Constant;
  value.type = constant.type;
  value.shape = constant.shape;
  value.constant = std::move(constant);
  values.insert_or_assign(onnxName, std::move(value));
}

void Translation::bindTensor(const std::string &onnxName, ElemType type,
                             Dims shape, std::string dslName) {
  Value value;
  value.kind = Value::Kind::Tensor;
  value.type = type;
  value.shape = std::move(shape);
  value.name = std::move(dslName);
  values.insert_or_assign(onnxName, std::move(value));
}

void Translation::alias(const std::string &onnxName, const Value &value) {
  values.insert_or_assign(onnxName, value);
}

std::string Translation::freshName(const std::string &hint) {
  std::string base = sanitizeName(hint);
  // PyTorch names every result "/scope/Op_output_0"; the suffix says
  // nothing.
  const std::string suffix = "_output_0";
  if (base.size() > suffix.size() &&
      base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
    base.resize(base.size() - suffix.size());
  std::string name = base;
  for (int k = 2; usedNames.count(name); ++k)
    name = base + "_" + std::to_string(k);
  usedNames.insert(name);
  return name;
}

void Translation::let(const NodeProto &node, size_t output,
                      const std::string &expression, ElemType type, Dims shape,
                      const std::string &what) {
  std::string name = freshName(node.output(static_cast<int>(output)));
  const std::string &kind = what.empty() ? node.op_type() : what;
  std::string comment =
      printable(node.name().empty() ? kind : node.name() + " (" + kind + ")");
  statements.push_back("let " + name + " = " + expression + "  # " + comment);
  bindTensor(node.output(static_cast<int>(output)), type, std::move(shape),
             name);
}

namespace {

/// Shortest text that reads back as the same f32 (or f64) number.
std::string formatNumber(double number, ElemType type) {
  char text[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, number);
    double back = std::strtod(text, nullptr);
    bool same = type == ElemType::F32
                    ? static_cast<float>(back) == static_cast<float>(number)
                    : back == number;
    if (same)
      break;
  }
  std::string out = text;
  // The language reads "1e-05" but not "1e-5."; both forms are fine.
  return number < 0 ? "(" + out + ")" : out;
}

} // namespace

std::optional<std::string> numberLiteral(double value) {
  if (!std::isfinite(value))
    return std::nullopt;
  // ONNX float attributes are f32; their shortest f32 text reads best.
  bool isF32 = static_cast<double>(static_cast<float>(value)) == value;
  return formatNumber(value, isF32 ? ElemType::F32 : ElemType::F64);
}

namespace {

rt::DType runtimeType(ElemType type) {
  switch (type) {
  case ElemType::F64:
    return rt::DType::F64;
  case ElemType::I32:
    return rt::DType::I32;
  case ElemType::I64:
  case ElemType::Bool:
    return rt::DType::I64;
  case ElemType::F32:
    break;
  }
  return rt::DType::F32;
}

rt::Tensor tensorOf(const Constant &constant) {
  rt::Tensor tensor = std::move(
      *rt::Tensor::create(runtimeType(constant.type), constant.shape));
  for (size_t i = 0; i < constant.size(); ++i) {
    switch (tensor.dtype()) {
    case rt::DType::F32:
      tensor.data<float>()[i] = static_cast<float>(constant.reals[i]);
      break;
    case rt::DType::F64:
      tensor.data<double>()[i] = constant.reals[i];
      break;
    case rt::DType::I32:
      tensor.data<int32_t>()[i] = static_cast<int32_t>(constant.ints[i]);
      break;
    default:
      tensor.data<int64_t>()[i] = constant.ints[i];
      break;
    }
  }
  return tensor;
}

} // namespace

rt::Expected<std::string> Translation::operand(const Value &value,
                                               bool literalAllowed) {
  if (!value.isConstant())
    return value.name;
  const Constant &constant = value.constant;
  if (constant.anyBatchEntry())
    return rt::Error::failure("a value computed from the batch size is used "
                              "as data, which nnc cannot express");
  if (literalAllowed && constant.size() == 1 &&
      std::isfinite(constant.number(0)) && constant.type != ElemType::Bool) {
    if (isFloat(constant.type))
      return formatNumber(constant.reals[0], constant.type);
    std::string text = std::to_string(constant.ints[0]);
    return constant.ints[0] < 0 ? "(" + text + ")" : text;
  }
  if (constant.type == ElemType::Bool)
    return rt::Error::failure("a boolean tensor is used as data, which nnc "
                              "cannot express");
  if (std::count(constant.shape.begin(), constant.shape.end(), 0))
    return rt::Error::failure("a constant of shape " +
                              formatDims(constant.shape) +
                              " is used as data; nnc tensors have no axis of "
                              "extent 0");
  auto known = declaredConstants.find(&value);
  if (known != declaredConstants.end())
    return known->second;
  // Such a constant becomes a buffer, which may hold infinities (a mask's
  // -inf) but not NaN: the program could never load it.
  for (size_t i = 0; i < constant.reals.size(); ++i)
    if (std::isnan(constant.reals[i]))
      return rt::Error::failure("a constant used as data holds NaN (element " +
                                std::to_string(i) +
                                "), which no buffer may hold");
  std::string name = freshName("const");
  declare("buffer " + name + ": " + dslTypeName(constant.type) +
          formatDims(constant.shape) + "  # a constant of the ONNX graph");
  weights.emplace_back(name, tensorOf(constant));
  declaredConstants.emplace(&value, name);
  return name;
}

rt::Error Translation::declareWeight(const TensorProto &tensor, bool asBuffer) {
  rt::Expected<Constant> constant = constantFromTensor(tensor);
  if (!constant.ok())
    return constant.takeError();
  // A trainable param is finite (--params refuses any other): a weight
  // holding an infinity is state such as an attention mask, which PyTorch
  // keeps as a buffer and ONNX as one more initializer. NaN is no weight.
  for (size_t i = 0; i < constant->reals.size(); ++i) {
    if (std::isnan(constant->reals[i]))
      return rt::Error::failure("initializer '" + printable(tensor.name()) +
                                "': element " + std::to_string(i) +
                                " holds NaN");
    asBuffer = asBuffer || std::isinf(constant->reals[i]);
  }
  std::string name = freshName(tensor.name());
  std::string comment =
      name == tensor.name() ? "" : "  # " + printable(tensor.name());
  declare(std::string(asBuffer ? "buffer " : "param ") + name + ": " +
          dslTypeName(constant->type) + formatDims(constant->shape) + comment);
  weights.emplace_back(name, tensorOf(*constant));
  bindTensor(tensor.name(), constant->type, constant->shape, name);
  return rt::Error::success();
}

std::string
Translation::source(const std::string &modelName,
                    const std::vector<std::string> &inputLines,
                    const std::vector<std::string> &outputLines) const {
  std::ostringstream out;
  out << "# Imported from ONNX (opset " << opset << ") by `nnc import`.\n"
      << "# Parameters and buffers start from the imported weights: pass the\n"
      << "# folder `nnc import --params-out` wrote with `--params DIR`.\n"
      << "model " << modelName << "\n\n";
  for (const std::string &line : inputLines)
    out << line << "\n";
  out << "\n";
  for (const std::string &line : declarations)
    out << line << "\n";
  out << "\n";
  for (const std::string &line : statements)
    out << line << "\n";
  out << "\n";
  for (const std::string &line : outputLines)
    out << line << "\n";
  return out.str();
}

} // namespace nnc::onnx
