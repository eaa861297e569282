//===- NncModule.cpp - The nnc Python module ------------------------------===//
//
// `import nnc`: compile a model (or load a compiled artifact), run it,
// differentiate it and train it from Python, through the libraries the nnc
// command line runs (driver::ModelSession, train::CompiledGraph, the
// trainer), so that both give the same bytes.
//
// Memory: arrays passed to run() and grad() are read in place when they
// are C-contiguous and of the input's dtype (another dtype is a
// ValueError, a non-contiguous array is copied once); the arrays returned
// own tensors nnc allocated for that call; `model.params` are views of the
// model's own parameter tensors, so writing into them changes the model.
// The GIL is released while a graph runs, so Python threads can drive
// several models at once; calls on one model take turns.
//
//===----------------------------------------------------------------------===//

#include "driver/ModelSession.h"
#include "driver/SessionGraphSource.h"
#include "driver/Trainer.h"
#include "train/ArtifactGraphSource.h"
#include "train/CompiledGraph.h"
#include "train/ExitCode.h"
#include "train/ParameterStore.h"

#include "runtime/ArtifactLoader.h"
#include "runtime/Npy.h"
#include "runtime/PluginHost.h"
#include "runtime/ThreadLimit.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace nnc;

namespace {

/// nnc.Error: a model or artifact that does not compile or load, a run
/// that fails in a kernel; the message is nnc's one line.
PyObject *nncError = nullptr;

[[noreturn]] void raise(const std::string &message) {
  PyErr_SetString(nncError, message.c_str());
  throw py::error_already_set();
}

[[noreturn]] void raiseValue(const std::string &message) {
  throw py::value_error(message);
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

/// A NumPy array that owns `tensor`: its memory is freed with the array.
py::array ownedArray(rt::Tensor tensor) {
  if (tensor.byteSize() == 0)
    return py::array(numpyDType(tensor.dtype()), shapeOf(tensor.shape()));
  auto *owned = new rt::Tensor(std::move(tensor));
  py::capsule base(owned, [](void *p) { delete static_cast<rt::Tensor *>(p); });
  return py::array(numpyDType(owned->dtype()), shapeOf(owned->shape()),
                   owned->rawData(), base);
}

/// A NumPy view of `tensor`, kept alive by `owner`.
py::array viewArray(rt::Tensor &tensor, py::handle owner) {
  return py::array(numpyDType(tensor.dtype()), shapeOf(tensor.shape()),
                   tensor.rawData(), owner);
}

/// The `threads` argument of compile, load and train: 0 (every core) when
/// not given; above rt::kMaxThreads a ValueError.
unsigned threadsArgument(std::optional<unsigned> threads) {
  if (threads && *threads > rt::kMaxThreads)
    raiseValue("threads " + rt::threadLimitMessage(*threads));
  return threads.value_or(0);
}

/// An array argument checked against the dtype the graph reads: used in
/// place when C-contiguous, copied once otherwise. `what` names it.
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

/// Fresh tensors for the results of `graph`, and views of them.
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

/// A new folder under $TMPDIR (or /tmp), for files the module writes for
/// the code it drives (a model given as text, training data).
std::string makeTempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/nnc-python-XXXXXX";
  if (!mkdtemp(pattern.data()))
    raise("cannot create a temporary folder");
  return pattern;
}

/// Removes a folder of makeTempDir when it goes out of scope.
struct TempDir {
  std::string path = makeTempDir();
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

/// A compiled model (from a .nn source) or a loaded artifact (.nnx).
class Model {
public:
  static std::unique_ptr<Model>
  compile(const std::string &pathOrSource,
          const std::optional<std::string> &backend,
          std::optional<int64_t> batch, bool train,
          std::optional<unsigned> threads, uint64_t seed) {
    if (batch && *batch < 1)
      raiseValue("batch must be at least 1, not " + std::to_string(*batch));
    auto model = std::unique_ptr<Model>(new Model());
    std::string path = pathOrSource;
    if (pathOrSource.find('\n') != std::string::npos) {
      // Source text: the compiler reads a file, so it gets one, which the
      // messages call <string> (it is gone once the model is).
      model->sourceDir.emplace();
      path = model->sourceDir->path + "/model.nn";
      std::ofstream(path) << pathOrSource;
    }
    train::SessionOptions options;
    options.backend = backend.value_or("");
    options.threads = threadsArgument(threads);
    rt::Expected<std::unique_ptr<driver::ModelSession>> session =
        driver::ModelSession::open(options, path, model->collectWarning());
    if (!session.ok())
      raise(model->withSourceName(session.message()));
    model->session = std::move(*session);
    model->graphs = std::make_unique<driver::SessionGraphSource>(
        *model->session, driver::GraphRequest());
    model->issueWarnings();
    if (rt::Error error =
            model->params.initialize(model->session->program(), "", seed);
        !error.ok())
      raise(error.message());
    // With a batch size, compile now what the model will run: the
    // gradient for training, the forward function otherwise.
    if (batch && train)
      model->gradientGraph(*batch, /*training=*/false);
    else if (batch)
      model->forwardGraph(*batch, /*withLoss=*/false);
    return model;
  }

