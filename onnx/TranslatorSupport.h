//===- TranslatorSupport.h - What the ONNX op translators share -*- C++ -*-===//
//
// Internal to the translator files (ElementwiseTranslators.cpp,
// ShapeTranslators.cpp, LayerTranslators.cpp) and to the dispatch table in
// OpTranslators.cpp: the few helpers every family uses to read a node's
// inputs and word its errors, and the translators the table lists. The rest
// of the importer goes through OpTranslators.h.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_TRANSLATORSUPPORT_H
#define NNC_ONNX_TRANSLATORSUPPORT_H

#include "onnx/Translation.h"

#include <string>
#include <vector>

namespace nnc::onnx::detail {

/// A statement's operand text, or the error of writing it.
using Expected = rt::Expected<std::string>;

/// The error a translator reports for its node.
inline rt::Error fail(std::string message) {
  return rt::Error::failure(std::move(message));
}

/// `values` as the language writes a list of integers: [1, 2, 3].
inline std::string intList(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

/// The bound value of input `index`, which the driver has checked exists.
inline const Value &inputValue(Translation &translation, const NodeProto &node,
                               int index) {
  return *translation.find(node.input(index));
}

/// Whether input `index` is given; ONNX leaves optional ones out or empty.
inline bool hasInput(const NodeProto &node, int index) {
  return node.input_size() > index && !node.input(index).empty();
}

/// The integer list held by a constant input (axes, shape, starts...).
inline rt::Expected<std::vector<int64_t>> constantInts(Translation &translation,
                                                       const NodeProto &node,
                                                       int index,
                                                       const char *what) {
  const Value &value = inputValue(translation, node, index);
  if (!value.isConstant())
    return rt::Error::failure(std::string(what) +
                              " must be known at import time; it is computed "
                              "from the data");
  // Shape's batch entry holds 0 (Constant::batchEntries): read as a
  // number it would be wrong.
  if (value.constant.anyBatchEntry())
    return rt::Error::failure(std::string(what) + ": " + kBatchAsNumber);
  std::vector<int64_t> list;
  for (size_t i = 0; i < value.constant.size(); ++i)
    list.push_back(value.constant.integer(i));
  return list;
}

/// Whether output `index` is read by anything; unread ones may be empty.
inline bool outputUsed(const NodeProto &node, int index) {
  return node.output_size() > index && !node.output(index).empty();
}

// The translators, each an OpTranslator; OpTranslators.cpp maps op types to
// them. A translator named for several ops reads node.op_type() to choose.

/// Element-wise arithmetic, activations and reductions
/// (ElementwiseTranslators.cpp).
rt::Error translateBinary(Translation &, const NodeProto &, Attributes &);
rt::Error translateUnary(Translation &, const NodeProto &, Attributes &);
rt::Error translateErf(Translation &, const NodeProto &, Attributes &);
rt::Error translateSoftmax(Translation &, const NodeProto &, Attributes &);
rt::Error translateReduce(Translation &, const NodeProto &, Attributes &);
rt::Error translateWhere(Translation &, const NodeProto &, Attributes &);

/// Layers: matrix products, convolution, pooling and normalisation
/// (LayerTranslators.cpp).
rt::Error translateMatMul(Translation &, const NodeProto &, Attributes &);
rt::Error translateGemm(Translation &, const NodeProto &, Attributes &);
rt::Error translateConv(Translation &, const NodeProto &, Attributes &);
rt::Error translatePool(Translation &, const NodeProto &, Attributes &);
rt::Error translateGlobalPool(Translation &, const NodeProto &, Attributes &);
rt::Error translateBatchNorm(Translation &, const NodeProto &, Attributes &);
rt::Error translateLayerNorm(Translation &, const NodeProto &, Attributes &);

/// Shapes and data movement (ShapeTranslators.cpp).
rt::Error translateReshape(Translation &, const NodeProto &, Attributes &);
rt::Error translateFlatten(Translation &, const NodeProto &, Attributes &);
rt::Error translateUnsqueezeOrSqueeze(Translation &, const NodeProto &,
                                      Attributes &);
rt::Error translateTranspose(Translation &, const NodeProto &, Attributes &);
rt::Error translateConcat(Translation &, const NodeProto &, Attributes &);
rt::Error translateSlice(Translation &, const NodeProto &, Attributes &);
rt::Error translateSplit(Translation &, const NodeProto &, Attributes &);
rt::Error translateGather(Translation &, const NodeProto &, Attributes &);
rt::Error translateExpand(Translation &, const NodeProto &, Attributes &);
rt::Error translatePad(Translation &, const NodeProto &, Attributes &);
rt::Error translatePassThrough(Translation &, const NodeProto &, Attributes &);

} // namespace nnc::onnx::detail

#endif // NNC_ONNX_TRANSLATORSUPPORT_H
