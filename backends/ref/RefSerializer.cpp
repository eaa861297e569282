//===- RefSerializer.cpp - Ref programs to bytes and back -----------------===//

#include "backends/ref/RefSerializer.h"

#include <cstring>
#include <limits>
#include <type_traits>

using namespace nnc;
using namespace nnc::ref;

namespace {

constexpr char kMagic[8] = {'N', 'N', 'C', 'R', 'E', 'F', '\0', '\0'};

/// Appends little-endian plain values and length-prefixed lists.
class Writer {
public:
  template <typename T> void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    out.append(raw, sizeof(T));
  }
  void putString(const std::string &text) {
    put<uint64_t>(text.size());
    out.append(text);
  }
  void putInts(const std::vector<int64_t> &values) {
    put<uint64_t>(values.size());
    for (int64_t value : values)
      put(value);
  }
  void putDoubles(const std::vector<double> &values) {
    put<uint64_t>(values.size());
    for (double value : values)
      put(value);
  }
  std::string out;
};

/// Reads what Writer wrote; every read checks the bytes left, and the
/// first failure sticks (later reads return zeros), so callers check once.
class Reader {
public:
  Reader(const void *bytes, size_t size)
      : data(static_cast<const char *>(bytes)), left(size) {}

  template <typename T> T get() {
    T value{};
    if (!take(&value, sizeof(T), "a value"))
      return T{};
    return value;
  }
  /// A count of items of at least `itemBytes` bytes each, no more than
  /// the bytes left can hold.
  uint64_t count(size_t itemBytes, const char *what) {
    uint64_t n = get<uint64_t>();
    if (failed.empty() && itemBytes > 0 && n > left / itemBytes)
      fail(std::string("count of ") + what + " exceeds the data");
    return failed.empty() ? n : 0;
  }
  std::string getString() {
    uint64_t n = count(1, "characters");
    std::string text(n, '\0');
    take(text.data(), n, "a string");
    return text;
  }
  std::vector<int64_t> getInts() {
    uint64_t n = count(sizeof(int64_t), "integers");
    std::vector<int64_t> values(n);
    for (int64_t &value : values)
      value = get<int64_t>();
    return values;
  }
  std::vector<double> getDoubles() {
    uint64_t n = count(sizeof(double), "numbers");
    std::vector<double> values(n);
    for (double &value : values)
      value = get<double>();
    return values;
  }
  bool take(void *into, size_t size, const char *what) {
    if (!failed.empty())
      return false;
    if (size > left) {
      fail(std::string("truncated data (") + what + ")");
      return false;
    }
    if (size)
      std::memcpy(into, data, size);
    data += size;
    left -= size;
    return true;
  }
  void fail(std::string message) {
    if (failed.empty())
      failed = std::move(message);
  }
  bool ok() const { return failed.empty(); }
  size_t remaining() const { return left; }
  const std::string &error() const { return failed; }

private:
  const char *data;
  size_t left;
  std::string failed;
};

/// A step's attributes flattened: the variant index, integers, doubles.
struct FlatAttrs {
  uint8_t tag = 0;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
};