  static std::unique_ptr<Model> load(const std::string &path,
                                     std::optional<unsigned> threads) {
    auto model = std::unique_ptr<Model>(new Model());
    train::SessionOptions options;
    options.threads = threadsArgument(threads);
    rt::Expected<std::unique_ptr<train::ArtifactGraphSource>> opened =
        train::ArtifactGraphSource::open(path, train::runtimeOptions(options),
                                         options.plugins);
    if (!opened.ok())
      raise(opened.message());
    model->artifact = std::move(*opened);
    for (const rt::ArtifactTensor &tensor :
         model->artifact->artifact().tensors) {
      if (tensor.role != rt::BindingRole::Param &&
          tensor.role != rt::BindingRole::Buffer)
        continue;
      rt::Expected<rt::Tensor> copy = tensor.tensor.clone();
      if (!copy.ok())
        raise(copy.message());
      model->params.set(tensor.name, std::move(*copy));
    }
    return model;
  }

  std::string backendName() const {
    return session ? session->backendName() : artifact->artifact().backendName;
  }

  std::vector<std::string> inputNames() const {
    if (session)
      return session->inputNames();
    std::vector<std::string> names;
    for (const rt::ArtifactPort &port : artifact->artifact().inputs)
      names.push_back(port.name);
    return names;
  }

  py::dict run(const py::kwargs &inputs) {
    std::map<std::string, py::array> arrays = namedArrays(inputs);
    train::CompiledGraph *graph = nullptr;
    if (session) {
      const std::vector<std::string> &lossOnly = session->lossOnlyInputs();
      bool withLoss = true;
      for (const std::string &name : session->inputNames())
        if (!arrays.count(name)) {
          if (std::find(lossOnly.begin(), lossOnly.end(), name) ==
              lossOnly.end())
            raiseValue("missing input '" + name +
                       "' (inputs: " + join(session->inputNames()) + ")");
          withLoss = false;
        }
      graph = forwardGraph(batchOf(arrays), withLoss);
    } else {
      std::vector<std::string> fed;
      for (const auto &[name, array] : arrays)
        fed.push_back(name);
      rt::Expected<const rt::ArtifactGraph *> chosen =
          rt::selectRunGraph(artifact->artifact(), fed);
      if (!chosen.ok())
        raiseValue(chosen.message());
      rt::Expected<train::CompiledGraph *> loaded =
          artifact->graph((*chosen)->name);
      if (!loaded.ok())
        raise(loaded.message());
      graph = *loaded;
    }
    return execute(*graph, arrays, {});
  }

  py::dict grad(const std::optional<py::dict> &overrides, bool training,
                const py::kwargs &inputs) {
    if (!session)
      raise("a loaded artifact has no gradient function; compile the model "
            "source");
    if (!session->program().hasLoss)
      raise("the model has no loss to differentiate");
    std::map<std::string, py::array> arrays = namedArrays(inputs);
    for (const std::string &name : session->inputNames())
      if (!arrays.count(name))
        raiseValue("missing input '" + name +
                   "' (inputs: " + join(session->inputNames()) + ")");
    train::CompiledGraph *graph = gradientGraph(batchOf(arrays), training);
    std::map<std::string, py::array> paramArrays;
    if (overrides)
      for (auto [key, value] : *overrides) {
        std::string name = py::str(key);
        rt::Tensor *own = params.find(name);
        if (!own)
          raiseValue("the model has no parameter '" + name + "'");
        std::string what = "parameter '" + name + "'";
        py::array array = checkedArray(value, own->dtype(), what);
        if (rt::Error error = rt::checkTensorType(
                what, viewOf(array, own->dtype()), own->dtype(), own->shape());
            !error.ok())
          raiseValue(error.message());
        paramArrays[name] = array;
      }
    return execute(*graph, arrays, paramArrays);
  }

