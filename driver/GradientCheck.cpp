//===- GradientCheck.cpp - Gradients against finite differences -----------===//

#include "driver/GradientCheck.h"

#include "frontend/Sema.h"
#include "runtime/Initializer.h"
#include "runtime/SplitMix64.h"
#include "train/InputDeclarations.h"
#include "train/OutputWriter.h"
#include "train/ParameterStore.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnc::driver {
namespace {

/// An f64 copy of a float tensor (integer tensors are copied as they are).
rt::Expected<rt::Tensor> toF64(const rt::Tensor &tensor) {
  rt::ConstTensorView view = tensor.view();
  if (view.dtype() != rt::DType::F32)
    return tensor.clone();
  rt::Expected<rt::Tensor> copy =
      rt::Tensor::create(rt::DType::F64, view.shape());
  if (!copy.ok())
    return copy;
  for (int64_t i = 0; i < view.numElements(); ++i)
    copy->view().data<double>()[i] = view.data<float>()[i];
  return copy;
}

/// An input not given: floats uniform in [0, 1); a cross-entropy's labels
/// uniform over its `classes` (zeros could all be its ignore_index, and
/// leave nothing to check); other integers zero, which every op accepts.
rt::Expected<rt::Tensor> generateInput(const frontend::Argument &arg,
                                       int64_t batch, uint64_t seed,
                                       int64_t classes) {
  rt::Shape shape = arg.type.shape;
  if (!shape.empty() && shape[0] == shape::kDynamic)
    shape[0] = batch;
  bool isFloat = frontend::isFloat(arg.type.dtype);
  rt::Expected<rt::Tensor> tensor = rt::Tensor::create(
      isFloat ? rt::DType::F64 : train::toRuntimeDType(arg.type.dtype), shape);
  if (!tensor.ok())
    return tensor.takeError().withContext("input '" + arg.name + "'");
  if (isFloat) {
    rt::InitializerSpec spec{
        "uniform",
        {{"low", 0.0}, {"high", 1.0}},
        rt::mixSeeds(frontend::fnv1a64(arg.name), seed + 1)};
    if (rt::Error error = rt::initialize(tensor->view(), spec); !error.ok())
      return error;
  } else if (classes > 0) {
    rt::SplitMix64 random(rt::mixSeeds(frontend::fnv1a64(arg.name), seed + 1));
    rt::TensorView view = tensor->view();
    for (int64_t i = 0; i < view.numElements(); ++i) {
      int64_t label = static_cast<int64_t>(random.nextBelow(classes));
      switch (view.dtype()) {
      case rt::DType::I64:
        view.data<int64_t>()[i] = label;
        break;
      case rt::DType::U8:
        view.data<uint8_t>()[i] = static_cast<uint8_t>(label);
        break;
      default:
        view.data<int32_t>()[i] = static_cast<int32_t>(label);
      }
    }
  }
  return tensor;
}

} // namespace