FlatAttrs flatten(const StepAttrs &attrs) {
  FlatAttrs flat;
  flat.tag = static_cast<uint8_t>(attrs.index());
  auto &i = flat.ints;
  auto &d = flat.doubles;
  std::visit(
      [&](const auto &a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, UnaryOp> ||
                      std::is_same_v<T, BinaryOp>) {
          i = {static_cast<int64_t>(a)};
        } else if constexpr (std::is_same_v<T, LeakyReluAttrs>) {
          d = {a.alpha};
        } else if constexpr (std::is_same_v<T, MatmulAttrs>) {
          i = {a.transposeA, a.transposeB};
        } else if constexpr (std::is_same_v<T, SoftmaxAttrs> ||
                             std::is_same_v<T, ConcatAttrs> ||
                             std::is_same_v<T, GatherAttrs>) {
          i = {a.axis};
        } else if constexpr (std::is_same_v<T, ReduceStepAttrs>) {
          i = {static_cast<int64_t>(a.op), a.attrs.keepDims};
          i.insert(i.end(), a.attrs.axes.begin(), a.attrs.axes.end());
        } else if constexpr (std::is_same_v<T, TransposeAttrs>) {
          i = a.perm;
        } else if constexpr (std::is_same_v<T, SliceAttrs>) {
          i = {static_cast<int64_t>(a.axes.size()),
               static_cast<int64_t>(a.starts.size()),
               static_cast<int64_t>(a.ends.size()),
               static_cast<int64_t>(a.steps.size())};
          for (const auto *list : {&a.axes, &a.starts, &a.ends, &a.steps})
            i.insert(i.end(), list->begin(), list->end());
        } else if constexpr (std::is_same_v<T, Conv2dAttrs>) {
          i = {a.stride[0],   a.stride[1],   a.padding[0], a.padding[1],
               a.dilation[0], a.dilation[1], a.groups};
        } else if constexpr (std::is_same_v<T, Pool2dAttrs>) {
          std::array<int64_t, 2> stride = a.stride.value_or(a.kernel);
          i = {a.kernel[0],  a.kernel[1],      a.stride.has_value(),
               stride[0],    stride[1],        a.padding[0],
               a.padding[1], a.countIncludePad};
        } else if constexpr (std::is_same_v<T, BatchNormAttrs>) {
          d = {a.eps, a.momentum};
        } else if constexpr (std::is_same_v<T, DropoutAttrs>) {
          i = {static_cast<int64_t>(a.seed), static_cast<int64_t>(a.step),
               a.training};
          d = {a.rate};
        } else if constexpr (std::is_same_v<T, BatchNormGradAttrs>) {
          i = {a.training};
          d = {a.eps};
        } else if constexpr (std::is_same_v<T, SgdAttrs>) {
          d = {a.weightDecay};
        } else if constexpr (std::is_same_v<T, MomentumAttrs>) {
          i = {a.nesterov};
          d = {a.momentum, a.weightDecay};
        } else if constexpr (std::is_same_v<T, AdamAttrs>) {
          i = {a.decoupled};
          d = {a.beta1, a.beta2, a.eps, a.weightDecay};
        }
      },
      attrs);
  return flat;
}

