//===- GradcheckCommand.cpp - nnc gradcheck -------------------------------===//
//
// Checks a model's gradient graph against central finite differences of its
// loss, both computed in f64 (nn-promote-f64) on the chosen backend, for a
// spread of elements of every trainable parameter.
//
// The relative error of an element is |analytic − numeric| divided by
// max(|analytic|, |numeric|, 1e-4): the floor keeps gradients that are
// almost zero from turning round-off into large ratios. With f64 and a step
// of 1e-5·max(1, |x|), the numeric gradient is good to about 1e-9, so the
// default tolerance of 1e-6 leaves room, yet catches any wrong rule.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelSession.h"
#include "tools/nnc/TrainNames.h"

#include "frontend/Sema.h"
#include "runtime/Initializer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace nnc::cli {
namespace {

/// An f64 copy of a float tensor (integer tensors are copied as they are).
std::optional<rt::Tensor> toF64(const rt::Tensor &tensor) {
  rt::ConstTensorView view = tensor.view();
  if (view.dtype() != rt::DType::F32) {
    rt::Expected<rt::Tensor> copy = tensor.clone();
    if (!copy.ok())
      return std::nullopt;
    return std::move(*copy);
  }
  rt::Expected<rt::Tensor> copy = rt::Tensor::create(rt::DType::F64, view.shape());
  if (!copy.ok())
    return std::nullopt;
  for (int64_t i = 0; i < view.numElements(); ++i)
    copy->view().data<double>()[i] = view.data<float>()[i];
  return std::move(*copy);
}

/// Inputs not given on the command line: floats uniform in [0, 1), integer
/// inputs (labels, indices) zero, which is valid for every op.
bool generateInput(const frontend::Argument &arg, int64_t batch, uint64_t seed,
                   rt::Tensor &out) {
  rt::Shape shape = arg.type.shape;
  if (!shape.empty() && shape[0] == shape::kDynamic)
    shape[0] = batch;
  bool isFloat = frontend::isFloat(arg.type.dtype);
  rt::Expected<rt::Tensor> tensor =
      rt::Tensor::create(isFloat ? rt::DType::F64 : toRuntimeDType(arg.type.dtype),
                         shape);
  if (!tensor.ok()) {
    llvm::errs() << "error: input '" << arg.name << "': " << tensor.message()
                 << "\n";
    return false;
  }
  if (isFloat) {
    rt::InitializerSpec spec{"uniform", {{"low", 0.0}, {"high", 1.0}},
                             rt::mixSeeds(frontend::fnv1a64(arg.name), seed + 1)};
    if (rt::Error error = rt::initialize(tensor->view(), spec); !error.ok()) {
      llvm::errs() << "error: " << error.message() << "\n";
      return false;
    }
  }
  out = std::move(*tensor);
  return true;
}

} // namespace

