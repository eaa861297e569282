//===- Train.cpp - nnc.train ----------------------------------------------===//

#include "python/Train.h"

#include "python/ModuleSupport.h"

#include "driver/Trainer.h"
#include "train/ExitCode.h"
#include "train/TrainOptions.h"

#include <pybind11/stl.h>

#include <cstring>
#include <map>
#include <new>

namespace nnc::python {
namespace {

/// A data argument: a path to a file, which goes to `files` as NAME=FILE,
/// or an array, copied into `tensors` under `name`.
void addDataArgument(const std::string &name, const py::handle &value,
                     std::vector<std::string> &files,
                     std::map<std::string, rt::Tensor> &tensors) {
  // The command's NAME=FILE is built from it: an '=' in the key would move
  // its split.
  if (name.find('=') != std::string::npos)
    raiseValue("data key '" + name +
               "': input names (joined by commas for a file that feeds "
               "several) hold no '='");
  if (py::isinstance<py::bytes>(value))
    throw py::type_error("data '" + name +
                         "': a path is a str or an os.PathLike, not bytes");
  if (py::isinstance<py::str>(value) || py::hasattr(value, "__fspath__")) {
    py::object path = py::module_::import("os").attr("fspath")(value);
    if (!py::isinstance<py::str>(path))
      throw py::type_error("data '" + name +
                           "': a path is a str or an os.PathLike, not bytes");
    files.push_back(name + "=" +
                    pathArgument(PathText{fileSystemBytes(path)}, "data"));
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

} // namespace

py::list trainModel(
    const PathText &path, const py::dict &data, std::optional<int64_t> epochs,
    std::optional<int64_t> batch, std::optional<std::string> optimizer,
    std::optional<double> lr, const std::vector<std::string> &freeze,
    const std::optional<py::dict> &evalData,
    const std::optional<py::function> &callback,
    const std::optional<py::function> &afterGradients,
    const std::optional<py::function> &onStep, std::optional<uint64_t> seed,
    const std::optional<std::string> &backend,
    std::optional<py::object> threads, const std::optional<PathText> &params,
    const std::optional<PathText> &saveDir, std::optional<bool> shuffle,
    std::optional<bool> dropLast, std::optional<int64_t> accumulate,
    bool distributed, std::optional<double> bucketMb,
    const std::optional<PathText> &checkpointDir, int64_t checkpointEvery,
    const std::optional<PathText> &resume, int64_t maxSteps,
    std::optional<double> clipNorm, const std::optional<std::string> &schedule,
    std::optional<int64_t> lrStepEpochs, std::optional<double> lrGamma,
    std::optional<double> lrMin, std::optional<int64_t> evalEvery,
    const std::optional<PathText> &plot, const std::optional<PathText> &report,
    bool profile) {
  train::TrainOptions options;
  options.profile.table = profile;
  options.evalEvery = evalEvery;
  options.plotPath = pathArgument(plot, "plot");
  options.reportPath = pathArgument(report, "report");
  options.schedule = {schedule, lrStepEpochs, lrGamma, lrMin};
  options.checkpointDir = pathArgument(checkpointDir, "checkpoint_dir");
  options.checkpointEvery = checkpointEvery;
  options.resumeDir = pathArgument(resume, "resume");
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
  ModelSource source(pathArgument(path, "path"));
  options.modelPath = source.path();
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
  options.paramsDir = pathArgument(params, "params");
  options.saveDir = pathArgument(saveDir, "save_dir");
  options.shuffle = shuffle;
  options.dropLast = dropLast;

  py::list history;
  // The first exception a callback raised, raised again from nnc.train, and
  // what it was, for the error that ends the run ("on_step raised
  // KeyError: 'x'"): under mpirun a rank shows it before the job ends.
  std::optional<py::error_already_set> callbackError;
  std::string callbackFailure;
  auto keep = [&](const char *callbackName, py::error_already_set error) {
    callbackFailure = std::string(callbackName) + " raised ";
    // Reading the exception runs Python code (its __str__), which may raise
    // in turn; the callback's own exception is the one that counts.
    try {
      callbackFailure +=
          py::str(error.type().attr("__name__")).cast<std::string>();
      std::string text = py::str(error.value());
      if (!text.empty())
        callbackFailure += ": " + text;
    } catch (py::error_already_set &) {
      callbackFailure += "an exception whose message could not be read";
    }
    callbackError = std::move(error);
  };
  // Runs a hook's Python side (with the GIL held). An exception from it,
  // the callback's or one raised while building the callback's arguments
  // (a MemoryError), is kept, ends training before the next step and is
  // raised from nnc.train: none may leave the hook, since the trainer's
  // frames are built without exceptions and would not release what they
  // hold (the checkpoint lock).
  auto guarded = [&](const char *callbackName, auto &&body) {
    try {
      body();
      return true;
    } catch (py::error_already_set &error) {
      keep(callbackName, std::move(error));
    } catch (const std::exception &error) {
      PyErr_SetString(dynamic_cast<const std::bad_alloc *>(&error)
                          ? PyExc_MemoryError
                          : PyExc_RuntimeError,
                      error.what());
      keep(callbackName, py::error_already_set());
    }
    return false;
  };
  options.hooks.onEpochEnd = [&](const train::EpochReport &report) {
    py::gil_scoped_acquire acquire;
    guarded("callback", [&] {
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
      if (callback && !callbackError)
        (*callback)(entry);
    });
  };
  // The step hooks: an exception ends training, and is raised again here.
  if (afterGradients)
    options.hooks.afterGradients =
        [&](int64_t step,
            const std::map<std::string, rt::TensorView> &gradients) {
          py::gil_scoped_acquire acquire;
          if (callbackError)
            return rt::Error::failure(callbackFailure);
          std::optional<std::string> misshapen;
          bool ran = guarded("after_gradients", [&] {
            // Copies the caller may keep; what it writes into them goes
            // back.
            py::dict arrays;
            for (const auto &[name, gradient] : gradients)
              arrays[py::str(name)] =
                  py::array(numpyDType(gradient.dtype()),
                            shapeOf(gradient.shape()), gradient.rawData());
            (*afterGradients)(step, arrays);
            for (const auto &[name, gradient] : gradients) {
              py::object value = arrays.contains(py::str(name))
                                     ? py::object(arrays[py::str(name)])
                                     : py::object(py::none());
              py::array array = py::array::ensure(value, py::array::c_style);
              if (!array ||
                  !array.dtype().equal(numpyDType(gradient.dtype())) ||
                  shapeOfArray(array) != gradient.shape()) {
                misshapen = "after_gradients: gradient '" + name +
                            "' must stay a C-contiguous array of its dtype "
                            "and shape";
                PyErr_SetString(PyExc_ValueError, misshapen->c_str());
                throw py::error_already_set();
              }
              std::memcpy(gradient.rawData(), array.data(),
                          gradient.byteSize());
            }
          });
          if (ran)
            return rt::Error::success();
          return rt::Error::failure(misshapen.value_or(callbackFailure));
        };
  if (onStep)
    options.hooks.onStepEnd = [&](const train::StepReport &report) {
      py::gil_scoped_acquire acquire;
      if (callbackError)
        return;
      guarded("on_step", [&] {
        py::dict entry;
        entry["step"] = report.step;
        entry["epoch"] = report.epoch;
        entry["loss"] = report.loss;
        entry["samples"] = report.samples;
        (*onStep)(entry);
      });
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
    if (PyErr_WarnEx(PyExc_UserWarning, source.named(warning).c_str(), 1) != 0)
      throw py::error_already_set();
  if (callbackError)
    throw *callbackError;
  if (error.code == train::UsageError)
    raiseValue(source.named(error.error.message()));
  if (!error.ok())
    raise("training failed: " + source.named(error.error.message()));

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

} // namespace nnc::python
