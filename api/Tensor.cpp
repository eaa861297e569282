//===- Tensor.cpp - The API's tensors and .npy files ----------------------===//

#include "api/ApiSupport.h"

#include "runtime/Npy.h"

using namespace nnc;

Tensor::Tensor() : storage(std::make_shared<Storage>()) {}

DType Tensor::dtype() const { return toApi(storage->tensor.dtype()); }

const std::vector<int64_t> &Tensor::shape() const { return storage->shape; }

int64_t Tensor::numElements() const { return storage->tensor.numElements(); }

const void *Tensor::data() const { return storage->tensor.rawData(); }

void *Tensor::data() { return storage->tensor.rawData(); }

Tensor TensorAccess::wrap(rt::Tensor tensor) {
  Tensor result;
  result.storage->shape.assign(tensor.shape().begin(), tensor.shape().end());
  result.storage->tensor = std::move(tensor);
  return result;
}

rt::ConstTensorView TensorAccess::view(const TensorView &view) {
  return rt::ConstTensorView(static_cast<const std::byte *>(view.data),
                             toRuntime(view.dtype),
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

rt::DType nnc::toRuntime(DType dtype) {
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
  return rt::DType::F32;
}

Status nnc::readNpy(const std::string &path, Tensor &tensor) {
  rt::Expected<rt::Tensor> read = rt::readNpy(path);
  if (!read.ok())
    return Status::failure(read.message());
  tensor = TensorAccess::wrap(std::move(*read));
  return Status();
}

Status nnc::writeNpy(const std::string &path, const TensorView &tensor) {
  if (rt::Error error = rt::writeNpy(path, TensorAccess::view(tensor));
      !error.ok())
    return Status::failure(error.message());
  return Status();
}

const char *nnc::version() { return NNC_VERSION; }
