//===- nnc.h - Embedding compiled nnc models in C++ -------------*- C++ -*-===//
//
// The C++ API of libnnc: load a compiled artifact (`nnc compile MODEL.nn
// -o FILE.nnx`) and run it, with the runtime alone: no compiler, no MLIR or
// LLVM. The artifact's backend is loaded from the install's runtime-only
// plugins, as `nnc-run` loads it, and a run gives the bytes `nnc run
// FILE.nnx` gives.
//
//   #include <nnc/nnc.h>
//   nnc::Status status;
//   std::unique_ptr<nnc::Model> model = nnc::Model::load("mlp.nnx", status);
//   std::map<std::string, nnc::Tensor> results;
//   status = model->run({{"x", {pixels.data(), nnc::DType::F32, {1, 64}}}},
//                       results);
//
// Nothing here prints or exits: every failure is a Status with a one-line
// message. See docs/embedding.md; find_package(nnc) gives the target
// nnc::nnc.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_API_NNC_H
#define NNC_API_NNC_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

// The library's exported symbols (it hides everything else).
#define NNC_API __attribute__((visibility("default")))

namespace nnc {

/// Element types, as in the model language and in .npy files.
enum class DType { F32, F64, I32, I64, U8 };

/// Success, or a failure with a one-line message.
class Status {
public:
  Status() = default;
  static Status failure(std::string message) {
    Status status;
    status.failed = true;
    status.text = std::move(message);
    return status;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

/// Memory the caller owns, read as a tensor: dense, C order. Checked
/// before it is read: the dtype must be one of the enum's, no extent
/// negative, and `data` set unless the shape has no elements.
struct TensorView {
  const void *data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// A tensor whose memory nnc allocated (64-byte aligned): a result, or a
/// file read. Copies share the memory. A new tensor, and one moved from, is
/// an empty f32[0].
class NNC_API Tensor {
public:
  Tensor();
  Tensor(const Tensor &) = default;
  Tensor &operator=(const Tensor &) = default;
  Tensor(Tensor &&other) noexcept;
  Tensor &operator=(Tensor &&other) noexcept;
  DType dtype() const;
  const std::vector<int64_t> &shape() const;
  int64_t numElements() const;
  const void *data() const;
  void *data();
  /// The elements as T, which must match dtype() (float for F32, ...).
  template <typename T> const T *dataAs() const {
    return static_cast<const T *>(data());
  }
  TensorView view() const { return {data(), dtype(), shape()}; }

  struct Storage;

private:
  friend struct TensorAccess;
  std::shared_ptr<Storage> storage;
};

/// An input or output of a model, as the artifact declares it.
struct Port {
  std::string name;
  DType dtype = DType::F32;
  /// With the batch dimension at the artifact's batch size.
  std::vector<int64_t> shape;
  /// True when the leading dimension follows the batch: the batch itself,
  /// or for an output a multiple or share of it (after a reshape).
  bool batched = false;
};

struct LoadOptions {
  /// Most threads a run uses; 0: every core.
  unsigned threads = 0;
  /// Backend plugin files to consider besides the install's.
  std::vector<std::string> plugins;
};

/// A compiled artifact, loaded and ready to run.
class NNC_API Model {
public:
  /// Loads `path`: the file is checked, its backend's plugin loaded (the
  /// runtime-only build when installed). Null on failure, with `status`
  /// saying why.
  static std::unique_ptr<Model> load(const std::string &path, Status &status,
                                     const LoadOptions &options = {});
  ~Model();

  const std::vector<Port> &inputs() const;
  const std::vector<Port> &outputs() const;
  /// The batch size the artifact was compiled for (0: no batch dimension).
  int64_t batchSize() const;

  /// Runs once. `inputs` are read in place; every input must be given,
  /// except the loss's labels, without which the loss is left out, as
  /// `nnc run` does. `results` gets the outputs (and the loss) by name;
  /// a failed run leaves it empty. A run at a time per model; several
  /// models may run at once.
  Status run(const std::map<std::string, TensorView> &inputs,
             std::map<std::string, Tensor> &results);

private:
  Model();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Reads a .npy file of one of the dtypes above.
NNC_API Status readNpy(const std::string &path, Tensor &tensor);

/// Writes `tensor` to `path` as .npy, atomically. Fails, writing nothing,
/// for a view that is not valid (see TensorView) and when the image, which
/// is built in memory, cannot be allocated.
NNC_API Status writeNpy(const std::string &path, const TensorView &tensor);

/// nnc's version, "MAJOR.MINOR.PATCH".
NNC_API const char *version();

} // namespace nnc

#endif // NNC_API_NNC_H
