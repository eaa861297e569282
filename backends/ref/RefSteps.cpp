//===- RefSteps.cpp - The ref backend's table of steps --------------------===//
//
// The rows, grouped as docs/dsl.md and docs/autodiff.md group the ops.
// Attribute structs shared by a forward op and its gradient op are read by
// one function, so the two agree by construction. Shapes named by
// attributes (`shape`, `input_shape`, `weight_shape`) are not read: the
// result slot's static type is that shape.
//
//===----------------------------------------------------------------------===//

#include "backends/ref/RefSteps.h"

#include "backends/ref/kernels/Attention.h"
#include "backends/ref/kernels/Conv.h"
#include "backends/ref/kernels/ConvGrad.h"
#include "backends/ref/kernels/Dropout.h"
#include "backends/ref/kernels/Elementwise.h"
#include "backends/ref/kernels/ElementwiseGrad.h"
#include "backends/ref/kernels/FeatureNorm.h"
#include "backends/ref/kernels/Loss.h"
#include "backends/ref/kernels/LossGrad.h"
#include "backends/ref/kernels/Matmul.h"
#include "backends/ref/kernels/Norm.h"
#include "backends/ref/kernels/NormGrad.h"
#include "backends/ref/kernels/Optimizer.h"
#include "backends/ref/kernels/Pool.h"
#include "backends/ref/kernels/PoolGrad.h"
#include "backends/ref/kernels/Reduce.h"
#include "backends/ref/kernels/ReduceGrad.h"
#include "backends/ref/kernels/ShapeGrad.h"
#include "backends/ref/kernels/ShapeOps.h"
#include "backends/ref/kernels/Softmax.h"
#include "backends/ref/kernels/SoftmaxGrad.h"

#include <cstring>
#include <limits>
#include <unordered_map>

using namespace nnc;
using namespace nnc::ref;