/// The attributes of `flat`, or an error when its lists have the wrong
/// lengths or an enum is out of range.
rt::Expected<StepAttrs> unflatten(const FlatAttrs &flat) {
  const auto &i = flat.ints;
  const auto &d = flat.doubles;
  auto sizes = [&](size_t ints, size_t doubles) {
    return i.size() == ints && d.size() == doubles;
  };
  rt::Error bad = rt::Error::failure("malformed attributes (kind " +
                                     std::to_string(flat.tag) + ")");
  switch (flat.tag) {
  case 0:
    if (!sizes(0, 0))
      return bad;
    return StepAttrs{};
  case 1:
    if (!sizes(1, 0) || i[0] < 0 || i[0] >= kNumUnaryOps)
      return bad;
    return StepAttrs{static_cast<UnaryOp>(i[0])};
  case 2:
    if (!sizes(1, 0) || i[0] < 0 || i[0] > static_cast<int64_t>(BinaryOp::Pow))
      return bad;
    return StepAttrs{static_cast<BinaryOp>(i[0])};
  case 3:
    if (!sizes(0, 1))
      return bad;
    return StepAttrs{LeakyReluAttrs{d[0]}};
  case 4:
    if (!sizes(2, 0))
      return bad;
    return StepAttrs{MatmulAttrs{i[0] != 0, i[1] != 0}};
  case 5:
    if (!sizes(1, 0))
      return bad;
    return StepAttrs{SoftmaxAttrs{i[0]}};
  case 6: {
    if (i.size() < 2 || !d.empty() || i[0] < 0 ||
        i[0] > static_cast<int64_t>(ReduceOp::Max))
      return bad;
    ReduceStepAttrs attrs;
    attrs.op = static_cast<ReduceOp>(i[0]);
    attrs.attrs.keepDims = i[1] != 0;
    attrs.attrs.axes.assign(i.begin() + 2, i.end());
    return StepAttrs{attrs};
  }
  case 7:
    if (!d.empty())
      return bad;
    return StepAttrs{TransposeAttrs{i}};
  case 8:
    if (!sizes(1, 0))
      return bad;
    return StepAttrs{ConcatAttrs{i[0]}};
  case 9: {
    if (i.size() < 4 || !d.empty())
      return bad;
    uint64_t total = 4;
    for (size_t k = 0; k < 4; ++k) {
      if (i[k] < 0 || static_cast<uint64_t>(i[k]) > i.size())
        return bad;
      total += static_cast<uint64_t>(i[k]);
    }
    if (total != i.size())
      return bad;
    SliceAttrs attrs;
    auto next = i.begin() + 4;
    for (auto [k, list] : {std::pair{0, &attrs.axes},
                           {1, &attrs.starts},
                           {2, &attrs.ends},
                           {3, &attrs.steps}}) {
      list->assign(next, next + i[static_cast<size_t>(k)]);
      next += i[static_cast<size_t>(k)];
    }
    return StepAttrs{attrs};
  }
  case 10:
    if (!sizes(1, 0))
      return bad;
    return StepAttrs{GatherAttrs{i[0]}};
  case 11: {
    if (!sizes(7, 0))
      return bad;
    Conv2dAttrs attrs;
    attrs.stride = {i[0], i[1]};
    attrs.padding = {i[2], i[3]};
    attrs.dilation = {i[4], i[5]};
    attrs.groups = i[6];
    return StepAttrs{attrs};
  }
  case 12: {
    if (!sizes(8, 0))
      return bad;
    Pool2dAttrs attrs;
    attrs.kernel = {i[0], i[1]};
    if (i[2])
      attrs.stride = std::array<int64_t, 2>{i[3], i[4]};
    attrs.padding = {i[5], i[6]};
    attrs.countIncludePad = i[7] != 0;
    return StepAttrs{attrs};
  }
  case 13:
    if (!sizes(0, 2))
      return bad;
    return StepAttrs{BatchNormAttrs{d[0], d[1]}};
  case 14: {
    if (!sizes(3, 1))
      return bad;
    DropoutAttrs attrs;
    attrs.rate = d[0];
    attrs.seed = static_cast<uint64_t>(i[0]);
    attrs.step = static_cast<uint64_t>(i[1]);
    attrs.training = i[2] != 0;
    return StepAttrs{attrs};
  }
  case 15:
    if (!sizes(1, 1))
      return bad;
    return StepAttrs{BatchNormGradAttrs{d[0], i[0] != 0}};
  case 16:
    if (!sizes(0, 1))
      return bad;
    return StepAttrs{SgdAttrs{d[0]}};
  case 17:
    if (!sizes(1, 2))
      return bad;
    return StepAttrs{MomentumAttrs{d[0], d[1], i[0] != 0}};
  case 18:
    if (!sizes(1, 4))
      return bad;
    return StepAttrs{AdamAttrs{d[0], d[1], d[2], d[3], i[0] != 0}};
  default:
    return bad;
  }
}

/// What runKernel reads of a step of each kind: operand counts, result
/// count and the attributes alternative.
struct StepSignature {
  size_t minInputs, maxInputs, outputs, attrs;
};

constexpr size_t kAny = std::numeric_limits<size_t>::max();

