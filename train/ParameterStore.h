//===- ParameterStore.h - A model's parameters and buffers ------*- C++ -*-===//
//
// The values of a model's parameters and buffers by qualified name, read
// from a folder of NAME.npy files or drawn from their declared
// initializers, and saved the same way.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_PARAMETERSTORE_H
#define NNC_TRAIN_PARAMETERSTORE_H

#include "frontend/Program.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace nnc::train {

class ParameterStore {
public:
  /// Fills every parameter and buffer of `program`: from `dir`/NAME.npy
  /// when `dir` is set and the file exists (its dtype and shape must match),
  /// otherwise from the declared initializer with its seed mixed with
  /// `runSeed`. A parameter missing from `dir` is not an error, so that a
  /// fine-tuned head can start fresh while the backbone loads: see
  /// notFoundInDir(). A `dir` that does not exist or is not a folder is an
  /// error, and so is a file holding NaN (or, for a parameter rather than a
  /// buffer, an infinity).
  rt::Error initialize(const frontend::Program &program, const std::string &dir,
                       uint64_t runSeed);

  /// The parameters the last initialize() found no file for in its `dir`,
  /// which took their initializers' values: worth a note to the user.
  const std::vector<std::string> &notFoundInDir() const { return notFound; }
  /// The .npy files in the last initialize()'s `dir` that name no
  /// parameter or buffer (W2.npy for w2), never read: with a file not
  /// found, perhaps the one meant.
  const std::vector<std::string> &unusedInDir() const { return unused; }

  /// Reads `dir`/NAME.npy over every value that has such a file, in place,
  /// so that views of the values stay valid; the names of those without
  /// one, which keep their values, go to `missing`. Every file is read and
  /// checked (dtype and shape) before any value changes, so a bad file
  /// changes nothing. A `dir` that is not a folder is an error, and so is
  /// a file holding NaN.
  rt::Error loadInPlace(const std::string &dir,
                        std::vector<std::string> &missing);

  /// Writes every value to `dir`/NAME.npy, as one (rt::writeNpyFiles): a
  /// full disk or a crash leaves the folder's old values whole. Refuses,
  /// before writing anything, a file that is one the command reads (one of
  /// `files`, or the FILE of a NAME=FILE of `namedFiles`).
  rt::Error save(const std::string &dir,
                 const std::vector<std::string> &files = {},
                 const std::vector<std::string> &namedFiles = {}) const;

  /// Fails when `value` cannot replace the value of `name` (which must
  /// exist): another dtype or shape ("parameter 'w': expected ..."), NaN,
  /// or, for a parameter rather than a buffer, an infinity.
  rt::Error checkReplacement(const std::string &name,
                             rt::ConstTensorView value) const;

  /// The value of `name`, or null.
  const rt::Tensor *find(const std::string &name) const;
  rt::Tensor *find(const std::string &name);

  const std::map<std::string, rt::Tensor> &values() const { return tensors; }
  /// The values' names, in order.
  std::vector<std::string> names() const;
  /// Mutable: the values change in place (the Python module's views).
  std::map<std::string, rt::Tensor> &values() { return tensors; }

  /// Sets (or replaces) the value of `name`: values that come from
  /// elsewhere than a model, such as a compiled artifact's. A trained
  /// `parameter` must stay finite (checkReplacement); anything else may
  /// hold infinities.
  void set(const std::string &name, rt::Tensor value, bool parameter = false) {
    tensors.insert_or_assign(name, std::move(value));
    if (parameter)
      parameters.insert(name);
  }

private:
  std::map<std::string, rt::Tensor> tensors;
  std::vector<std::string> notFound;
  std::vector<std::string> unused;
  /// The trainable parameters among the values, when initialize() learnt
  /// them from a program: they must be finite, where a buffer (a mask) may
  /// hold infinities.
  std::set<std::string> parameters;
};

/// Fails, naming the parameter and the first bad element (flat index),
/// when the float `value` of parameter `name` holds NaN, or an infinity
/// unless `infinityAllowed` (a buffer, whose mask may hold -inf): "parameter
/// 'b2': element 3 holds NaN; parameters must be finite". Integer values
/// always pass.
rt::Error checkParameterFinite(rt::ConstTensorView value,
                               const std::string &name, bool infinityAllowed);

/// The runtime dtype of a DSL dtype.
rt::DType toRuntimeDType(frontend::DType dtype);

} // namespace nnc::train

#endif // NNC_TRAIN_PARAMETERSTORE_H