  train::CompiledGraph *gradientGraph(int64_t batch, bool training) {
    if (!session->program().hasLoss)
      raise("the model has no loss to differentiate");
    return compiled(graphs->gradient(batch, training));
  }

  std::vector<std::string> paramNames() const {
    std::vector<std::string> names;
    for (const auto &[name, tensor] : params.values())
      names.push_back(name);
    return names;
  }

  /// A NumPy view of parameter `name`, kept alive by `self`; KeyError when
  /// the model has none of that name.
  py::array paramView(py::object self, const std::string &name) {
    rt::Tensor *tensor = params.find(name);
    if (!tensor)
      throw py::key_error(name);
    return viewArray(*tensor, self);
  }

  /// Copies `value` into parameter `name`, whose dtype and shape it must
  /// have: views taken before see the new value.
  void setParam(const std::string &name, const py::handle &value) {
    rt::Tensor *tensor = params.find(name);
    if (!tensor)
      throw py::key_error(name);
    std::string what = "parameter '" + name + "'";
    py::array array = checkedArray(value, tensor->dtype(), what);
    if (rt::Error error =
            rt::checkTensorType(what, viewOf(array, tensor->dtype()),
                                tensor->dtype(), tensor->shape());
        !error.ok())
      raiseValue(error.message());
    if (tensor->byteSize() != 0)
      std::memmove(tensor->rawData(), array.data(), tensor->byteSize());
  }

  void saveParams(const std::string &dir) const {
    if (rt::Error error = params.save(dir); !error.ok())
      raise(error.message());
  }

  /// Reads DIR/NAME.npy into the parameter tensors in place, so that views
  /// taken before stay valid; a parameter without a file keeps its value.
  void loadParams(const std::string &dir) {
    std::vector<std::string> missing;
    if (rt::Error error = params.loadInPlace(dir, missing); !error.ok())
      raise(error.message());
    for (const std::string &name : missing)
      pendingWarnings.push_back("no '" + name + ".npy' in '" + dir +
                                "'; keeping its current value");
    issueWarnings();
  }

private:
  Model() = default;

  static std::string join(const std::vector<std::string> &names) {
    std::string text;
    for (const std::string &name : names)
      text += (text.empty() ? "" : ", ") + name;
    return text;
  }

  std::map<std::string, py::array> namedArrays(const py::kwargs &inputs) {
    std::vector<std::string> names = inputNames();
    std::map<std::string, py::array> arrays;
    for (auto [key, value] : inputs) {
      std::string name = py::str(key);
      if (std::find(names.begin(), names.end(), name) == names.end())
        raiseValue("the model has no input '" + name +
                   "' (inputs: " + join(names) + ")");
      rt::DType dtype = inputDType(name);
      arrays[name] = checkedArray(value, dtype, "input '" + name + "'");
    }
    return arrays;
  }

  rt::DType inputDType(const std::string &name) const {
    if (session) {
      for (const frontend::Argument &arg : session->program().arguments)
        if (arg.name == name)
          return train::toRuntimeDType(arg.type.dtype);
    } else {
      for (const rt::ArtifactPort &port : artifact->artifact().inputs)
        if (port.name == name)
          return port.dtype;
    }
    return rt::DType::F32;
  }

  int64_t batchOf(const std::map<std::string, py::array> &arrays) const {
    std::map<std::string, rt::Shape> shapes;
    for (const auto &[name, array] : arrays)
      shapes[name] = shapeOfArray(array);
    rt::Expected<int64_t> batch =
        driver::batchSizeOf(session->program(), shapes);
    if (!batch.ok())
      raiseValue(batch.message());
    return *batch;
  }

