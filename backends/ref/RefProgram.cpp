//===- RefProgram.cpp - Running interpreter programs ----------------------===//

#include "backends/ref/RefProgram.h"

#include "backends/ref/kernels/ConvGrad.h"
#include "backends/ref/kernels/ElementwiseGrad.h"
#include "backends/ref/kernels/Loss.h"
#include "backends/ref/kernels/LossGrad.h"
#include "backends/ref/kernels/Matmul.h"
#include "backends/ref/kernels/PoolGrad.h"
#include "backends/ref/kernels/ReduceGrad.h"
#include "backends/ref/kernels/ShapeGrad.h"
#include "backends/ref/kernels/SoftmaxGrad.h"

#include <cstring>
#include <optional>

using namespace nnc;
using namespace nnc::ref;

namespace {

/// Reads the attributes alternative T of `step`; the compiler always sets
/// the one its kind needs, so a mismatch is a broken invariant.
template <typename T> const T &attrsOf(const Step &step) {
  const T *attrs = std::get_if<T>(&step.attrs);
  assert(attrs && "step built without the attributes of its kind");
  return *attrs;
}

/// Copies `from` into `to`, which hold the same number of bytes; memmove
/// because a caller may pass the same buffer for both.
rt::Error copyTensor(rt::ConstTensorView from, rt::TensorView to) {
  if (from.byteSize() != to.byteSize())
    return rt::Error::failure(
        "copy: cannot copy " + rt::typeToString(from.dtype(), from.shape()) +
        " into " + rt::typeToString(to.dtype(), to.shape()));
  if (to.byteSize() != 0)
    std::memmove(to.rawData(), from.rawData(), to.byteSize());
  return rt::Error::success();
}

/// The dropout attributes of `step` with the step counter of its optional
/// second input (a scalar i64 or i32 tensor) in place of the static one.
rt::Expected<DropoutAttrs>
dropoutAttrsOf(const Step &step, const std::vector<rt::ConstTensorView> &in) {
  DropoutAttrs attrs = attrsOf<DropoutAttrs>(step);
  if (in.size() < 2)
    return attrs;
  const rt::ConstTensorView &counter = in[1];
  std::string op = step.kind == StepKind::Dropout ? "dropout" : "dropout_grad";
  if (counter.rank() != 0)
    return rt::Error::failure(op + ": step has shape " +
                              rt::shapeToString(counter.shape()) +
                              ", expected []");
  switch (counter.dtype()) {
  case rt::DType::I64:
    attrs.step = static_cast<uint64_t>(counter.at<int64_t>(0));
    return attrs;
  case rt::DType::I32:
    attrs.step = static_cast<uint64_t>(counter.at<int32_t>(0));
    return attrs;
  default:
    return rt::Error::failure(op + ": step has dtype " +
                              rt::dtypeName(counter.dtype()) +
                              ", expected i64");
  }
}

/// Calls the kernel of `step` on views of its slots.
rt::Error runKernel(const Step &step,
                    const std::vector<rt::ConstTensorView> &in,
                    const std::vector<rt::TensorView> &out) {
  switch (step.kind) {
  case StepKind::Unary:
    return unary(attrsOf<UnaryOp>(step), in[0], out[0]);
  case StepKind::Binary:
    return binary(attrsOf<BinaryOp>(step), in[0], in[1], out[0]);
  case StepKind::LeakyRelu:
    return leakyRelu(in[0], attrsOf<LeakyReluAttrs>(step), out[0]);
  case StepKind::Matmul:
    return matmul(in[0], in[1], attrsOf<MatmulAttrs>(step), out[0]);
  case StepKind::Softmax:
    return softmax(in[0], attrsOf<SoftmaxAttrs>(step), out[0]);
  case StepKind::LogSoftmax:
    return logSoftmax(in[0], attrsOf<SoftmaxAttrs>(step), out[0]);
  case StepKind::Reduce: {
    const ReduceStepAttrs &attrs = attrsOf<ReduceStepAttrs>(step);
    return reduce(attrs.op, in[0], attrs.attrs, out[0]);
  }
  case StepKind::Reshape:
    return reshape(in[0], out[0]);
  case StepKind::Transpose:
    return transpose(in[0], attrsOf<TransposeAttrs>(step), out[0]);
  case StepKind::BroadcastTo:
    return broadcastTo(in[0], out[0]);
  case StepKind::Concat:
    return concat(in, attrsOf<ConcatAttrs>(step), out[0]);
  case StepKind::Slice:
    return slice(in[0], attrsOf<SliceAttrs>(step), out[0]);
  case StepKind::Gather:
    return gather(in[0], in[1], attrsOf<GatherAttrs>(step), out[0]);
  case StepKind::Conv2d: {
    std::optional<rt::ConstTensorView> bias;
    if (in.size() > 2)
      bias = in[2];
    return conv2d(in[0], in[1], bias, attrsOf<Conv2dAttrs>(step), out[0]);
  }
  case StepKind::MaxPool2d:
    return maxPool2d(in[0], attrsOf<Pool2dAttrs>(step), out[0]);
  case StepKind::AvgPool2d:
    return avgPool2d(in[0], attrsOf<Pool2dAttrs>(step), out[0]);
  case StepKind::BatchNormEval: {
    if (rt::Error error = batchNormEval(in[0], in[1], in[2], in[3], in[4],
                                        attrsOf<BatchNormAttrs>(step), out[0]);
        !error.ok())
      return error;
    // Evaluation leaves the running statistics as they are.
    if (rt::Error error = copyTensor(in[3], out[1]); !error.ok())
      return error;
    return copyTensor(in[4], out[2]);
  }
  case StepKind::BatchNormTrain:
    return batchNormTrain(in[0], in[1], in[2], in[3], in[4],
                          attrsOf<BatchNormAttrs>(step), out[0], out[1],
                          out[2]);
  case StepKind::Dropout: {
    rt::Expected<DropoutAttrs> attrs = dropoutAttrsOf(step, in);
    if (!attrs)
      return attrs.takeError();
    return dropout(in[0], *attrs, out[0]);
  }
  case StepKind::Mse:
    return mse(in[0], in[1], out[0]);
  case StepKind::BinaryCrossEntropy:
    return binaryCrossEntropy(in[0], in[1], out[0]);
  case StepKind::SoftmaxCrossEntropy:
    return softmaxCrossEntropy(in[0], in[1], out[0]);
  case StepKind::Maximum:
    return maximum(in[0], in[1], out[0]);
  case StepKind::Minimum:
    return minimum(in[0], in[1], out[0]);
  case StepKind::Sign:
    return sign(in[0], out[0]);
  case StepKind::ReluGrad:
    return reluGrad(in[0], in[1], out[0]);
  case StepKind::LeakyReluGrad:
    return leakyReluGrad(in[0], in[1], attrsOf<LeakyReluAttrs>(step), out[0]);
  case StepKind::GeluGrad:
    return geluGrad(in[0], in[1], out[0]);
  case StepKind::ReduceMaxGrad:
    return reduceMaxGrad(in[0], in[1], in[2],
                         attrsOf<ReduceStepAttrs>(step).attrs, out[0]);
  case StepKind::SoftmaxGrad:
    return softmaxGrad(in[0], in[1], attrsOf<SoftmaxAttrs>(step), out[0]);
  case StepKind::LogSoftmaxGrad:
    return logSoftmaxGrad(in[0], in[1], attrsOf<SoftmaxAttrs>(step), out[0]);
  case StepKind::SliceGrad:
    return sliceGrad(in[0], attrsOf<SliceAttrs>(step), out[0]);
  case StepKind::GatherGrad:
    return gatherGrad(in[0], in[1], attrsOf<GatherAttrs>(step), out[0]);
  case StepKind::Conv2dGradInput:
    return conv2dGradInput(in[0], in[1], attrsOf<Conv2dAttrs>(step), out[0]);
  case StepKind::Conv2dGradWeight:
    return conv2dGradWeight(in[0], in[1], attrsOf<Conv2dAttrs>(step), out[0]);
  case StepKind::MaxPool2dGrad:
    return maxPool2dGrad(in[0], in[1], attrsOf<Pool2dAttrs>(step), out[0]);
  case StepKind::AvgPool2dGrad:
    return avgPool2dGrad(in[0], attrsOf<Pool2dAttrs>(step), out[0]);
  case StepKind::BatchNormGrad:
    return batchNormGrad(in[0], in[1], in[2], in[3], in[4],
                         attrsOf<BatchNormGradAttrs>(step), out[0], out[1],
                         out[2]);
  case StepKind::DropoutGrad: {
    rt::Expected<DropoutAttrs> attrs = dropoutAttrsOf(step, in);
    if (!attrs)
      return attrs.takeError();
    return dropoutGrad(in[0], *attrs, out[0]);
  }
  case StepKind::SoftmaxCrossEntropyGrad:
    return softmaxCrossEntropyGrad(in[0], in[1], in[2], out[0]);
  case StepKind::BinaryCrossEntropyGrad:
    return binaryCrossEntropyGrad(in[0], in[1], in[2], out[0]);
  case StepKind::SgdUpdate:
    return sgdUpdate(in[0], in[1], in[2], attrsOf<SgdAttrs>(step), out[0]);
  case StepKind::MomentumUpdate:
    return momentumUpdate(in[0], in[1], in[2], in[3],
                          attrsOf<MomentumAttrs>(step), out[0], out[1]);
  case StepKind::AdamUpdate:
    return adamUpdate(in[0], in[1], in[2], in[3], in[4], in[5],
                      attrsOf<AdamAttrs>(step), out[0], out[1], out[2]);
  case StepKind::Copy:
    return copyTensor(in[0], out[0]);
  }
  return rt::Error::failure("unknown step kind");
}

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

  if (rt::Error error = runKernel(step, in, out); !error.ok())
    return error;
  for (size_t i : redirected) {
    rt::TensorView target = views[static_cast<size_t>(step.outputs[i])];
    if (rt::Error error = copyTensor(out[i], target); !error.ok())
      return error;
  }
  return rt::Error::success();
}

} // namespace

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
