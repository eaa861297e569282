//===- ApiSupport.cpp - Between the public API and the runtime ------------===//
//
// Compiled into libnnc and libnnc_compiler alike: each library hides its
// own copy of the runtime, so each needs its own conversions.
//
//===----------------------------------------------------------------------===//

#include "api/ApiSupport.h"

#include "support/ShortText.h"

#include <cassert>

using namespace nnc;

Tensor TensorAccess::wrap(rt::Tensor tensor) {
  Tensor result;
  result.storage->shape.assign(tensor.shape().begin(), tensor.shape().end());
  result.storage->tensor = std::move(tensor);
  return result;
}

Status nnc::failureLine(const std::string &message) {
  std::string line = shortened(message);
  for (char &c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  return Status::failure(std::move(line));
}

Status nnc::failureOf(const rt::Error &error) {
  if (error.isRendered())
    return Status::failure(shortened(error.message(), 16 * kMaxMessageBytes));
  return failureLine(error.message());
}

Status TensorAccess::check(const std::string &what, const TensorView &view) {
  rt::Expected<rt::DType> dtype = toRuntime(view.dtype);
  if (!dtype.ok())
    return failureLine(what + ": " + dtype.message());
  rt::Expected<int64_t> count = rt::checkedElementCount(
      rt::Shape(view.shape.begin(), view.shape.end()), rt::dtypeSize(*dtype));
  if (!count.ok())
    return failureLine(what + ": " + count.message());
  if (!view.data && *count != 0)
    return failureLine(what + " has no data");
  return Status();
}

rt::ConstTensorView TensorAccess::view(const TensorView &view) {
  rt::Expected<rt::DType> dtype = toRuntime(view.dtype);
  assert(dtype.ok() && "a view used before TensorAccess::check");
  return rt::ConstTensorView(static_cast<const std::byte *>(view.data), *dtype,
                             rt::Shape(view.shape.begin(), view.shape.end()));
}

DType nnc::toApi(rt::DType dtype) {
  switch (dtype) {
  case rt::DType::F32:
    return DType::F32;
  case rt::DType::F64:
    return DType::F64;
  case rt::DType::I32:
    return DType::I32;
  case rt::DType::I64:
    return DType::I64;
  case rt::DType::U8:
    return DType::U8;
  }
  return DType::F32;
}

rt::Expected<rt::DType> nnc::toRuntime(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return rt::DType::F32;
  case DType::F64:
    return rt::DType::F64;
  case DType::I32:
    return rt::DType::I32;
  case DType::I64:
    return rt::DType::I64;
  case DType::U8:
    return rt::DType::U8;
  }
  return rt::Error::failure("unknown dtype " +
                            std::to_string(static_cast<int>(dtype)));
}