  train::CompiledGraph *forwardGraph(int64_t batch, bool withLoss) {
    return compiled(withLoss ? graphs->forward(batch) : graphs->predict(batch));
  }

  /// Runs `graph` with the GIL released: inputs from `arrays`, parameters
  /// from `paramArrays` where given and the model's own otherwise; returns
  /// the results by name, in arrays that own their memory.
  py::dict execute(train::CompiledGraph &graph,
                   const std::map<std::string, py::array> &arrays,
                   const std::map<std::string, py::array> &paramArrays) {
    // Typed views first, while the GIL is held.
    std::map<std::string, rt::ConstTensorView> inputViews, paramViews;
    for (const auto &[name, array] : arrays)
      inputViews.emplace(name, viewOf(array, inputDType(name)));
    for (const auto &[name, array] : paramArrays)
      paramViews.emplace(name, viewOf(array, params.find(name)->dtype()));
    auto lookup =
        [&](rt::BindingRole role,
            const std::string &name) -> std::optional<rt::ConstTensorView> {
      bool input = role == rt::BindingRole::Input;
      const auto &views = input ? inputViews : paramViews;
      if (auto it = views.find(name); it != views.end())
        return it->second;
      if (input)
        return std::nullopt;
      if (const rt::Tensor *tensor = params.find(name))
        return tensor->view();
      return std::nullopt;
    };
    std::vector<rt::TensorView> outputViews;
    std::vector<rt::Tensor> outputs = resultTensors(graph, outputViews);
    rt::Error error = rt::Error::success();
    {
      py::gil_scoped_release release;
      // An executor runs one graph at a time: calls on one model from
      // several Python threads take turns, while other models run.
      std::lock_guard<std::mutex> turn(running);
      error = graph.runInto(lookup, outputViews);
    }
    if (!error.ok()) {
      // Shape and dtype mismatches are the caller's: ValueError.
      const std::string &message = error.message();
      if (message.rfind("input '", 0) == 0 || message.rfind("param '", 0) == 0)
        raiseValue(message);
      raise(message);
    }
    py::dict results;
    for (size_t i = 0; i < outputs.size(); ++i)
      results[py::str(graph.results()[i].name)] =
          ownedArray(std::move(outputs[i]));
    return results;
  }

  /// The compiler's warnings go to Python's `warnings` once it returns:
  /// nothing may raise while it runs.
  driver::WarningHandler collectWarning() {
    return [this](const std::string &rendered) {
      pendingWarnings.push_back(withSourceName(rendered));
    };
  }

  /// `text` with the temporary file of a model given as source text named
  /// <string>, as Python names code that has no file.
  std::string withSourceName(std::string text) const {
    if (!sourceDir)
      return text;
    std::string file = sourceDir->path + "/model.nn";
    for (size_t at = text.find(file); at != std::string::npos;
         at = text.find(file, at))
      text.replace(at, file.size(), "<string>");
    return text;
  }

  void issueWarnings() {
    std::vector<std::string> warnings = std::move(pendingWarnings);
    pendingWarnings.clear();
    for (const std::string &warning : warnings)
      if (PyErr_WarnEx(PyExc_UserWarning, warning.c_str(), 1) != 0)
        throw py::error_already_set();
  }

  /// The graph `graph` holds, with the warnings compiling it raised issued;
  /// raises nnc.Error with the compiler's diagnostics when it failed.
  train::CompiledGraph *compiled(rt::Expected<train::CompiledGraph *> graph) {
    issueWarnings();
    if (!graph.ok())
      raise(withSourceName(graph.message()));
    return *graph;
  }