StepSignature signatureOf(StepKind kind) {
  switch (kind) {
  case StepKind::Unary:
    return {1, 1, 1, 1};
  case StepKind::Binary:
    return {2, 2, 1, 2};
  case StepKind::LeakyRelu:
    return {1, 1, 1, 3};
  case StepKind::Matmul:
    return {2, 2, 1, 4};
  case StepKind::Softmax:
  case StepKind::LogSoftmax:
    return {1, 1, 1, 5};
  case StepKind::Reduce:
    return {1, 1, 1, 6};
  case StepKind::Reshape:
  case StepKind::BroadcastTo:
  case StepKind::Sign:
  case StepKind::Copy:
    return {1, 1, 1, 0};
  case StepKind::Transpose:
    return {1, 1, 1, 7};
  case StepKind::Concat:
    return {1, kAny, 1, 8};
  case StepKind::Slice:
  case StepKind::SliceGrad:
    return {1, 1, 1, 9};
  case StepKind::Gather:
  case StepKind::GatherGrad:
    return {2, 2, 1, 10};
  case StepKind::Conv2d:
    return {2, 3, 1, 11};
  case StepKind::Conv2dGradInput:
  case StepKind::Conv2dGradWeight:
    return {2, 2, 1, 11};
  case StepKind::MaxPool2d:
  case StepKind::AvgPool2d:
  case StepKind::AvgPool2dGrad:
    return {1, 1, 1, 12};
  case StepKind::MaxPool2dGrad:
    return {2, 2, 1, 12};
  case StepKind::BatchNormEval:
  case StepKind::BatchNormTrain:
    return {5, 5, 3, 13};
  case StepKind::Dropout:
  case StepKind::DropoutGrad:
    return {1, 2, 1, 14};
  case StepKind::Mse:
  case StepKind::BinaryCrossEntropy:
  case StepKind::SoftmaxCrossEntropy:
  case StepKind::Maximum:
  case StepKind::Minimum:
  case StepKind::ReluGrad:
  case StepKind::GeluGrad:
    return {2, 2, 1, 0};
  case StepKind::LeakyReluGrad:
    return {2, 2, 1, 3};
  case StepKind::ReduceMaxGrad:
    return {3, 3, 1, 6};
  case StepKind::SoftmaxGrad:
  case StepKind::LogSoftmaxGrad:
    return {2, 2, 1, 5};
  case StepKind::BatchNormGrad:
    return {5, 5, 3, 15};
  case StepKind::SoftmaxCrossEntropyGrad:
  case StepKind::BinaryCrossEntropyGrad:
    return {3, 3, 1, 0};
  case StepKind::SgdUpdate:
    return {3, 3, 1, 16};
  case StepKind::MomentumUpdate:
    return {4, 4, 2, 17};
  case StepKind::AdamUpdate:
    return {6, 6, 3, 18};
  }
  return {0, 0, 0, kAny};
}

constexpr uint8_t kLastSlotKind = static_cast<uint8_t>(SlotKind::Temp);
constexpr uint32_t kLastStepKind = static_cast<uint32_t>(StepKind::Copy);
constexpr uint8_t kLastDType = static_cast<uint8_t>(rt::DType::U8);

void putShape(Writer &writer, const rt::Shape &shape) {
  writer.putInts(std::vector<int64_t>(shape.begin(), shape.end()));
}

/// A dtype and shape with a representable byte size.
rt::Error checkType(uint8_t dtype, const rt::Shape &shape) {
  if (dtype > kLastDType)
    return rt::Error::failure("unknown dtype " + std::to_string(dtype));
  rt::Expected<int64_t> count = rt::checkedElementCount(
      shape, rt::dtypeSize(static_cast<rt::DType>(dtype)));
  if (!count.ok())
    return count.takeError();
  return rt::Error::success();
}

