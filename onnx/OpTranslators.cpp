//===- OpTranslators.cpp - Which translator takes each ONNX op ------------===//
//
// The table from op type to translator, apart from the translators, which
// live by family: ElementwiseTranslators.cpp, ShapeTranslators.cpp and
// LayerTranslators.cpp. Each translator checks what nnc cannot express (an
// attribute value, a dtype, a dimension that moves the batch) and reports it
// as the node's error; the driver adds the node's name, op type and opset.
// Translators infer shapes, because the generated statements need them (a
// Flatten's extent, a Slice's clamped bounds) and ONNX files rarely record
// them.
//
//===----------------------------------------------------------------------===//

#include "onnx/OpTranslators.h"

#include "onnx/TranslatorSupport.h"

namespace nnc::onnx {
namespace {

using namespace detail;

struct OpEntry {
  const char *opType;
  OpTranslator translator;
};

const OpEntry kOps[] = {
    {"Add", translateBinary},
    {"Sub", translateBinary},
    {"Mul", translateBinary},
    {"Div", translateBinary},
    {"Pow", translateBinary},
    {"Sqrt", translateUnary},
    {"Exp", translateUnary},
    {"Log", translateUnary},
    {"Neg", translateUnary},
    {"Abs", translateUnary},
    {"Relu", translateUnary},
    {"LeakyRelu", translateUnary},
    {"Sigmoid", translateUnary},
    {"Tanh", translateUnary},
    {"Softplus", translateUnary},
    {"Reciprocal", translateUnary},
    {"Erf", translateErf},
    {"Softmax", translateSoftmax},
    {"LogSoftmax", translateSoftmax},
    {"MatMul", translateMatMul},
    {"Gemm", translateGemm},
    {"Conv", translateConv},
    {"MaxPool", translatePool},
    {"AveragePool", translatePool},
    {"GlobalAveragePool", translateGlobalPool},
    {"GlobalMaxPool", translateGlobalPool},
    {"BatchNormalization", translateBatchNorm},
    {"LayerNormalization", translateLayerNorm},
    {"Flatten", translateFlatten},
    {"Reshape", translateReshape},
    {"Unsqueeze", translateUnsqueezeOrSqueeze},
    {"Squeeze", translateUnsqueezeOrSqueeze},
    {"Transpose", translateTranspose},
    {"Concat", translateConcat},
    {"Slice", translateSlice},
    {"Split", translateSplit},
    {"Gather", translateGather},
    {"Expand", translateExpand},
    {"Pad", translatePad},
    {"ReduceMean", translateReduce},
    {"ReduceSum", translateReduce},
    {"ReduceMax", translateReduce},
    {"Where", translateWhere},
    {"Identity", translatePassThrough},
    {"Dropout", translatePassThrough},
    {"Cast", translatePassThrough},
};

} // namespace

OpTranslator findOpTranslator(const std::string &opType) {
  for (const OpEntry &entry : kOps)
    if (opType == entry.opType)
      return entry.translator;
  return nullptr;
}

} // namespace nnc::onnx