rt::Expected<std::vector<ParameterCheck>>
checkGradients(ModelSession &session, const train::ParameterStore &store,
               const std::map<std::string, rt::Tensor> &inputs,
               const GradientCheckOptions &options) {
  const frontend::Program &program = session.program();
  std::map<std::string, rt::Tensor> feeds;
  for (const auto &[name, tensor] : inputs) {
    rt::Expected<rt::Tensor> promoted = toF64(tensor);
    if (!promoted.ok())
      return promoted.takeError();
    feeds.insert_or_assign(name, std::move(*promoted));
  }
  int64_t batch = options.batch;
  if (!inputs.empty()) {
    rt::Expected<int64_t> fedBatch = session.batchSizeOf(inputs);
    if (!fedBatch.ok())
      return fedBatch.takeError();
    batch = *fedBatch;
  }
  train::InputDeclarations declarations = train::inputDeclarations(program);
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input || feeds.count(arg.name))
      continue;
    const train::InputDeclaration *declared =
        train::findInput(declarations, arg.name);
    rt::Expected<rt::Tensor> tensor = generateInput(
        arg, batch, options.seed, declared ? declared->classes : 0);
    if (!tensor.ok())
      return tensor.takeError();
    feeds.insert_or_assign(arg.name, std::move(*tensor));
  }

  std::map<std::string, rt::Tensor> params;
  for (const auto &[name, tensor] : store.values()) {
    rt::Expected<rt::Tensor> promoted = toF64(tensor);
    if (!promoted.ok())
      return promoted.takeError();
    params.insert_or_assign(name, std::move(*promoted));
  }

  GraphRequest request;
  request.batch = program.batchSymbol.empty() ? 0 : batch;
  request.promoteToF64 = true;
  request.trainingMode = options.trainingMode;
  rt::Expected<std::unique_ptr<train::CompiledGraph>> forward =
      session.compile(request);
  if (!forward.ok())
    return forward.takeError();
  request.kind = GraphKind::Gradient;
  rt::Expected<std::unique_ptr<train::CompiledGraph>> gradient =
      session.compile(request);
  if (!gradient.ok())
    return gradient.takeError();

  train::CompiledGraph::Lookup lookup =
      [&](rt::BindingRole role, const std::string &name) -> const rt::Tensor * {
    std::map<std::string, rt::Tensor> &values =
        role == rt::BindingRole::Input ? feeds : params;
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  if (rt::Error error = (*gradient)->run(lookup); !error.ok())
    return error;
  auto lossNow = [&]() -> rt::Expected<double> {
    if (rt::Error error = (*forward)->run(lookup); !error.ok())
      return error;
    train::CompiledGraph::Result *loss =
        (*forward)->findResult(rt::BindingRole::Loss, "loss");
    if (!loss)
      return rt::Error::failure("the forward graph returns no loss");
    return train::scalarValue(loss->tensor);
  };

  std::vector<ParameterCheck> checks;
  bool anyGradient = false;
  for (const train::CompiledGraph::Result &result : (*gradient)->results()) {
    if (result.role != rt::BindingRole::Grad)
      continue;
    std::string name = result.name.substr(std::string("grad_").size());
    auto param = params.find(name);
    if (param == params.end())
      continue;
    rt::TensorView value = param->second.view();
    const double *analytic = result.tensor.view().data<double>();
    int64_t count = value.numElements();
    anyGradient = anyGradient || std::any_of(analytic, analytic + count,
                                             [](double g) { return g != 0; });
    int64_t samples =
        std::min<int64_t>(std::max<int64_t>(options.samples, 1), count);
    ParameterCheck check{name, value.shape(), samples, 0};
    for (int64_t s = 0; s < samples; ++s) {
      int64_t index = samples == count ? s : s * count / samples;
      double &x = value.data<double>()[index];
      double saved = x;
      // Two steps: the small one stays clear of kinks (relu, max) that the
      // larger one may cross; in the larger one's quotient the rounding of
      // a deep model's loss (about 1e-15 of a transformer's) weighs ten
      // times less. A gradient is right when either agrees with it.
      double error = std::numeric_limits<double>::infinity();
      for (double relativeStep : {1e-5, 1e-4}) {
        double step = relativeStep * std::max(1.0, std::fabs(saved));
        x = saved + step;
        rt::Expected<double> up = lossNow();
        x = saved - step;
        rt::Expected<double> down = lossNow();
        x = saved;
        if (!up.ok())
          return up.takeError();
        if (!down.ok())
          return down.takeError();
        double numeric = (*up - *down) / (2 * step);
        double stepError =
            std::fabs(analytic[index] - numeric) /
            std::max({std::fabs(analytic[index]), std::fabs(numeric), 1e-4});
        // NaN (a NaN loss or gradient) is the worst of all: std::min and
        // std::max would drop it and pass the check.
        if (std::isnan(stepError)) {
          error = stepError;
          break;
        }
        error = std::min(error, stepError);
      }
      if (std::isnan(error) || error > check.worstRelativeError)
        check.worstRelativeError = error;
    }
    checks.push_back(std::move(check));
  }
  if (checks.empty())
    return rt::Error::failure("the model has no trainable parameter to check");
  // Finite differences of a flat loss agree with zero gradients whatever
  // the derivatives are: such a check would pass without testing anything.
  if (!anyGradient)
    return rt::Error::failure(
        "every gradient is zero at these inputs and parameters, so finite "
        "differences can check nothing; give inputs (--input) or parameters "
        "(--params) where the loss is not flat");
  return checks;
}

} // namespace nnc::driver