namespace {

using In = StepInputs;
using Out = StepOutputs;

constexpr size_t kAnyCount = std::numeric_limits<size_t>::max();

struct Arity {
  size_t minInputs, maxInputs, outputs;
};
constexpr Arity fixed(size_t inputs, size_t outputs = 1) {
  return {inputs, inputs, outputs};
}

/// A row whose kernel takes the attribute struct `Attrs` that `read` fills.
template <typename Attrs>
StepRow
row(std::string op, Arity arity, std::function<Attrs(AttrReader &)> read,
    std::function<rt::Error(const Attrs &, const In &, const Out &)> run) {
  StepRow result;
  result.op = std::move(op);
  result.minInputs = arity.minInputs;
  result.maxInputs = arity.maxInputs;
  result.outputs = arity.outputs;
  result.prepare = [read](const StepAttrs &attrs) -> rt::Expected<std::any> {
    AttrReader reader(attrs);
    Attrs value = read(reader);
    if (rt::Error error = reader.error(); !error.ok())
      return error;
    return std::any(std::move(value));
  };
  result.run = [run](const std::any &attrs, const In &in, const Out &out) {
    return run(*std::any_cast<Attrs>(&attrs), in, out);
  };
  return result;
}

/// A row whose kernel has no attributes.
StepRow plain(std::string op, Arity arity,
              std::function<rt::Error(const In &, const Out &)> run) {
  return row<std::monostate>(
      std::move(op), arity, [](AttrReader &) { return std::monostate{}; },
      [run](const std::monostate &, const In &in, const Out &out) {
        return run(in, out);
      });
}

// Readers of the attribute structs, by the ops' ODS attribute names.

LeakyReluAttrs leakyReluAttrs(AttrReader &r) { return {r.real("alpha")}; }
SoftmaxAttrs softmaxAttrs(AttrReader &r) { return {r.integer("axis")}; }
/// softmax_cross_entropy's label that marks a position to leave out.
struct IgnoreIndexAttrs {
  int64_t ignoreIndex = -100;
};
IgnoreIndexAttrs ignoreIndexAttrs(AttrReader &r) {
  // Format-2 executables from before ignore_index: every label counts, as
  // the default -100 (never a valid label) gives.
  return {r.integerAddedLater("ignore_index", -100)};
}
ReduceAttrs reduceAttrs(AttrReader &r) {
  ReduceAttrs attrs;
  attrs.axes = r.ints("axes");
  attrs.keepDims = r.flag("keepdims");
  return attrs;
}
SliceAttrs sliceAttrs(AttrReader &r) {
  return {r.ints("axes"), r.ints("starts"), r.ints("ends"), r.ints("steps")};
}
GatherAttrs gatherAttrs(AttrReader &r) { return {r.integer("axis")}; }
Conv2dAttrs conv2dAttrs(AttrReader &r) {
  Conv2dAttrs attrs;
  attrs.stride = r.pair("stride");
  attrs.padding = r.pair("padding");
  attrs.dilation = r.pair("dilation");
  attrs.groups = r.integer("groups");
  return attrs;
}
/// max_pool2d has no `count_include_pad`; its kernels ignore the field.
Pool2dAttrs pool2dAttrs(AttrReader &r, bool hasCountIncludePad) {
  Pool2dAttrs attrs;
  attrs.kernel = r.pair("kernel");
  attrs.stride = r.optionalPair("stride");
  attrs.padding = r.pair("padding");
  if (hasCountIncludePad)
    attrs.countIncludePad = r.flag("count_include_pad");
  return attrs;
}
Pool2dAttrs maxPoolAttrs(AttrReader &r) { return pool2dAttrs(r, false); }
Pool2dAttrs avgPoolAttrs(AttrReader &r) { return pool2dAttrs(r, true); }

struct BatchNormStepAttrs {
  BatchNormAttrs attrs;
  bool training = false;
};
BatchNormStepAttrs batchNormAttrs(AttrReader &r) {
  return {{r.real("eps"), r.real("momentum")}, r.flag("training")};
}

LayerNormAttrs layerNormAttrs(AttrReader &r) { return {r.real("eps")}; }
AttentionAttrs attentionAttrs(AttrReader &r) {
  return {r.flag("causal"), r.real("scale")};
}
/// The optional operand at `index`, when it was given.
std::optional<rt::ConstTensorView> optionalInput(const In &in, size_t index) {
  if (in.size() > index)
    return in[index];
  return std::nullopt;
}

DropoutAttrs dropoutAttrs(AttrReader &r) {
  DropoutAttrs attrs;
  attrs.rate = r.real("rate");
  attrs.seed = static_cast<uint64_t>(r.integer("seed"));
  // Without a step operand every run draws the mask of step 0; with one,
  // the step is read from input 1 at run time.
  attrs.step = 0;
  attrs.training = r.flag("training");
  return attrs;
}

/// `attrs` with the step counter of input 1, when given (a scalar i64 or
/// i32), in place of step 0.
rt::Expected<DropoutAttrs> withStepCounter(const char *op, DropoutAttrs attrs,
                                           const In &in) {
  if (in.size() < 2)
    return attrs;
  const rt::ConstTensorView &counter = in[1];
  if (counter.rank() != 0)
    return rt::Error::failure(std::string(op) + ": step has shape " +
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
    return rt::Error::failure(std::string(op) + ": step has dtype " +
                              rt::dtypeName(counter.dtype()) +
                              ", expected i64");
  }
}

void addElementwiseRows(std::vector<StepRow> &rows) {
  for (int i = 0; i < kNumUnaryOps; ++i) {
    auto op = static_cast<UnaryOp>(i);
    rows.push_back(row<UnaryOp>(
        std::string("nn.") + nameOf(op), fixed(1),
        [op](AttrReader &) { return op; },
        [](UnaryOp op, const In &in, const Out &out) {
          return unary(op, in[0], out[0]);
        }));
  }
  for (int i = 0; i < kNumBinaryOps; ++i) {
    auto op = static_cast<BinaryOp>(i);
    rows.push_back(row<BinaryOp>(
        std::string("nn.") + nameOf(op), fixed(2),
        [op](AttrReader &) { return op; },
        [](BinaryOp op, const In &in, const Out &out) {
          return binary(op, in[0], in[1], out[0]);
        }));
  }
  rows.push_back(plain("nn.where", fixed(3), [](const In &in, const Out &out) {
    return where(in[0], in[1], in[2], out[0]);
  }));
  rows.push_back(row<LeakyReluAttrs>(
      "nn.leaky_relu", fixed(1), leakyReluAttrs,
      [](const LeakyReluAttrs &attrs, const In &in, const Out &out) {
        return leakyRelu(in[0], attrs, out[0]);
      }));
}

void addTensorRows(std::vector<StepRow> &rows) {
  rows.push_back(row<MatmulAttrs>(
      "nn.matmul", fixed(2),
      [](AttrReader &r) {
        return MatmulAttrs{r.flag("transpose_lhs"), r.flag("transpose_rhs")};
      },
      [](const MatmulAttrs &attrs, const In &in, const Out &out) {
        return matmul(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<SoftmaxAttrs>(
      "nn.softmax", fixed(1), softmaxAttrs,
      [](const SoftmaxAttrs &attrs, const In &in, const Out &out) {
        return softmax(in[0], attrs, out[0]);
      }));
  rows.push_back(row<SoftmaxAttrs>(
      "nn.log_softmax", fixed(1), softmaxAttrs,
      [](const SoftmaxAttrs &attrs, const In &in, const Out &out) {
        return logSoftmax(in[0], attrs, out[0]);
      }));
  for (auto [name, op] : {std::pair{"nn.reduce_sum", ReduceOp::Sum},
                          {"nn.reduce_mean", ReduceOp::Mean},
                          {"nn.reduce_max", ReduceOp::Max}}) {
    ReduceOp kind = op;
    rows.push_back(row<ReduceAttrs>(
        name, fixed(1), reduceAttrs,
        [kind](const ReduceAttrs &attrs, const In &in, const Out &out) {
          return reduce(kind, in[0], attrs, out[0]);
        }));
  }
  rows.push_back(
      plain("nn.reshape", fixed(1), [](const In &in, const Out &out) {
        return reshape(in[0], out[0]);
      }));
  rows.push_back(row<TransposeAttrs>(
      "nn.transpose", fixed(1),
      [](AttrReader &r) { return TransposeAttrs{r.ints("perm")}; },
      [](const TransposeAttrs &attrs, const In &in, const Out &out) {
        return transpose(in[0], attrs, out[0]);
      }));
  rows.push_back(
      plain("nn.broadcast_to", fixed(1), [](const In &in, const Out &out) {
        return broadcastTo(in[0], out[0]);
      }));
  rows.push_back(row<ConcatAttrs>(
      "nn.concat", {1, kAnyCount, 1},
      [](AttrReader &r) { return ConcatAttrs{r.integer("axis")}; },
      [](const ConcatAttrs &attrs, const In &in, const Out &out) {
        return concat(in, attrs, out[0]);
      }));
  rows.push_back(row<SliceAttrs>(
      "nn.slice", fixed(1), sliceAttrs,
      [](const SliceAttrs &attrs, const In &in, const Out &out) {
        return slice(in[0], attrs, out[0]);
      }));
  rows.push_back(row<GatherAttrs>(
      "nn.gather", fixed(2), gatherAttrs,
      [](const GatherAttrs &attrs, const In &in, const Out &out) {
        return gather(in[0], in[1], attrs, out[0]);
      }));
}

void addLayerRows(std::vector<StepRow> &rows) {
  rows.push_back(row<Conv2dAttrs>(
      "nn.conv2d", {2, 3, 1}, conv2dAttrs,
      [](const Conv2dAttrs &attrs, const In &in, const Out &out) {
        return conv2d(in[0], in[1], optionalInput(in, 2), attrs, out[0]);
      }));
  rows.push_back(row<Pool2dAttrs>(
      "nn.max_pool2d", fixed(1), maxPoolAttrs,
      [](const Pool2dAttrs &attrs, const In &in, const Out &out) {
        return maxPool2d(in[0], attrs, out[0]);
      }));
  rows.push_back(row<Pool2dAttrs>(
      "nn.avg_pool2d", fixed(1), avgPoolAttrs,
      [](const Pool2dAttrs &attrs, const In &in, const Out &out) {
        return avgPool2d(in[0], attrs, out[0]);
      }));
  // Outputs y, new_mean, new_var.
  rows.push_back(row<BatchNormStepAttrs>(
      "nn.batch_norm", fixed(5, 3), batchNormAttrs,
      [](const BatchNormStepAttrs &attrs, const In &in,
         const Out &out) -> rt::Error {
        if (attrs.training)
          return batchNormTrain(in[0], in[1], in[2], in[3], in[4], attrs.attrs,
                                out[0], out[1], out[2]);
        if (rt::Error error = batchNormEval(in[0], in[1], in[2], in[3], in[4],
                                            attrs.attrs, out[0]);
            !error.ok())
          return error;
        // Evaluation leaves the running statistics as they are.
        if (rt::Error error = copyBytes(in[3], out[1]); !error.ok())
          return error;
        return copyBytes(in[4], out[2]);
      }));
  rows.push_back(row<AttentionAttrs>(
      "nn.scaled_dot_product_attention", {3, 4, 1}, attentionAttrs,
      [](const AttentionAttrs &attrs, const In &in, const Out &out) {
        return attention(in[0], in[1], in[2], optionalInput(in, 3), attrs,
                         out[0]);
      }));
  rows.push_back(row<LayerNormAttrs>(
      "nn.layer_norm", fixed(3), layerNormAttrs,
      [](const LayerNormAttrs &attrs, const In &in, const Out &out) {
        return layerNorm(in[0], in[1], in[2], attrs, out[0]);
      }));
  rows.push_back(row<LayerNormAttrs>(
      "nn.rms_norm", fixed(2), layerNormAttrs,
      [](const LayerNormAttrs &attrs, const In &in, const Out &out) {
        return rmsNorm(in[0], in[1], attrs, out[0]);
      }));
  // Input 1, when present, is the training step's counter.
  rows.push_back(row<DropoutAttrs>(
      "nn.dropout", {1, 2, 1}, dropoutAttrs,
      [](const DropoutAttrs &attrs, const In &in, const Out &out) {
        rt::Expected<DropoutAttrs> now = withStepCounter("dropout", attrs, in);
        if (!now)
          return now.takeError();
        return dropout(in[0], *now, out[0]);
      }));
  rows.push_back(plain("nn.mse", fixed(2), [](const In &in, const Out &out) {
    return mse(in[0], in[1], out[0]);
  }));
  rows.push_back(plain("nn.binary_cross_entropy", fixed(2),
                       [](const In &in, const Out &out) {
                         return binaryCrossEntropy(in[0], in[1], out[0]);
                       }));
  rows.push_back(row<IgnoreIndexAttrs>(
      "nn.softmax_cross_entropy", fixed(2), ignoreIndexAttrs,
      [](const IgnoreIndexAttrs &attrs, const In &in, const Out &out) {
        return softmaxCrossEntropy(in[0], in[1], attrs.ignoreIndex, out[0]);
      }));
}

/// The backward ops of docs/autodiff.md.
void addGradientRows(std::vector<StepRow> &rows) {
  rows.push_back(
      plain("nn.maximum", fixed(2), [](const In &in, const Out &out) {
        return maximum(in[0], in[1], out[0]);
      }));
  rows.push_back(
      plain("nn.minimum", fixed(2), [](const In &in, const Out &out) {
        return minimum(in[0], in[1], out[0]);
      }));
  rows.push_back(plain("nn.sign", fixed(1), [](const In &in, const Out &out) {
    return sign(in[0], out[0]);
  }));
  rows.push_back(
      plain("nn.relu_grad", fixed(2), [](const In &in, const Out &out) {
        return reluGrad(in[0], in[1], out[0]);
      }));
  rows.push_back(row<LeakyReluAttrs>(
      "nn.leaky_relu_grad", fixed(2), leakyReluAttrs,
      [](const LeakyReluAttrs &attrs, const In &in, const Out &out) {
        return leakyReluGrad(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(
      plain("nn.gelu_grad", fixed(2), [](const In &in, const Out &out) {
        return geluGrad(in[0], in[1], out[0]);
      }));
  rows.push_back(row<ReduceAttrs>(
      "nn.reduce_max_grad", fixed(3), reduceAttrs,
      [](const ReduceAttrs &attrs, const In &in, const Out &out) {
        return reduceMaxGrad(in[0], in[1], in[2], attrs, out[0]);
      }));
  rows.push_back(row<SoftmaxAttrs>(
      "nn.softmax_grad", fixed(2), softmaxAttrs,
      [](const SoftmaxAttrs &attrs, const In &in, const Out &out) {
        return softmaxGrad(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<SoftmaxAttrs>(
      "nn.log_softmax_grad", fixed(2), softmaxAttrs,
      [](const SoftmaxAttrs &attrs, const In &in, const Out &out) {
        return logSoftmaxGrad(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<SliceAttrs>(
      "nn.slice_grad", fixed(1), sliceAttrs,
      [](const SliceAttrs &attrs, const In &in, const Out &out) {
        return sliceGrad(in[0], attrs, out[0]);
      }));
  rows.push_back(row<GatherAttrs>(
      "nn.gather_grad", fixed(2), gatherAttrs,
      [](const GatherAttrs &attrs, const In &in, const Out &out) {
        return gatherGrad(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<Conv2dAttrs>(
      "nn.conv2d_grad_input", fixed(2), conv2dAttrs,
      [](const Conv2dAttrs &attrs, const In &in, const Out &out) {
        return conv2dGradInput(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<Conv2dAttrs>(
      "nn.conv2d_grad_weight", fixed(2), conv2dAttrs,
      [](const Conv2dAttrs &attrs, const In &in, const Out &out) {
        return conv2dGradWeight(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<Pool2dAttrs>(
      "nn.max_pool2d_grad", fixed(2), maxPoolAttrs,
      [](const Pool2dAttrs &attrs, const In &in, const Out &out) {
        return maxPool2dGrad(in[0], in[1], attrs, out[0]);
      }));
  rows.push_back(row<Pool2dAttrs>(
      "nn.avg_pool2d_grad", fixed(1), avgPoolAttrs,
      [](const Pool2dAttrs &attrs, const In &in, const Out &out) {
        return avgPool2dGrad(in[0], attrs, out[0]);
      }));
  // Outputs dx, dgamma, dbeta.
  rows.push_back(row<AttentionAttrs>(
      "nn.scaled_dot_product_attention_grad", {5, 6, 3}, attentionAttrs,
      [](const AttentionAttrs &attrs, const In &in, const Out &out) {
        return attentionGrad(in[0], in[1], in[2], in[3], in[4],
                             optionalInput(in, 5), attrs, out[0], out[1],
                             out[2]);
      }));
  rows.push_back(row<LayerNormAttrs>(
      "nn.layer_norm_grad", fixed(3, 3), layerNormAttrs,
      [](const LayerNormAttrs &attrs, const In &in, const Out &out) {
        return layerNormGrad(in[0], in[1], in[2], attrs, out[0], out[1],
                             out[2]);
      }));
  rows.push_back(row<LayerNormAttrs>(
      "nn.rms_norm_grad", fixed(3, 2), layerNormAttrs,
      [](const LayerNormAttrs &attrs, const In &in, const Out &out) {
        return rmsNormGrad(in[0], in[1], in[2], attrs, out[0], out[1]);
      }));
  // Outputs dx, dgamma, dbeta.
  rows.push_back(row<BatchNormGradAttrs>(
      "nn.batch_norm_grad", fixed(5, 3),
      [](AttrReader &r) {
        return BatchNormGradAttrs{r.real("eps"), r.flag("training")};
      },
      [](const BatchNormGradAttrs &attrs, const In &in, const Out &out) {
        return batchNormGrad(in[0], in[1], in[2], in[3], in[4], attrs, out[0],
                             out[1], out[2]);
      }));
  rows.push_back(row<DropoutAttrs>(
      "nn.dropout_grad", {1, 2, 1}, dropoutAttrs,
      [](const DropoutAttrs &attrs, const In &in, const Out &out) {
        rt::Expected<DropoutAttrs> now =
            withStepCounter("dropout_grad", attrs, in);
        if (!now)
          return now.takeError();
        return dropoutGrad(in[0], *now, out[0]);
      }));
  rows.push_back(row<IgnoreIndexAttrs>(
      "nn.softmax_cross_entropy_grad", fixed(3), ignoreIndexAttrs,
      [](const IgnoreIndexAttrs &attrs, const In &in, const Out &out) {
        return softmaxCrossEntropyGrad(in[0], in[1], in[2], attrs.ignoreIndex,
                                       out[0]);
      }));
  rows.push_back(plain("nn.binary_cross_entropy_grad", fixed(3),
                       [](const In &in, const Out &out) {
                         return binaryCrossEntropyGrad(in[0], in[1], in[2],
                                                       out[0]);
                       }));
}

void addOptimizerRows(std::vector<StepRow> &rows) {
  rows.push_back(row<SgdAttrs>(
      "nn.sgd_update", fixed(3),
      [](AttrReader &r) { return SgdAttrs{r.real("weight_decay")}; },
      [](const SgdAttrs &attrs, const In &in, const Out &out) {
        return sgdUpdate(in[0], in[1], in[2], attrs, out[0]);
      }));
  // Outputs param', velocity'.
  rows.push_back(row<MomentumAttrs>(
      "nn.momentum_update", fixed(4, 2),
      [](AttrReader &r) {
        return MomentumAttrs{r.real("momentum"), r.real("weight_decay"),
                             r.flag("nesterov")};
      },
      [](const MomentumAttrs &attrs, const In &in, const Out &out) {
        return momentumUpdate(in[0], in[1], in[2], in[3], attrs, out[0],
                              out[1]);
      }));
  // Outputs param', m', v'.
  rows.push_back(row<AdamAttrs>(
      "nn.adam_update", fixed(6, 3),
      [](AttrReader &r) {
        return AdamAttrs{r.real("beta1"), r.real("beta2"), r.real("eps"),
                         r.real("weight_decay"), r.flag("decoupled")};
      },
      [](const AdamAttrs &attrs, const In &in, const Out &out) {
        return adamUpdate(in[0], in[1], in[2], in[3], in[4], in[5], attrs,
                          out[0], out[1], out[2]);
      }));
}

std::vector<StepRow> buildRows() {
  std::vector<StepRow> rows;
  addElementwiseRows(rows);
  addTensorRows(rows);
  addLayerRows(rows);
  addGradientRows(rows);
  addOptimizerRows(rows);
  // Results that are arguments, constants or a value returned twice.
  rows.push_back(plain("copy", fixed(1), [](const In &in, const Out &out) {
    return copyBytes(in[0], out[0]);
  }));
  return rows;
}

} // namespace

rt::Error nnc::ref::copyBytes(rt::ConstTensorView from, rt::TensorView to) {
  if (from.byteSize() != to.byteSize())
    return rt::Error::failure(
        "copy: cannot copy " + rt::typeToString(from.dtype(), from.shape()) +
        " into " + rt::typeToString(to.dtype(), to.shape()));
  if (to.byteSize() != 0)
    std::memmove(to.rawData(), from.rawData(), to.byteSize());
  return rt::Error::success();
}

const std::vector<StepRow> &nnc::ref::allStepRows() {
  static const std::vector<StepRow> rows = buildRows();
  return rows;
}

const StepRow *nnc::ref::findStepRow(std::string_view name) {
  static const std::unordered_map<std::string_view, const StepRow *> byName =
      [] {
        std::unordered_map<std::string_view, const StepRow *> map;
        for (const StepRow &row : allStepRows())
          map.emplace(row.op, &row);
        return map;
      }();
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}
