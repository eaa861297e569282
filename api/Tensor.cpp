//===- Tensor.cpp - The API's tensors and .npy files ----------------------===//

#include "api/ApiSupport.h"

#include "runtime/Npy.h"

#include <new>
#include <stdexcept>
#include <utility>

using namespace nnc;

Tensor::Tensor() : storage(std::make_shared<Storage>()) {}

namespace {

/// What a tensor moved from holds: one empty storage for them all, so
/// that a move allocates nothing and cannot fail. It has no elements, so
/// nothing writes to it through data().
const std::shared_ptr<Tensor::Storage> &movedFromStorage() {
  static const std::shared_ptr<Tensor::Storage> empty =
      std::make_shared<Tensor::Storage>();
  return empty;
}

} // namespace

Tensor::Tensor(Tensor &&other) noexcept
    : storage(std::exchange(other.storage, movedFromStorage())) {}

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  if (this != &other)
    storage = std::exchange(other.storage, movedFromStorage());
  return *this;
}

DType Tensor::dtype() const { return toApi(storage->tensor.dtype()); }

const std::vector<int64_t> &Tensor::shape() const { return storage->shape; }

int64_t Tensor::numElements() const { return storage->tensor.numElements(); }

const void *Tensor::data() const { return storage->tensor.rawData(); }

void *Tensor::data() { return storage->tensor.rawData(); }

Status nnc::readNpy(const std::string &path, Tensor &tensor) {
  rt::Expected<rt::Tensor> read = rt::readNpy(path);
  if (!read.ok())
    return failureLine(read.message());
  tensor = TensorAccess::wrap(std::move(*read));
  return Status();
}

namespace {

Status imageTooLarge(const std::string &path, const TensorView &tensor) {
  return failureLine(path + ": cannot allocate the " +
                     std::to_string(TensorAccess::view(tensor).byteSize()) +
                     " bytes of its .npy image");
}

} // namespace

Status nnc::writeNpy(const std::string &path, const TensorView &tensor) {
  if (Status checked = TensorAccess::check("the tensor for " + path, tensor);
      !checked)
    return checked;
  // The image is built in memory, as large as the shape says: a shape the
  // caller's memory does not hold can ask for terabytes.
  try {
    if (rt::Error error = rt::writeNpy(path, TensorAccess::view(tensor));
        !error.ok())
      return failureLine(error.message());
  } catch (const std::bad_alloc &) {
    return imageTooLarge(path, tensor);
  } catch (const std::length_error &) {
    return imageTooLarge(path, tensor);
  }
  return Status();
}

const char *nnc::version() { return NNC_VERSION; }
