//===- RefProgram.cpp - Running interpreter programs ----------------------===//

#include "backends/ref/RefProgram.h"

#include <cstring>

using namespace nnc;
using namespace nnc::ref;

namespace {

/// True when the bytes of `a` and `b` overlap.
bool overlaps(rt::ConstTensorView a, rt::ConstTensorView b) {
  if (a.byteSize() == 0 || b.byteSize() == 0)
    return false;
  const std::byte *aBegin = a.rawData(), *bBegin = b.rawData();
  return aBegin < bBegin + b.byteSize() && bBegin < aBegin + a.byteSize();
}

/// Runs one step over `views` (one per slot), redirecting outputs that
/// overlap an input through temporaries.
rt::Error runStep(const Step &step, const std::vector<rt::TensorView> &views) {
  std::vector<rt::ConstTensorView> in;
  in.reserve(step.inputs.size());
  for (int64_t slot : step.inputs)
    in.emplace_back(views[static_cast<size_t>(slot)]);

  std::vector<rt::TensorView> out;
  std::vector<rt::Tensor> scratch;
  std::vector<size_t> redirected;
  out.reserve(step.outputs.size());
  for (size_t i = 0; i < step.outputs.size(); ++i) {
    rt::TensorView target = views[static_cast<size_t>(step.outputs[i])];
    bool aliased = false;
    for (const rt::ConstTensorView &input : in)
      aliased = aliased || overlaps(input, target);
    if (!aliased) {
      out.push_back(target);
      continue;
    }
    rt::Expected<rt::Tensor> temp =
        rt::Tensor::create(target.dtype(), target.shape());
    if (!temp)
      return temp.takeError();
    scratch.push_back(std::move(temp).value());
    out.push_back(scratch.back().view());
    redirected.push_back(i);
  }

  if (rt::Error error = step.row->run(step.prepared, in, out); !error.ok())
    return error;
  for (size_t i : redirected) {
    rt::TensorView target = views[static_cast<size_t>(step.outputs[i])];
    if (rt::Error error = copyBytes(out[i], target); !error.ok())
      return error;
  }
  return rt::Error::success();
}

} // namespace

rt::Error nnc::ref::prepareStep(Step &step) {
  const StepRow *row = findStepRow(step.op);
  if (!row)
    return rt::Error::failure("op '" + step.op +
                              "' has no kernel in the ref interpreter");
  if (step.inputs.size() < row->minInputs ||
      step.inputs.size() > row->maxInputs || step.outputs.size() != row->outputs)
    return rt::Error::failure(
        step.op + ": takes " + std::to_string(step.inputs.size()) +
        " operands and " + std::to_string(step.outputs.size()) +
        " results, which do not fit the op");
  rt::Expected<std::any> prepared = row->prepare(step.attrs);
  if (!prepared)
    return prepared.takeError().withContext(step.op);
  step.row = row;
  step.prepared = std::move(*prepared);
  return rt::Error::success();
}

rt::Error nnc::ref::runProgram(const Program &program, void *const *buffers) {
  std::vector<rt::Tensor> temps;
  temps.reserve(program.slots.size());
  std::vector<rt::TensorView> views;
  views.reserve(program.slots.size());
  for (const Slot &slot : program.slots) {
    switch (slot.kind) {
    case SlotKind::Buffer:
      views.emplace_back(static_cast<std::byte *>(buffers[slot.index]),
                         slot.dtype, slot.shape);
      break;
    case SlotKind::Constant: {
      // Constants are only ever inputs, read through const views; the view
      // type is mutable only because one vector holds every slot.
      const rt::Tensor &constant =
          program.constants[static_cast<size_t>(slot.index)];
      views.emplace_back(const_cast<std::byte *>(constant.rawData()),
                         constant.dtype(), constant.shape());
      break;
    }
    case SlotKind::Temp: {
      rt::Expected<rt::Tensor> temp =
          rt::Tensor::create(slot.dtype, slot.shape);
      if (!temp)
        return temp.takeError().withContext(program.name);
      temps.push_back(std::move(temp).value());
      views.push_back(temps.back().view());
      break;
    }
    }
  }

  for (const Step &step : program.steps)
    if (rt::Error error = runStep(step, views); !error.ok())
      return std::move(error).withContext(program.name);
  return rt::Error::success();
}
