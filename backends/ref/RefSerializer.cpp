//===- RefSerializer.cpp - Ref programs to bytes and back -----------------===//

#include "backends/ref/RefSerializer.h"

#include "backends/ref/ref_executable_generated.h"
#include "runtime/FlatBufferVectors.h"
#include "runtime/SealedBytes.h"

#include <cstring>
#include <limits>

using namespace nnc;
using namespace nnc::ref;

namespace {

/// The header of the positional format version 1, which nnc wrote before
/// the FlatBuffers schema; recognised only to say what to do.
constexpr char kFormat1Magic[8] = {'N', 'N', 'C', 'R', 'E', 'F', '\0', '\0'};

template <typename T>
flatbuffers::Offset<flatbuffers::Vector<int64_t>>
longs(flatbuffers::FlatBufferBuilder &b, const T &values) {
  std::vector<int64_t> copy(values.begin(), values.end());
  return b.CreateVector(copy);
}

flatbuffers::Offset<fb::Attr> writeAttr(flatbuffers::FlatBufferBuilder &b,
                                        const std::string &name,
                                        const AttrValue &value) {
  auto nameOffset = b.CreateString(name);
  if (const int64_t *integer = std::get_if<int64_t>(&value))
    return fb::CreateAttr(b, nameOffset, fb::AttrValue::IntValue,
                          fb::CreateIntValue(b, *integer).Union());
  if (const double *real = std::get_if<double>(&value))
    return fb::CreateAttr(b, nameOffset, fb::AttrValue::RealValue,
                          fb::CreateRealValue(b, *real).Union());
  const auto &list = std::get<std::vector<int64_t>>(value);
  return fb::CreateAttr(b, nameOffset, fb::AttrValue::IntList,
                        fb::CreateIntList(b, b.CreateVector(list)).Union());
}

flatbuffers::Offset<fb::Program> writeProgram(flatbuffers::FlatBufferBuilder &b,
                                              const Program &program) {
  std::vector<flatbuffers::Offset<fb::Slot>> slots;
  for (const Slot &slot : program.slots)
    slots.push_back(fb::CreateSlot(b, static_cast<fb::SlotKind>(slot.kind),
                                   static_cast<uint8_t>(slot.dtype),
                                   longs(b, slot.shape), slot.index));
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  for (const rt::Tensor &constant : program.constants) {
    auto data =
        b.CreateVector(reinterpret_cast<const uint8_t *>(constant.rawData()),
                       constant.byteSize());
    constants.push_back(
        fb::CreateConstant(b, static_cast<uint8_t>(constant.dtype()),
                           longs(b, constant.shape()), data));
  }
  std::vector<flatbuffers::Offset<fb::Step>> steps;
  for (const Step &step : program.steps) {
    std::vector<flatbuffers::Offset<fb::Attr>> attrs;
    for (const auto &[name, value] : step.attrs)
      attrs.push_back(writeAttr(b, name, value));
    steps.push_back(
        fb::CreateStep(b, b.CreateString(step.op), b.CreateVector(step.inputs),
                       b.CreateVector(step.outputs), b.CreateVector(attrs)));
  }
  return fb::CreateProgram(b, b.CreateString(program.name), program.numBuffers,
                           b.CreateVector(slots), b.CreateVector(constants),
                           b.CreateVector(steps));
}

constexpr uint8_t kLastSlotKind = static_cast<uint8_t>(SlotKind::Temp);
constexpr uint8_t kLastDType = static_cast<uint8_t>(rt::DType::U8);

/// A dtype and shape with a representable byte size.
rt::Expected<rt::DType> checkType(uint8_t dtype, const rt::Shape &shape) {
  if (dtype > kLastDType)
    return rt::Error::failure("unknown dtype " + std::to_string(dtype));
  auto type = static_cast<rt::DType>(dtype);
  rt::Expected<int64_t> count =
      rt::checkedElementCount(shape, rt::dtypeSize(type));
  if (!count.ok())
    return count.takeError();
  return type;
}

rt::Expected<AttrValue> readAttrValue(const fb::Attr &attr) {
  switch (attr.value_type()) {
  case fb::AttrValue::IntValue:
    return AttrValue{attr.value_as_IntValue()->value()};
  case fb::AttrValue::RealValue:
    return AttrValue{attr.value_as_RealValue()->value()};
  case fb::AttrValue::IntList:
    return AttrValue{rt::copyInt64s(attr.value_as_IntList()->values())};
  default:
    return rt::Error::failure("attribute '" + attr.name()->str() +
                              "' has an unknown kind");
  }
}

rt::Expected<Step> readStep(const fb::Step &in, const Program &program) {
  Step step;
  step.op = in.op()->str();
  step.inputs = rt::copyInt64s(in.inputs());
  step.outputs = rt::copyInt64s(in.outputs());
  if (in.attrs())
    for (const fb::Attr *attr : *in.attrs()) {
      rt::Expected<AttrValue> value = readAttrValue(*attr);
      if (!value)
        return value.takeError();
      if (!step.attrs.emplace(attr->name()->str(), std::move(*value)).second)
        return rt::Error::failure("attribute '" + attr->name()->str() +
                                  "' given twice");
    }
  for (int64_t slot : step.inputs)
    if (slot < 0 || static_cast<uint64_t>(slot) >= program.slots.size())
      return rt::Error::failure("operand slot out of range");
  for (int64_t slot : step.outputs)
    if (slot < 0 || static_cast<uint64_t>(slot) >= program.slots.size() ||
        program.slots[static_cast<size_t>(slot)].kind == SlotKind::Constant)
      return rt::Error::failure("result slot out of range or constant");
  if (rt::Error error = prepareStep(step); !error.ok())
    return error;
  return step;
}

rt::Expected<Program> readProgram(const fb::Program &in) {
  Program program;
  program.name = in.name() ? in.name()->str() : "";
  program.numBuffers = in.num_buffers();
  if (program.numBuffers < 0 || program.numBuffers > (int64_t(1) << 20))
    return rt::Error::failure("bad buffer count");

  if (in.constants())
    for (const fb::Constant *constant : *in.constants()) {
      rt::Shape shape(rt::copyInt64s(constant->shape()));
      rt::Expected<rt::DType> type = checkType(constant->dtype(), shape);
      if (!type)
        return type.takeError();
      uint64_t bytes = constant->data() ? constant->data()->size() : 0;
      if (bytes !=
          static_cast<uint64_t>(rt::elementCount(shape)) * rt::dtypeSize(*type))
        return rt::Error::failure(
            "constant " + std::to_string(program.constants.size()) + " holds " +
            std::to_string(bytes) + " bytes, not those of " +
            rt::typeToString(*type, shape));
      rt::Expected<rt::Tensor> tensor = rt::Tensor::create(*type, shape);
      if (!tensor.ok())
        return tensor.takeError();
      if (bytes)
        std::memcpy(tensor->rawData(), constant->data()->data(), bytes);
      program.constants.push_back(std::move(*tensor));
    }

  if (in.slots())
    for (const fb::Slot *stored : *in.slots()) {
      std::string where = "slot " + std::to_string(program.slots.size()) + ": ";
      Slot slot;
      if (static_cast<uint8_t>(stored->kind()) > kLastSlotKind)
        return rt::Error::failure(where + "unknown kind");
      slot.kind = static_cast<SlotKind>(stored->kind());
      slot.shape = rt::Shape(rt::copyInt64s(stored->shape()));
      rt::Expected<rt::DType> type = checkType(stored->dtype(), slot.shape);
      if (!type)
        return type.takeError().withContext(where.substr(0, where.size() - 2));
      slot.dtype = *type;
      slot.index = stored->index();
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
      program.slots.push_back(std::move(slot));
    }

  if (in.steps())
    for (const fb::Step *stored : *in.steps()) {
      rt::Expected<Step> step = readStep(*stored, program);
      if (!step)
        return step.takeError().withContext(
            "step " + std::to_string(program.steps.size()));
      program.steps.push_back(std::move(*step));
    }
  return program;
}

} // namespace