ExitCode runGradcheck(const GradcheckOptions &options) {
  std::map<std::string, rt::Tensor> given;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", given))
    return code;
  // Finite differences need f64 end to end, which the ref interpreter
  // runs: it is the default here, not the fastest backend.
  SessionOptions sessionOptions = options.session;
  if (sessionOptions.backend.empty())
    sessionOptions.backend = "ref";
  std::unique_ptr<ModelSession> session =
      openWithLoss(sessionOptions, options.modelPath, "differentiate");
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();

  std::map<std::string, rt::Tensor> feeds;
  for (auto &[name, tensor] : given) {
    std::optional<rt::Tensor> promoted = toF64(tensor);
    if (!promoted)
      return UserError;
    feeds.insert_or_assign(name, std::move(*promoted));
  }
  int64_t batch = options.batch;
  if (!given.empty()) {
    std::optional<int64_t> fedBatch = session->batchSizeOf(given);
    if (!fedBatch)
      return UserError;
    batch = *fedBatch;
  }
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input || feeds.count(arg.name))
      continue;
    rt::Tensor tensor;
    if (!generateInput(arg, batch, options.seed, tensor))
      return UserError;
    feeds.insert_or_assign(arg.name, std::move(tensor));
  }

  ParameterStore store;
  if (!store.initialize(program, options.paramsDir, options.seed))
    return UserError;
  std::map<std::string, rt::Tensor> params;
  for (const auto &[name, tensor] : store.values()) {
    std::optional<rt::Tensor> promoted = toF64(tensor);
    if (!promoted)
      return UserError;
    params.insert_or_assign(name, std::move(*promoted));
  }

  GraphRequest request;
  request.batch = program.batchSymbol.empty() ? 0 : batch;
  request.promoteToF64 = true;
  request.trainingMode = options.trainingMode;
  std::unique_ptr<CompiledGraph> forward = session->compile(request);
  request.kind = GraphKind::Gradient;
  std::unique_ptr<CompiledGraph> gradient = session->compile(request);
  if (!forward || !gradient)
    return UserError;

  CompiledGraph::Lookup lookup =
      [&](rt::BindingRole role, const std::string &name) -> const rt::Tensor * {
    std::map<std::string, rt::Tensor> &values =
        role == rt::BindingRole::Input ? feeds : params;
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  if (rt::Error error = gradient->run(lookup); !error.ok())
    return reportUserError(error.message());
  auto lossNow = [&]() -> std::optional<double> {
    if (rt::Error error = forward->run(lookup); !error.ok()) {
      reportUserError(error.message());
      return std::nullopt;
    }
    CompiledGraph::Result *loss =
        forward->findResult(rt::BindingRole::Loss, "loss");
    return loss ? std::optional<double>(scalarValue(loss->tensor))
                : std::nullopt;
  };

  bool allPass = true;
  size_t checked = 0;
  llvm::outs() << llvm::format("%-28s %-16s %8s %14s\n", (const char *)"parameter",
                               (const char *)"shape", (const char *)"checked",
                               (const char *)"worst rel err");
  for (const CompiledGraph::Result &result : gradient->results()) {
    if (result.role != rt::BindingRole::Grad)
      continue;
    std::string name = result.name.substr(std::string("grad_").size());
    auto param = params.find(name);
    if (param == params.end())
      continue;
    rt::TensorView value = param->second.view();
    const double *analytic = result.tensor.view().data<double>();
    int64_t count = value.numElements();
    int64_t samples = std::min<int64_t>(std::max<int64_t>(options.samples, 1), count);
    double worst = 0;
    for (int64_t s = 0; s < samples; ++s) {
      int64_t index = samples == count ? s : s * count / samples;
      double &x = value.data<double>()[index];
      double saved = x;
      double step = 1e-5 * std::max(1.0, std::fabs(saved));
      x = saved + step;
      std::optional<double> up = lossNow();
      x = saved - step;
      std::optional<double> down = lossNow();
      x = saved;
      if (!up || !down)
        return UserError;
      double numeric = (*up - *down) / (2 * step);
      double error = std::fabs(analytic[index] - numeric) /
                     std::max({std::fabs(analytic[index]), std::fabs(numeric),
                               1e-4});
      worst = std::max(worst, error);
    }
    bool pass = worst <= options.tolerance;
    allPass &= pass;
    ++checked;
    llvm::outs() << llvm::format(
        "%-28s %-16s %8lld %14.3e  %s\n", name.c_str(),
        rt::shapeToString(value.shape()).c_str(), (long long)samples, worst,
        pass ? "ok" : "FAIL");
  }
  if (checked == 0) {
    llvm::errs() << "error: the model has no trainable parameter to check\n";
    return UserError;
  }
  if (!allPass) {
    llvm::errs() << "error: gradient check failed: relative error above "
                 << options.tolerance << "\n";
    return UserError;
  }
  llvm::outs() << "gradient check passed for " << checked
               << " parameters (tolerance " << options.tolerance << ")\n";
  return Success;
}

} // namespace nnc::cli