rt::Expected<Program> readProgram(Reader &in) {
  Program program;
  program.name = in.getString();
  program.numBuffers = in.get<int64_t>();
  if (in.ok() && (program.numBuffers < 0 ||
                  static_cast<uint64_t>(program.numBuffers) > (1u << 20)))
    return rt::Error::failure("bad buffer count");

  uint64_t numSlots = in.count(2 + 8 + 8, "slots");
  for (uint64_t s = 0; s < numSlots && in.ok(); ++s) {
    Slot slot;
    uint8_t kind = in.get<uint8_t>();
    uint8_t dtype = in.get<uint8_t>();
    std::vector<int64_t> shape = in.getInts();
    slot.index = in.get<int64_t>();
    if (!in.ok())
      break;
    if (kind > kLastSlotKind)
      return rt::Error::failure("unknown slot kind " + std::to_string(kind));
    if (rt::Error error = checkType(dtype, shape); !error.ok())
      return error;
    slot.kind = static_cast<SlotKind>(kind);
    slot.dtype = static_cast<rt::DType>(dtype);
    slot.shape.assign(shape.begin(), shape.end());
    program.slots.push_back(std::move(slot));
  }

  uint64_t numConstants = in.count(1 + 8 + 8, "constants");
  for (uint64_t c = 0; c < numConstants && in.ok(); ++c) {
    uint8_t dtype = in.get<uint8_t>();
    std::vector<int64_t> shape = in.getInts();
    uint64_t bytes = in.count(1, "constant bytes");
    if (!in.ok())
      break;
    rt::Shape tensorShape(shape.begin(), shape.end());
    if (rt::Error error = checkType(dtype, tensorShape); !error.ok())
      return error;
    auto type = static_cast<rt::DType>(dtype);
    if (bytes != static_cast<uint64_t>(rt::elementCount(tensorShape)) *
                     rt::dtypeSize(type))
      return rt::Error::failure(
          "constant " + std::to_string(c) + " holds " + std::to_string(bytes) +
          " bytes, not those of " + rt::typeToString(type, tensorShape));
    rt::Expected<rt::Tensor> tensor = rt::Tensor::create(type, tensorShape);
    if (!tensor.ok())
      return tensor.takeError();
    in.take(tensor->rawData(), bytes, "constant");
    program.constants.push_back(std::move(*tensor));
  }

  uint64_t numSteps = in.count(4 + 8 + 8 + 8 + 1 + 8 + 8, "steps");
  for (uint64_t k = 0; k < numSteps && in.ok(); ++k) {
    Step step;
    uint32_t kind = in.get<uint32_t>();
    step.opName = in.getString();
    step.inputs = in.getInts();
    step.outputs = in.getInts();
    FlatAttrs flat;
    flat.tag = in.get<uint8_t>();
    flat.ints = in.getInts();
    flat.doubles = in.getDoubles();
    if (!in.ok())
      break;
    std::string where = "step " + std::to_string(k) + ": ";
    if (kind > kLastStepKind)
      return rt::Error::failure(where + "unknown kind " + std::to_string(kind));
    step.kind = static_cast<StepKind>(kind);
    StepSignature signature = signatureOf(step.kind);
    if (step.inputs.size() < signature.minInputs ||
        step.inputs.size() > signature.maxInputs ||
        step.outputs.size() != signature.outputs || flat.tag != signature.attrs)
      return rt::Error::failure(where + "operands, results or attributes "
                                        "do not fit its kind");
    rt::Expected<StepAttrs> attrs = unflatten(flat);
    if (!attrs.ok())
      return attrs.takeError().withContext(where.substr(0, where.size() - 2));
    step.attrs = std::move(*attrs);
    for (int64_t slot : step.inputs)
      if (slot < 0 || static_cast<uint64_t>(slot) >= program.slots.size())
        return rt::Error::failure(where + "operand slot out of range");
    for (int64_t slot : step.outputs)
      if (slot < 0 || static_cast<uint64_t>(slot) >= program.slots.size() ||
          program.slots[static_cast<size_t>(slot)].kind == SlotKind::Constant)
        return rt::Error::failure(where + "result slot out of range or "
                                          "constant");
    program.steps.push_back(std::move(step));
  }
  if (!in.ok())
    return rt::Error::failure(in.error());

  // Slot indices, now that the constants are known.
  for (size_t s = 0; s < program.slots.size(); ++s) {
    const Slot &slot = program.slots[s];
    std::string where = "slot " + std::to_string(s) + ": ";
    if (slot.kind == SlotKind::Buffer &&
        (slot.index < 0 || slot.index >= program.numBuffers))
      return rt::Error::failure(where + "buffer index out of range");
    if (slot.kind == SlotKind::Constant) {
      if (slot.index < 0 ||
          static_cast<uint64_t>(slot.index) >= program.constants.size())
        return rt::Error::failure(where + "constant index out of range");
      const rt::Tensor &constant =
          program.constants[static_cast<size_t>(slot.index)];
      if (constant.dtype() != slot.dtype || constant.shape() != slot.shape)
        return rt::Error::failure(where + "type differs from its constant's");
    }
  }
  return program;
}

} // namespace