std::string nnc::ref::serializePrograms(const std::vector<Program> &programs) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Program>> offsets;
  for (const Program &program : programs)
    offsets.push_back(writeProgram(b, program));
  b.Finish(fb::CreateExecutable(b, kRefFormatVersion, b.CreateVector(offsets)),
           fb::ExecutableIdentifier());
  return rt::seal(b.GetBufferPointer(), b.GetSize());
}

rt::Expected<std::vector<Program>>
nnc::ref::deserializePrograms(const void *bytes, size_t size) {
  auto failure = [](const std::string &message) {
    return rt::Error::failure("ref executable: " + message);
  };
  if (bytes && size >= sizeof(kFormat1Magic) &&
      std::memcmp(bytes, kFormat1Magic, sizeof(kFormat1Magic)) == 0)
    return failure("format 1, written by an older nnc, is no longer read; "
                   "compile the model again");
  rt::Expected<rt::SealedBody> sealed = rt::unseal(
      bytes, size, std::numeric_limits<flatbuffers::uoffset_t>::max());
  if (!sealed)
    return failure(sealed.message() + " (a corrupt file)");
  const void *body = sealed->data();
  if (!flatbuffers::BufferHasIdentifier(body, fb::ExecutableIdentifier()))
    return failure("not a ref executable (bad identifier)");
  flatbuffers::Verifier verifier(static_cast<const uint8_t *>(body),
                                 sealed->size,
                                 /*max_depth=*/64, /*max_tables=*/10000000);
  if (!fb::VerifyExecutableBuffer(verifier))
    return failure("the FlatBuffers verifier rejects it");
  const fb::Executable *root = fb::GetExecutable(body);
  if (root->format_version() != kRefFormatVersion)
    return failure("format " + std::to_string(root->format_version()) +
                   " is not the supported " +
                   std::to_string(kRefFormatVersion));
  std::vector<Program> programs;
  if (root->programs())
    for (const fb::Program *in : *root->programs()) {
      rt::Expected<Program> program = readProgram(*in);
      if (!program.ok())
        return failure("kernel " + std::to_string(programs.size()) + ": " +
                       program.message());
      programs.push_back(std::move(*program));
    }
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
