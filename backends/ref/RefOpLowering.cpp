//===- RefOpLowering.cpp - Forward nn ops to interpreter steps ------------===//

#include "backends/ref/RefOpLowering.h"

#include "ir/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::ref;

FailureOr<std::array<int64_t, 2>>
nnc::ref::pairOf(Operation *op, StringRef name, ArrayRef<int64_t> values) {
  if (values.size() != 2)
    return op->emitOpError("expected two values in '") << name << "'";
  return std::array<int64_t, 2>{values[0], values[1]};
}

LogicalResult nnc::ref::lowerOpToStep(Operation *op, Step &step) {
  auto unaryStep = [&](UnaryOp kind) {
    step.kind = StepKind::Unary;
    step.attrs = kind;
    return success();
  };
  auto binaryStep = [&](BinaryOp kind) {
    step.kind = StepKind::Binary;
    step.attrs = kind;
    return success();
  };
  auto plainStep = [&](StepKind kind) {
    step.kind = kind;
    return success();
  };
  auto reduceStep = [&](ReduceOp kind, ArrayRef<int64_t> axes, bool keepDims) {
    ReduceStepAttrs attrs;
    attrs.op = kind;
    attrs.attrs.axes.assign(axes.begin(), axes.end());
    attrs.attrs.keepDims = keepDims;
    step.kind = StepKind::Reduce;
    step.attrs = std::move(attrs);
    return success();
  };
  auto poolStep = [&](auto pool, StepKind kind,
                      bool countIncludePad) -> LogicalResult {
    FailureOr<Pool2dAttrs> attrs = pool2dAttrsOf(pool);
    if (failed(attrs))
      return failure();
    attrs->countIncludePad = countIncludePad;
    step.kind = kind;
    step.attrs = *attrs;
    return success();
  };

  // The unary maps without attributes, found by their op's name.
  if (auto elementwise = dyn_cast<nn::ElementwiseOpInterface>(op);
      elementwise && elementwise.isUnaryElementwise() &&
      op->getAttrDictionary().empty())
    if (std::optional<UnaryOp> kind =
            unaryOpNamed(op->getName().stripDialect().str()))
      return unaryStep(*kind);

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](nn::AddOp) { return binaryStep(BinaryOp::Add); })
      .Case([&](nn::SubOp) { return binaryStep(BinaryOp::Sub); })
      .Case([&](nn::MulOp) { return binaryStep(BinaryOp::Mul); })
      .Case([&](nn::DivOp) { return binaryStep(BinaryOp::Div); })
      .Case([&](nn::PowOp) { return binaryStep(BinaryOp::Pow); })
      .Case([&](nn::LeakyReluOp leaky) {
        step.kind = StepKind::LeakyRelu;
        step.attrs = LeakyReluAttrs{leaky.getAlpha().convertToDouble()};
        return success();
      })
      .Case([&](nn::MatmulOp matmul) {
        step.kind = StepKind::Matmul;
        step.attrs =
            MatmulAttrs{matmul.getTransposeLhs(), matmul.getTransposeRhs()};
        return success();
      })
      .Case([&](nn::SoftmaxOp softmax) {
        step.kind = StepKind::Softmax;
        step.attrs = SoftmaxAttrs{softmax.getAxisAttr().getInt()};
        return success();
      })
      .Case([&](nn::LogSoftmaxOp logSoftmax) {
        step.kind = StepKind::LogSoftmax;
        step.attrs = SoftmaxAttrs{logSoftmax.getAxisAttr().getInt()};
        return success();
      })
      .Case([&](nn::ReduceSumOp sum) {
        return reduceStep(ReduceOp::Sum, sum.getAxes(), sum.getKeepdims());
      })
      .Case([&](nn::ReduceMeanOp mean) {
        return reduceStep(ReduceOp::Mean, mean.getAxes(), mean.getKeepdims());
      })
      .Case([&](nn::ReduceMaxOp max) {
        return reduceStep(ReduceOp::Max, max.getAxes(), max.getKeepdims());
      })
      .Case([&](nn::ReshapeOp) { return plainStep(StepKind::Reshape); })
      .Case([&](nn::TransposeOp transpose) {
        ArrayRef<int64_t> perm = transpose.getPerm();
        step.kind = StepKind::Transpose;
        step.attrs = TransposeAttrs{{perm.begin(), perm.end()}};
        return success();
      })
      .Case([&](nn::BroadcastToOp) { return plainStep(StepKind::BroadcastTo); })
      .Case([&](nn::ConcatOp concat) {
        step.kind = StepKind::Concat;
        step.attrs = ConcatAttrs{concat.getAxisAttr().getInt()};
        return success();
      })
      .Case([&](nn::SliceOp slice) {
        SliceAttrs attrs;
        attrs.axes.assign(slice.getAxes().begin(), slice.getAxes().end());
        attrs.starts.assign(slice.getStarts().begin(), slice.getStarts().end());
        attrs.ends.assign(slice.getEnds().begin(), slice.getEnds().end());
        attrs.steps.assign(slice.getSteps().begin(), slice.getSteps().end());
        step.kind = StepKind::Slice;
        step.attrs = std::move(attrs);
        return success();
      })
      .Case([&](nn::GatherOp gather) {
        step.kind = StepKind::Gather;
        step.attrs = GatherAttrs{gather.getAxisAttr().getInt()};
        return success();
      })
      .Case([&](nn::Conv2dOp conv) -> LogicalResult {
        FailureOr<Conv2dAttrs> attrs = conv2dAttrsOf(conv);
        if (failed(attrs))
          return failure();
        step.kind = StepKind::Conv2d;
        step.attrs = *attrs;
        return success();
      })
      .Case([&](nn::MaxPool2dOp pool) {
        return poolStep(pool, StepKind::MaxPool2d, true);
      })
      .Case([&](nn::AvgPool2dOp pool) {
        return poolStep(pool, StepKind::AvgPool2d, pool.getCountIncludePad());
      })
      .Case([&](nn::BatchNormOp norm) {
        BatchNormAttrs attrs;
        attrs.eps = norm.getEps().convertToDouble();
        attrs.momentum = norm.getMomentum().convertToDouble();
        step.kind = norm.getTraining() ? StepKind::BatchNormTrain
                                       : StepKind::BatchNormEval;
        step.attrs = attrs;
        return success();
      })
      .Case([&](nn::DropoutOp drop) {
        DropoutAttrs attrs;
        attrs.rate = drop.getRate().convertToDouble();
        attrs.seed = static_cast<uint64_t>(drop.getSeedAttr().getInt());
        // Without a step operand every run draws the mask of step 0; with
        // one, the program reads the step from the step's second input.
        attrs.step = 0;
        attrs.training = drop.getTraining();
        step.kind = StepKind::Dropout;
        step.attrs = attrs;
        return success();
      })
      .Case([&](nn::MseOp) { return plainStep(StepKind::Mse); })
      .Case([&](nn::BinaryCrossEntropyOp) {
        return plainStep(StepKind::BinaryCrossEntropy);
      })
      .Case([&](nn::SoftmaxCrossEntropyOp) {
        return plainStep(StepKind::SoftmaxCrossEntropy);
      })
      .Default([&](Operation *other) { return lowerTrainingOp(other, step); });
}
