//===- Train.h - nnc.train ----------------------------------*- C++ -*-===//
//
// nnc.train: `nnc train` from Python, through the same trainer
// (driver::trainModel), with data given as arrays or files, callbacks for
// each epoch and step, and a hook on the gradients.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PYTHON_TRAIN_H
#define NNC_PYTHON_TRAIN_H

#include "python/ModuleSupport.h"

#include <pybind11/functional.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::python {

namespace py = pybind11;

/// Trains the model at `path` (or the source text `path`, ModelSource) on
/// `data` (NAME: array or path) as `nnc
/// train` would with the flags of the same names; returns the history,
/// with the trained parameters in `.params`. Raises what a callback
/// raised, ValueError for a setting out of range, nnc.Error otherwise.
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
    bool profile);

} // namespace nnc::python

#endif // NNC_PYTHON_TRAIN_H