std::string nnc::ref::serializePrograms(const std::vector<Program> &programs) {
  Writer out;
  out.out.append(kMagic, sizeof(kMagic));
  out.put<uint32_t>(kRefFormatVersion);
  out.put<uint64_t>(programs.size());
  for (const Program &program : programs) {
    out.putString(program.name);
    out.put<int64_t>(program.numBuffers);
    out.put<uint64_t>(program.slots.size());
    for (const Slot &slot : program.slots) {
      out.put<uint8_t>(static_cast<uint8_t>(slot.kind));
      out.put<uint8_t>(static_cast<uint8_t>(slot.dtype));
      putShape(out, slot.shape);
      out.put<int64_t>(slot.index);
    }
    out.put<uint64_t>(program.constants.size());
    for (const rt::Tensor &constant : program.constants) {
      out.put<uint8_t>(static_cast<uint8_t>(constant.dtype()));
      putShape(out, constant.shape());
      out.put<uint64_t>(constant.byteSize());
      out.out.append(reinterpret_cast<const char *>(constant.rawData()),
                     constant.byteSize());
    }
    out.put<uint64_t>(program.steps.size());
    for (const Step &step : program.steps) {
      out.put<uint32_t>(static_cast<uint32_t>(step.kind));
      out.putString(step.opName);
      out.putInts(step.inputs);
      out.putInts(step.outputs);
      FlatAttrs flat = flatten(step.attrs);
      out.put<uint8_t>(flat.tag);
      out.putInts(flat.ints);
      out.putDoubles(flat.doubles);
    }
  }
  return std::move(out.out);
}

rt::Expected<std::vector<Program>>
nnc::ref::deserializePrograms(const void *bytes, size_t size) {
  auto failure = [](const std::string &message) {
    return rt::Error::failure("ref executable: " + message);
  };
  if (!bytes && size > 0)
    return failure("no bytes");
  Reader in(bytes, size);
  char magic[sizeof(kMagic)] = {};
  in.take(magic, sizeof(magic), "header");
  if (!in.ok() || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0)
    return failure("not a ref executable (bad magic)");
  uint32_t version = in.get<uint32_t>();
  if (in.ok() && version != kRefFormatVersion)
    return failure("format version " + std::to_string(version) +
                   " is not the supported " +
                   std::to_string(kRefFormatVersion));
  uint64_t numPrograms = in.count(8 + 8 + 8 + 8 + 8, "kernels");
  if (!in.ok())
    return failure(in.error());
  std::vector<Program> programs;
  for (uint64_t k = 0; k < numPrograms; ++k) {
    rt::Expected<Program> program = readProgram(in);
    if (!program.ok())
      return failure("kernel " + std::to_string(k) + ": " + program.message());
    programs.push_back(std::move(*program));
  }
  if (in.remaining() != 0)
    return failure("trailing bytes");
  return programs;
}

rt::Error nnc::ref::checkProgramBuffers(const Program &program,
                                        const uint64_t *bufferBytes,
                                        int64_t numBuffers) {
  if (numBuffers != program.numBuffers)
    return rt::Error::failure(
        program.name + ": takes " + std::to_string(program.numBuffers) +
        " buffers, the plan gives " + std::to_string(numBuffers));
  for (const Slot &slot : program.slots) {
    if (slot.kind != SlotKind::Buffer)
      continue;
    uint64_t bytes = static_cast<uint64_t>(rt::elementCount(slot.shape)) *
                     rt::dtypeSize(slot.dtype);
    if (bytes != bufferBytes[slot.index])
      return rt::Error::failure(
          program.name + ": buffer " + std::to_string(slot.index) + " is " +
          rt::typeToString(slot.dtype, slot.shape) + " (" +
          std::to_string(bytes) + " bytes), the plan gives " +
          std::to_string(bufferBytes[slot.index]) + " bytes");
  }
  return rt::Error::success();
}
