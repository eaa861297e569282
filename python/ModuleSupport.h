//===- ModuleSupport.h - What the module's parts share ----------*- C++ -*-===//
//
// What the Python module's parts share: nnc.Error and ValueError raised
// from nnc's messages, NumPy arrays as nnc's tensors and back (in place
// where they can be), the threads argument, and the temporary folders the
// module writes for the code it drives.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PYTHON_MODULESUPPORT_H
#define NNC_PYTHON_MODULESUPPORT_H

#include "train/CompiledGraph.h"

#include "runtime/Tensor.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nnc::python {

namespace py = pybind11;

/// nnc.Error: a model or artifact that does not compile or load, a run
/// that fails in a kernel; the message is nnc's one line.
extern PyObject *nncError;

/// Raises nnc.Error with nnc's one-line `message`.
[[noreturn]] void raise(const std::string &message);

/// Raises ValueError: the caller's arguments were wrong.
[[noreturn]] void raiseValue(const std::string &message);

/// A file or folder argument, given as Python's own file functions take
/// one: a str or an os.PathLike (pathlib.Path), through os.fspath. A
/// bytes path is not taken.
struct PathText {
  std::string text;
};

/// The bytes of a file name given as `path`, a str, as open() passes them
/// to the system: a name that is no UTF-8 reaches Python with its bytes
/// escaped (os.fsdecode), and os.fsencode gives them back.
std::string fileSystemBytes(const py::handle &path);

/// `text`, a str, in UTF-8; nothing when it holds what UTF-8 cannot encode
/// (an escaped byte of a file name), which names no parameter or input.
std::optional<std::string> utf8Of(const py::handle &text);

/// `path`, a path argument named `what`; a ValueError when it holds a NUL
/// byte, as open() raises, where the C++ side would read it cut there.
const std::string &pathArgument(const PathText &path, const char *what);

/// The optional path argument `what`, checked as pathArgument does; "" when
/// not given.
std::string pathArgument(const std::optional<PathText> &path, const char *what);

/// The NumPy dtype of an nnc dtype.
py::dtype numpyDType(rt::DType dtype);

/// `shape` as NumPy takes it.
std::vector<py::ssize_t> shapeOf(const rt::Shape &shape);

/// A NumPy array that owns `tensor`: its memory is freed with the array.
py::array ownedArray(rt::Tensor tensor);

/// A NumPy view of `tensor`, kept alive by `owner`.
py::array viewArray(rt::Tensor &tensor, py::handle owner);

/// The `threads` argument of compile, load and train: 0 (every core) when
/// not given; any integer (an int, a NumPy integer: whatever has
/// __index__), of any size; below 0 or above rt::kMaxThreads, a ValueError.
unsigned threadsArgument(const std::optional<py::object> &threads);

/// An array argument checked against the dtype the graph reads: used in
/// place when C-contiguous, copied once otherwise. `what` names it.
py::array checkedArray(const py::handle &value, rt::DType dtype,
                       const std::string &what);

/// The shape of `array` as nnc writes it.
rt::Shape shapeOfArray(const py::array &array);

/// A view of a C-contiguous `array` of `dtype`, read in place.
rt::ConstTensorView viewOf(const py::array &array, rt::DType dtype);

/// Fresh tensors for the results of `graph`, and views of them.
std::vector<rt::Tensor> resultTensors(const train::CompiledGraph &graph,
                                      std::vector<rt::TensorView> &views);

/// A new folder under $TMPDIR (or /tmp), for files the module writes for
/// the code it drives (a model given as text, training data).
std::string makeTempDir();

/// Removes a folder of makeTempDir when it goes out of scope.
struct TempDir {
  std::string path = makeTempDir();
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

/// A model given to the module as a path or as source text (anything with
/// a line break). The compiler reads a file, so text gets one, in a folder
/// removed with this object; messages then call it <string>, as Python
/// names code that has no file.
class ModelSource {
public:
  explicit ModelSource(const std::string &pathOrSource);
  ModelSource(const ModelSource &) = delete;
  ModelSource &operator=(const ModelSource &) = delete;

  /// The file the compiler reads.
  const std::string &path() const { return file; }
  /// `text` with the temporary file's name, if any, replaced by <string>.
  std::string named(std::string text) const;

private:
  std::optional<TempDir> folder;
  std::string file;
};

} // namespace nnc::python

namespace pybind11::detail {

template <> struct type_caster<nnc::python::PathText> {
  PYBIND11_TYPE_CASTER(nnc::python::PathText, const_name("str | os.PathLike"));

  bool load(handle source, bool) {
    if (!isinstance<str>(source) && !hasattr(source, "__fspath__"))
      return false;
    object path = module_::import("os").attr("fspath")(source);
    if (!isinstance<str>(path))
      return false;
    value.text = nnc::python::fileSystemBytes(path);
    return true;
  }
};

} // namespace pybind11::detail

#endif // NNC_PYTHON_MODULESUPPORT_H