  std::unique_ptr<driver::ModelSession> session;
  std::vector<std::string> pendingWarnings;
  std::unique_ptr<train::ArtifactGraphSource> artifact;
  train::ParameterStore params;
  /// The forward function and the gradient, compiled per batch size on
  /// first use.
  std::unique_ptr<driver::SessionGraphSource> graphs;
  /// Holds model.nn for a model given as source text.
  std::optional<TempDir> sourceDir;
  std::mutex running;
};

/// A data argument: a path to a file, which goes to `files` as NAME=FILE,
/// or an array, copied into `tensors` under `name`.
void addDataArgument(const std::string &name, const py::handle &value,
                     std::vector<std::string> &files,
                     std::map<std::string, rt::Tensor> &tensors) {
  if (py::isinstance<py::str>(value) || py::hasattr(value, "__fspath__")) {
    files.push_back(
        name + "=" +
        py::module_::import("os").attr("fspath")(value).cast<std::string>());
    return;
  }
  py::array array = py::array::ensure(value, py::array::c_style);
  if (!array)
    raiseValue("data '" + name + "': expected a NumPy array or a path");
  rt::DType dtype;
  if (array.dtype().equal(py::dtype::of<float>()))
    dtype = rt::DType::F32;
  else if (array.dtype().equal(py::dtype::of<double>()))
    dtype = rt::DType::F64;
  else if (array.dtype().equal(py::dtype::of<int32_t>()))
    dtype = rt::DType::I32;
  else if (array.dtype().equal(py::dtype::of<int64_t>()))
    dtype = rt::DType::I64;
  else if (array.dtype().equal(py::dtype::of<uint8_t>()))
    dtype = rt::DType::U8;
  else
    raiseValue("data '" + name + "': unsupported dtype " +
               std::string(py::str(array.dtype())));
  rt::Expected<rt::Tensor> tensor =
      rt::Tensor::create(dtype, shapeOfArray(array));
  if (!tensor.ok())
    raise(tensor.message());
  std::memcpy(tensor->rawData(), array.data(), tensor->byteSize());
  tensors.insert_or_assign(name, std::move(*tensor));
}

py::list trainModel(
    const std::string &path, const py::dict &data,
    std::optional<int64_t> epochs, std::optional<int64_t> batch,
    std::optional<std::string> optimizer, std::optional<double> lr,
    const std::vector<std::string> &freeze,
    const std::optional<py::dict> &evalData,
    const std::optional<py::function> &callback,
    const std::optional<py::function> &afterGradients,
    const std::optional<py::function> &onStep, std::optional<uint64_t> seed,
    const std::optional<std::string> &backend, std::optional<unsigned> threads,
    const std::optional<std::string> &params,
    const std::optional<std::string> &saveDir, bool shuffle, int64_t accumulate,
    bool distributed, std::optional<double> bucketMb,
    const std::optional<std::string> &checkpointDir, int64_t checkpointEvery,
    const std::optional<std::string> &resume, int64_t maxSteps, double clipNorm,
    const std::optional<std::string> &schedule, int64_t lrStepEpochs,
    double lrGamma, double lrMin, int64_t evalEvery,
    const std::optional<std::string> &plot,
    const std::optional<std::string> &report, bool profile) {
  train::TrainOptions options;
  options.profile.table = profile;
  options.evalEvery = evalEvery;
  options.plotPath = plot.value_or("");
  options.reportPath = report.value_or("");
  options.schedule = {schedule.value_or(""), lrStepEpochs, lrGamma, lrMin};
  options.checkpointDir = checkpointDir.value_or("");
  options.checkpointEvery = checkpointEvery;
  options.resumeDir = resume.value_or("");
  options.maxSteps = maxSteps;
  options.clipNorm = clipNorm;
  options.accumulate = accumulate;
  options.distributed.enabled = distributed;
  if (bucketMb)
    options.distributed.bucketMb = *bucketMb;
  // A rank whose failure leaves the others waiting in a collective ends the
  // whole job (MPI_Abort) rather than raise: say why first, as the command
  // does.
  options.hooks.onJobAbort = [](const rt::Error &error) {
    train::reportError(error);
  };
  options.session.backend = backend.value_or("");
  options.session.threads = threadsArgument(threads);
  options.modelPath = path;
  for (auto [key, value] : data)
    addDataArgument(py::str(key), value, options.data, options.dataTensors);
  if (evalData)
    for (auto [key, value] : *evalData)
      addDataArgument(py::str(key), value, options.evalData,
                      options.evalDataTensors);
  options.epochs = epochs;
  options.batch = batch;
  options.optimizer = optimizer;
  options.lr = lr;
  options.seed = seed;
  options.freeze = freeze;
  options.paramsDir = params.value_or("");
  options.saveDir = saveDir.value_or("");
  options.shuffle = shuffle;

  py::list history;
  // The first exception a callback raised, raised again from nnc.train, and
  // what it was, for the error that ends the run ("on_step raised
  // KeyError: 'x'"): under mpirun a rank shows it before the job ends.
  std::optional<py::error_already_set> callbackError;
  std::string callbackFailure;
  auto keep = [&](const char *callbackName, py::error_already_set error) {
    callbackFailure =
        std::string(callbackName) + " raised " +
        py::str(error.type().attr("__name__")).cast<std::string>();
    std::string text = py::str(error.value());
    if (!text.empty())
      callbackFailure += ": " + text;
    callbackError = std::move(error);
  };
  options.hooks.onEpochEnd = [&](const train::EpochReport &report) {
    py::gil_scoped_acquire acquire;
    py::dict entry;
    entry["epoch"] = report.epoch;
    entry["loss"] = report.loss;
    if (report.accuracy)
      entry["accuracy"] = *report.accuracy;
    if (report.evalLoss)
      entry["eval_loss"] = *report.evalLoss;
    if (report.evalAccuracy)
      entry["eval_accuracy"] = *report.evalAccuracy;
    history.append(entry);
    if (callback && !callbackError) {
      try {
        (*callback)(entry);
      } catch (py::error_already_set &error) {
        keep("callback", std::move(error));
      }
    }
  };
  // The step hooks: an exception ends training, and is raised again here.
  if (afterGradients)
    options.hooks.afterGradients =
        [&](int64_t step,
            const std::map<std::string, rt::TensorView> &gradients) {
          py::gil_scoped_acquire acquire;
          if (callbackError)
            return rt::Error::failure(callbackFailure);
          // Copies the caller may keep; what it writes into them goes back.
          py::dict arrays;
          for (const auto &[name, gradient] : gradients)
            arrays[py::str(name)] =
                py::array(numpyDType(gradient.dtype()),
                          shapeOf(gradient.shape()), gradient.rawData());
          try {
            (*afterGradients)(step, arrays);
          } catch (py::error_already_set &error) {
            keep("after_gradients", std::move(error));
            return rt::Error::failure(callbackFailure);
          }
          for (const auto &[name, gradient] : gradients) {
            py::object value = arrays.contains(py::str(name))
                                   ? py::object(arrays[py::str(name)])
                                   : py::object(py::none());
            py::array array = py::array::ensure(value, py::array::c_style);
            if (!array || !array.dtype().equal(numpyDType(gradient.dtype())) ||
                shapeOfArray(array) != gradient.shape()) {
              std::string message = "after_gradients: gradient '" + name +
                                    "' must stay a C-contiguous array of "
                                    "its dtype and shape";
              PyErr_SetString(PyExc_ValueError, message.c_str());
              keep("after_gradients", py::error_already_set());
              return rt::Error::failure(message);
            }
            std::memcpy(gradient.rawData(), array.data(), gradient.byteSize());
          }
          return rt::Error::success();
        };
  if (onStep)
    options.hooks.onStepEnd = [&](const train::StepReport &report) {
      py::gil_scoped_acquire acquire;
      if (callbackError)
        return;
      py::dict entry;
      entry["step"] = report.step;
      entry["epoch"] = report.epoch;
      entry["loss"] = report.loss;
      entry["samples"] = report.samples;
      try {
        (*onStep)(entry);
      } catch (py::error_already_set &error) {
        keep("on_step", std::move(error));
      }
    };
  // Before each step: an exception a callback raised, or Ctrl-C (a signal
  // Python has noted but cannot act on while nnc runs), ends training
  // there, and is raised from nnc.train.
  options.hooks.beforeUpdate = [&](int64_t) {
    py::gil_scoped_acquire acquire;
    if (!callbackError && PyErr_CheckSignals() != 0)
      keep("a signal handler", py::error_already_set());
    if (callbackError)
      return rt::Error::failure(callbackFailure);
    return rt::Error::success();
  };
  // Python warnings are issued with the GIL held, after the run.
  std::vector<std::string> warnings;
  options.hooks.onWarning = [&](const std::string &warning) {
    warnings.push_back(warning);
  };
  // The profile tables (`profile=True`), of the one training run or of its
  // two graphs; the loop's other messages are for the command's console.
  std::string profileText;
  if (profile)
    options.hooks.onMessage = [&](const std::string &message) {
      if (message.rfind("profile of", 0) == 0)
        profileText += message + "\n";
    };
  train::TrainingState state;
  train::CodedError error;
  {
    py::gil_scoped_release release;
    error = driver::trainModel(options, &state);
  }
  for (const std::string &warning : warnings)
    if (PyErr_WarnEx(PyExc_UserWarning, warning.c_str(), 1) != 0)
      throw py::error_already_set();
  if (callbackError)
    throw *callbackError;
  if (error.code == train::UsageError)
    raiseValue(error.error.message());
  if (!error.ok())
    raise("training failed: " + error.error.message());

  py::dict trained;
  for (auto &[name, tensor] : state.params.values())
    trained[py::str(name)] = ownedArray(std::move(tensor));
  py::object historyType = py::module_::import("nnc").attr("History");
  py::object result = historyType(history);
  result.attr("params") = trained;
  result.attr("profile") =
      profile ? py::object(py::str(profileText)) : py::object(py::none());
  return result;
}

std::vector<py::dict> backends() {
  rt::Expected<rt::PluginSet> plugins =
      rt::discoverPlugins(rt::defaultPluginDirs(), {});
  if (!plugins.ok())
    raise(plugins.message());
  std::vector<py::dict> result;
  for (const rt::LoadedPlugin &plugin : plugins->plugins) {
    py::dict entry;
    entry["name"] = plugin.name();
    entry["version"] = plugin.version();
    entry["path"] = plugin.path();
    result.push_back(entry);
  }
  return result;
}

/// model.params: the parameters and buffers by name, each a NumPy view of
/// the model's own tensor, so that writing into a view changes the model;
/// assigning an array of the parameter's dtype and shape copies it in. A
/// mapping whose keys are fixed: nothing can be added or removed.
class ParamsView {
public:
  explicit ParamsView(py::object model)
      : owner(std::move(model)), model(&owner.cast<Model &>()) {}

