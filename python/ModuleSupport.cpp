//===- ModuleSupport.cpp - What the module's parts share -----------------===//

#include "python/ModuleSupport.h"

#include "runtime/ThreadLimit.h"
#include "support/ShortText.h"

#include <cstdlib>
#include <fstream>

namespace nnc::python {

PyObject *nncError = nullptr;

namespace {

/// The most of a message an exception carries. It may hold a page of
/// diagnostics, each already cut to kMaxMessageBytes, but never what
/// the user gave in full (a 10 MB name).
constexpr size_t kMaxExceptionBytes = 16 * kMaxMessageBytes;

} // namespace

[[noreturn]] void raise(const std::string &message) {
  PyErr_SetString(nncError, shortened(message, kMaxExceptionBytes).c_str());
  throw py::error_already_set();
}

[[noreturn]] void raiseValue(const std::string &message) {
  throw py::value_error(shortened(message, kMaxExceptionBytes));
}

py::dtype numpyDType(rt::DType dtype) {
  switch (dtype) {
  case rt::DType::F32:
    return py::dtype::of<float>();
  case rt::DType::F64:
    return py::dtype::of<double>();
  case rt::DType::I32:
    return py::dtype::of<int32_t>();
  case rt::DType::I64:
    return py::dtype::of<int64_t>();
  case rt::DType::U8:
    return py::dtype::of<uint8_t>();
  }
  return py::dtype::of<float>();
}

std::vector<py::ssize_t> shapeOf(const rt::Shape &shape) {
  return std::vector<py::ssize_t>(shape.begin(), shape.end());
}

py::array ownedArray(rt::Tensor tensor) {
  if (tensor.byteSize() == 0)
    return py::array(numpyDType(tensor.dtype()), shapeOf(tensor.shape()));
  auto *owned = new rt::Tensor(std::move(tensor));
  py::capsule base(owned, [](void *p) { delete static_cast<rt::Tensor *>(p); });
  return py::array(numpyDType(owned->dtype()), shapeOf(owned->shape()),
                   owned->rawData(), base);
}

py::array viewArray(rt::Tensor &tensor, py::handle owner) {
  return py::array(numpyDType(tensor.dtype()), shapeOf(tensor.shape()),
                   tensor.rawData(), owner);
}

unsigned threadsArgument(const std::optional<py::object> &threads) {
  if (!threads)
    return 0;
  PyObject *index = PyNumber_Index(threads->ptr());
  if (!index)
    throw py::error_already_set();
  py::int_ count = py::reinterpret_steal<py::int_>(index);
  // Compared as Python ints, so that -1 and 2**64 are told where they stand
  // rather than refused by the conversion.
  if (count < py::int_(0) || count > py::int_(rt::kMaxThreads))
    raiseValue("threads " +
               rt::threadLimitMessage(std::string(py::str(count))));
  return count.cast<unsigned>();
}

py::array checkedArray(const py::handle &value, rt::DType dtype,
                       const std::string &what) {
  py::array array = py::array::ensure(value);
  if (!array)
    raiseValue(what + ": expected a NumPy array");
  if (!array.dtype().equal(numpyDType(dtype)))
    raiseValue(what + ": expected dtype " + std::string(rt::dtypeName(dtype)) +
               ", got " + std::string(py::str(array.dtype())));
  if (!(array.flags() & py::array::c_style)) {
    // NumPy's error (a copy too large to allocate) is cleared by ensure().
    array = py::array::ensure(array, py::array::c_style);
    if (!array) {
      PyErr_SetString(PyExc_MemoryError,
                      (what + ": cannot allocate a C-contiguous copy").c_str());
      throw py::error_already_set();
    }
  }
  return array;
}

rt::Shape shapeOfArray(const py::array &array) {
  rt::Shape shape;
  for (py::ssize_t i = 0; i < array.ndim(); ++i)
    shape.push_back(array.shape(i));
  return shape;
}

rt::ConstTensorView viewOf(const py::array &array, rt::DType dtype) {
  return rt::ConstTensorView(static_cast<const std::byte *>(array.data()),
                             dtype, shapeOfArray(array));
}

std::vector<rt::Tensor> resultTensors(const train::CompiledGraph &graph,
                                      std::vector<rt::TensorView> &views) {
  std::vector<rt::Tensor> tensors;
  for (const train::CompiledGraph::Result &result : graph.results()) {
    rt::Expected<rt::Tensor> tensor =
        rt::Tensor::create(result.tensor.dtype(), result.tensor.shape());
    if (!tensor.ok())
      raise(tensor.message());
    tensors.push_back(std::move(*tensor));
  }
  for (rt::Tensor &tensor : tensors)
    views.push_back(tensor.view());
  return tensors;
}

std::string fileSystemBytes(const py::handle &path) {
  return py::module_::import("os").attr("fsencode")(path).cast<std::string>();
}

std::optional<std::string> utf8Of(const py::handle &text) {
  Py_ssize_t size = 0;
  const char *bytes = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (!bytes) {
    PyErr_Clear();
    return std::nullopt;
  }
  return std::string(bytes, static_cast<size_t>(size));
}

const std::string &pathArgument(const PathText &path, const char *what) {
  if (path.text.find('\0') != std::string::npos)
    raiseValue(std::string(what) + ": embedded null byte");
  return path.text;
}

std::string pathArgument(const std::optional<PathText> &path,
                         const char *what) {
  return path ? pathArgument(*path, what) : std::string();
}

std::string makeTempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/nnc-python-XXXXXX";
  if (!mkdtemp(pattern.data()))
    raise("cannot create a temporary folder");
  return pattern;
}

ModelSource::ModelSource(const std::string &pathOrSource) : file(pathOrSource) {
  if (pathOrSource.find('\n') == std::string::npos) {
    pathArgument(PathText{pathOrSource}, "path");
    return;
  }
  folder.emplace();
  file = folder->path + "/model.nn";
  std::ofstream out(file);
  out << pathOrSource;
  if (!out.flush())
    raise("cannot write the model's source to " + file);
}

std::string ModelSource::named(std::string text) const {
  if (!folder)
    return text;
  for (size_t at = text.find(file); at != std::string::npos;
       at = text.find(file, at))
    text.replace(at, file.size(), "<string>");
  return text;
}

} // namespace nnc::python
