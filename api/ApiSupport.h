//===- ApiSupport.h - Between the public API and the runtime ----*- C++ -*-===//
//
// What the API's sources share and its users never see: the storage of a
// Tensor (a runtime tensor), and the conversions of dtypes and views.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_API_APISUPPORT_H
#define NNC_API_APISUPPORT_H

#include "api/nnc.h"

#include "runtime/Tensor.h"

namespace nnc {

struct Tensor::Storage {
  rt::Tensor tensor;
  /// The shape in the API's type, kept so shape() can return a reference.
  std::vector<int64_t> shape{0};
};

struct TensorAccess {
  static Tensor wrap(rt::Tensor tensor);
  static rt::ConstTensorView view(const TensorView &view);
};

DType toApi(rt::DType dtype);
rt::DType toRuntime(DType dtype);

} // namespace nnc

#endif // NNC_API_APISUPPORT_H