  py::array get(const std::string &name) {
    return model->paramView(owner, name);
  }
  void set(const std::string &name, const py::handle &value) {
    model->setParam(name, value);
  }
  std::vector<std::string> keys() const { return model->paramNames(); }
  bool contains(const py::handle &key) const {
    if (!py::isinstance<py::str>(key))
      return false;
    std::vector<std::string> names = keys();
    return std::find(names.begin(), names.end(),
                     py::str(key).cast<std::string>()) != names.end();
  }
  py::list items() {
    py::list pairs;
    for (const std::string &name : keys())
      pairs.append(py::make_tuple(name, get(name)));
    return pairs;
  }
  py::list values() {
    py::list arrays;
    for (const std::string &name : keys())
      arrays.append(get(name));
    return arrays;
  }

private:
  py::object owner;
  Model *model;
};

} // namespace

PYBIND11_MODULE(_nnc, m) {
  m.doc() = "nnc: compile, run, differentiate and train neural networks";
  m.attr("__version__") = NNC_VERSION;
  nncError = PyErr_NewException("nnc.Error", PyExc_RuntimeError, nullptr);
  m.attr("Error") = py::handle(nncError);

  py::class_<ParamsView>(m, "Params")
      .def("__getitem__", &ParamsView::get)
      .def("__setitem__", &ParamsView::set)
      .def("__delitem__",
           [](ParamsView &, const std::string &) {
             throw py::type_error("a model's parameters cannot be removed");
           })
      .def("__contains__", &ParamsView::contains)
      .def("__len__", [](const ParamsView &view) { return view.keys().size(); })
      .def("__iter__",
           [](const ParamsView &view) {
             return py::iter(py::cast(view.keys()));
           })
      .def("keys", &ParamsView::keys)
      .def("items", &ParamsView::items)
      .def("values", &ParamsView::values)
      .def(
          "get",
          [](ParamsView &view, const std::string &name, py::object fallback) {
            return view.contains(py::str(name)) ? py::object(view.get(name))
                                                : fallback;
          },
          py::arg("name"), py::arg("default") = py::none())
      .def("__repr__", [](const ParamsView &view) {
        std::string names;
        for (const std::string &name : view.keys())
          names += (names.empty() ? "" : ", ") + name;
        return "<nnc params: " + names + ">";
      });

  py::class_<Model>(m, "Model")
      .def("run", &Model::run,
           "Runs the model once on NumPy inputs given by name; returns the "
           "outputs (and the loss when its labels are given) by name.")
      .def("grad", &Model::grad, py::arg("params") = py::none(),
           py::arg("training") = false,
           "The loss and the gradient of every trainable parameter "
           "(grad_NAME) for the inputs given by name; `params` overrides "
           "parameters for this call; `training` differentiates batch_norm "
           "and dropout as the training step runs them.")
      .def_property_readonly(
          "params", [](py::object self) { return ParamsView(self); },
          "The parameters and buffers by name, as NumPy views of the "
          "model's own tensors; assigning an array of a parameter's dtype "
          "and shape copies it in.")
      .def("save_params", &Model::saveParams, py::arg("dir"))
      .def("load_params", &Model::loadParams, py::arg("dir"))
      .def_property_readonly("backend", &Model::backendName)
      .def_property_readonly("inputs", &Model::inputNames);

  m.def("compile", &Model::compile, py::arg("path_or_source"),
        py::arg("backend") = py::none(), py::arg("batch") = py::none(),
        py::arg("train") = false, py::arg("threads") = py::none(),
        py::arg("seed") = 0,
        "Compiles a model from a .nn file or its source text.");
  m.def("load", &Model::load, py::arg("path"), py::arg("threads") = py::none(),
        "Loads a compiled artifact (.nnx) without compiling.");
  m.def("train", &trainModel, py::arg("path"), py::arg("data"),
        py::arg("epochs") = py::none(), py::arg("batch") = py::none(),
        py::arg("optimizer") = py::none(), py::arg("lr") = py::none(),
        py::arg("freeze") = std::vector<std::string>{},
        py::arg("eval_data") = py::none(), py::arg("callback") = py::none(),
        py::arg("after_gradients") = py::none(),
        py::arg("on_step") = py::none(), py::arg("seed") = py::none(),
        py::arg("backend") = py::none(), py::arg("threads") = py::none(),
        py::arg("params") = py::none(), py::arg("save_dir") = py::none(),
        py::arg("shuffle") = true, py::arg("accumulate") = 1,
        py::arg("distributed") = false, py::arg("bucket_mb") = py::none(),
        py::arg("checkpoint_dir") = py::none(), py::arg("checkpoint_every") = 0,
        py::arg("resume") = py::none(), py::arg("max_steps") = 0,
        py::arg("clip_norm") = 0.0, py::arg("schedule") = py::none(),
        py::arg("lr_step_epochs") = 10, py::arg("lr_gamma") = 0.1,
        py::arg("lr_min") = 0.0, py::arg("eval_every") = 0,
        py::arg("plot") = py::none(), py::arg("report") = py::none(),
        py::arg("profile") = false,
        "Trains the model at `path` as `nnc train` does; returns the "
        "history, one dict per epoch, with the trained parameters in "
        "`.params`. `callback(entry)` follows each epoch, `on_step(entry)` "
        "each optimizer step; `after_gradients(step, grads)` gets each "
        "step's gradients by parameter name before they are applied, and "
        "what it writes into those arrays is applied instead. "
        "`accumulate=K` sums the gradients of K batches per step; "
        "`distributed=True` trains data-parallel over the ranks of the "
        "MPI job that started the script (`mpirun -np N python3 ...`), "
        "each rank with its share of every batch: every rank returns the "
        "same parameters, and rank 0 alone the history. "
        "`checkpoint_dir`, `checkpoint_every`, `resume`, `max_steps`, "
        "`clip_norm`, `schedule`, `lr_step_epochs`, `lr_gamma` and "
        "`lr_min` are the command's --checkpoint, --checkpoint-every, "
        "--resume, --max-steps, --clip-norm, --schedule, --lr-step-epochs, "
        "--lr-gamma and --lr-min; `eval_every`, `plot` and `report` are "
        "--eval-every, --plot FILE.svg and --report FILE.html. With "
        "`profile=True` the history's `.profile` holds the training step's "
        "kernels by time, as --profile prints them.");
  m.def("backends", &backends, "The backend plugins found.");
}
