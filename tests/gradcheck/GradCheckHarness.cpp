//===- GradCheckHarness.cpp - Autodiff against finite differences ---------===//

#include "tests/gradcheck/GradCheckHarness.h"

#include "driver/FunctionCompiler.h"
#include "ir/NNDialect.h"
#include "passes/Autodiff.h"
#include "runtime/PluginHost.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <set>

using namespace mlir;

namespace nnc::gradcheck {

uint64_t SplitMix64::next() {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

int64_t SplitMix64::integer(int64_t low, int64_t high) {
  assert(low < high && "empty integer range");
  return low + static_cast<int64_t>(next() % static_cast<uint64_t>(high - low));
}

uint64_t fnv1a64(const std::string &text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string tensorType(const rt::Shape &shape, const std::string &element) {
  std::string text = "tensor<";
  for (int64_t extent : shape)
    text += std::to_string(extent) + "x";
  return text + element + ">";
}

namespace {

/// One compiled function and the buffers of its results.
struct Runnable {
  rt::Function compiled;
  std::vector<rt::Tensor> results;
  std::vector<std::string> resultNames;
};

std::string defaultPluginPath() {
  if (const char *path = std::getenv("NNC_GRADCHECK_PLUGIN"))
    return path;
  return std::string(NNC_PLUGIN_DIR) + "/libnnc_backend_ref.so";
}

/// The ref plugin, loaded once per path and kept for the process.
rt::Expected<rt::LoadedPlugin> pluginAt(const std::string &path) {
  static std::map<std::string, rt::LoadedPlugin> loaded;
  if (auto it = loaded.find(path); it != loaded.end())
    return it->second;
  rt::Expected<rt::LoadedPlugin> plugin = rt::loadPlugin(path);
  if (!plugin.ok())
    return plugin.takeError();
  loaded.emplace(path, *plugin);
  return *plugin;
}

/// "[1, 0, 2]": the multi-index of flat C-order `index` in `shape`.
std::string multiIndex(const rt::Shape &shape, int64_t index) {
  std::vector<int64_t> coords(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    coords[d] = index % shape[d];
    index /= shape[d];
  }
  std::string text = "[";
  for (size_t d = 0; d < coords.size(); ++d)
    text += (d ? ", " : "") + std::to_string(coords[d]);
  return text + "]";
}

std::string formatDouble(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.12g", value);
  return buffer;
}

} // namespace

struct GradCheckSession::Impl {
  GradCheckOptions options;
  MLIRContext context;
  OwningOpRef<ModuleOp> forwardModule;
  OwningOpRef<ModuleOp> gradModule;
  std::optional<rt::LoadedPlugin> plugin;
  Runnable forward;
  Runnable grad;
  /// One per argument of @forward (and @grad), in order.
  std::vector<rt::Tensor> arguments;
  std::vector<std::string> argumentNames;
  std::vector<std::string> argumentRoles;
  unsigned forwardLossIndex = 0;

  explicit Impl(const GradCheckOptions &options)
      : options(options), context(MLIRContext::Threading::DISABLED) {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  rt::Error compile(func::FuncOp function, Runnable &runnable);
  rt::Error fillArguments(func::FuncOp function);
  rt::Error run(Runnable &runnable);
};

rt::Error GradCheckSession::Impl::compile(func::FuncOp function,
                                          Runnable &runnable) {
  FailureOr<rt::Function> compiled = driver::compileFunction(function, *plugin);
  if (failed(compiled))
    return rt::Error::failure("cannot compile @" + function.getSymName().str());
  runnable.compiled = std::move(*compiled);
  const rt::ExecutionPlan &plan = runnable.compiled.executor->plan();
  for (const rt::ExternalBinding &binding : plan.outputs) {
    const rt::PlanValue &value = plan.values[binding.value];
    rt::Expected<rt::Tensor> tensor =
        rt::Tensor::create(value.dtype, value.shape);
    if (!tensor.ok())
      return tensor.takeError();
    runnable.results.push_back(std::move(*tensor));
    runnable.resultNames.push_back(binding.name);
  }
  return rt::Error::success();
}

rt::Error GradCheckSession::Impl::fillArguments(func::FuncOp function) {
  for (unsigned i = 0; i < function.getNumArguments(); ++i) {
    std::string name = getArgString(function, i, "nn.name").str();
    if (name.empty())
      return rt::Error::failure("argument " + std::to_string(i) +
                                " of @forward has no nn.name");
    auto type = dyn_cast<RankedTensorType>(function.getArgument(i).getType());
    if (!type || !type.hasStaticShape())
      return rt::Error::failure("argument '" + name +
                                "' is not a static tensor");
    Type element = type.getElementType();
    rt::DType dtype;
    if (element.isF64())
      dtype = rt::DType::F64;
    else if (element.isInteger(32))
      dtype = rt::DType::I32;
    else if (element.isInteger(64))
      dtype = rt::DType::I64;
    else
      return rt::Error::failure("argument '" + name +
                                "' must be f64, i32 or i64");
    rt::Expected<rt::Tensor> tensor = rt::Tensor::create(
        dtype, rt::Shape(type.getShape().begin(), type.getShape().end()));
    if (!tensor.ok())
      return tensor.takeError();

    ArgumentFill fill;
    if (auto it = options.fills.find(name); it != options.fills.end())
      fill = it->second;
    int64_t count = tensor->numElements();
    if (!fill.values.empty() &&
        static_cast<int64_t>(fill.values.size()) != count)
      return rt::Error::failure("argument '" + name + "' has " +
                                std::to_string(count) + " elements, given " +
                                std::to_string(fill.values.size()));
    SplitMix64 random(options.seed ^ fnv1a64(name));
    for (int64_t e = 0; e < count; ++e) {
      if (dtype == rt::DType::F64) {
        tensor->data<double>()[e] = fill.values.empty()
                                        ? random.uniform(fill.low, fill.high)
                                        : fill.values[e];
        continue;
      }
      int64_t value = fill.values.empty()
                          ? random.integer(fill.intLow, fill.intHigh)
                          : static_cast<int64_t>(fill.values[e]);
      if (dtype == rt::DType::I32)
        tensor->data<int32_t>()[e] = static_cast<int32_t>(value);
      else
        tensor->data<int64_t>()[e] = value;
    }
    arguments.push_back(std::move(*tensor));
    argumentNames.push_back(name);
    argumentRoles.push_back(getArgString(function, i, "nn.role").str());
  }
  return rt::Error::success();
}

rt::Error GradCheckSession::Impl::run(Runnable &runnable) {
  std::vector<const void *> inputs;
  for (const rt::Tensor &argument : arguments)
    inputs.push_back(argument.rawData());
  std::vector<void *> outputs;
  for (rt::Tensor &result : runnable.results)
    outputs.push_back(result.rawData());
  return runnable.compiled.executor->run(inputs, outputs);
}

GradCheckSession::GradCheckSession(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}

GradCheckSession::~GradCheckSession() = default;

rt::Expected<std::unique_ptr<GradCheckSession>>
GradCheckSession::create(const std::string &mlirText,
                         const GradCheckOptions &options) {
  auto impl = std::make_unique<Impl>(options);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&impl->context, [&](Diagnostic &diag) {
    llvm::raw_string_ostream os(diagnostics);
    os << diag.getLocation() << ": " << diag.str() << "\n";
    for (const Diagnostic &note : diag.getNotes())
      os << "  note: " << note.str() << "\n";
    return success();
  });
  auto withDiagnostics = [&](const std::string &message) {
    return rt::Error::failure(message +
                              (diagnostics.empty() ? "" : ":\n" + diagnostics));
  };

  impl->forwardModule =
      parseSourceString<ModuleOp>(mlirText, ParserConfig(&impl->context));
  if (!impl->forwardModule)
    return withDiagnostics("cannot parse the test module");
  auto forward = impl->forwardModule->lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return withDiagnostics("the test module has no @forward");
  FailureOr<unsigned> lossIndex = findLossResult(forward);
  if (failed(lossIndex))
    return withDiagnostics("@forward has no scalar loss");
  impl->forwardLossIndex = *lossIndex;

  impl->gradModule = impl->forwardModule->clone();
  FailureOr<func::FuncOp> grad =
      buildGradFunction(*impl->gradModule, AutodiffOptions());
  if (failed(grad))
    return withDiagnostics("cannot build @grad");
  if (failed(verify(*impl->gradModule)))
    return withDiagnostics("@grad does not verify");

  std::string path =
      options.pluginPath.empty() ? defaultPluginPath() : options.pluginPath;
  rt::Expected<rt::LoadedPlugin> plugin = pluginAt(path);
  if (!plugin.ok())
    return plugin.takeError();
  impl->plugin = *plugin;

  if (rt::Error error = impl->compile(forward, impl->forward); !error.ok())
    return withDiagnostics(error.message());
  if (rt::Error error = impl->compile(*grad, impl->grad); !error.ok())
    return withDiagnostics(error.message());
  if (rt::Error error = impl->fillArguments(forward); !error.ok())
    return error;
  return std::unique_ptr<GradCheckSession>(
      new GradCheckSession(std::move(impl)));
}

rt::Tensor *GradCheckSession::argument(const std::string &name) {
  for (size_t i = 0; i < impl->arguments.size(); ++i)
    if (impl->argumentNames[i] == name)
      return &impl->arguments[i];
  return nullptr;
}

rt::Expected<double> GradCheckSession::forwardLoss() {
  if (rt::Error error = impl->run(impl->forward); !error.ok())
    return std::move(error).withContext("@forward");
  return impl->forward.results[impl->forwardLossIndex].data<double>()[0];
}

rt::Error GradCheckSession::runGrad() {
  if (rt::Error error = impl->run(impl->grad); !error.ok())
    return std::move(error).withContext("@grad");
  return rt::Error::success();
}

double GradCheckSession::gradLoss() const {
  return impl->grad.results[0].data<double>()[0];
}

const rt::Tensor *GradCheckSession::gradient(const std::string &name) const {
  for (size_t i = 1; i < impl->grad.results.size(); ++i)
    if (impl->grad.resultNames[i] == "grad_" + name)
      return &impl->grad.results[i];
  return nullptr;
}

std::vector<std::string> GradCheckSession::gradientNames() const {
  std::vector<std::string> names;
  for (size_t i = 1; i < impl->grad.resultNames.size(); ++i)
    names.push_back(
        impl->grad.resultNames[i].substr(std::string("grad_").size()));
  return names;
}

GradCheckReport GradCheckSession::check() {
  GradCheckReport report;
  auto fail = [&](const std::string &message) {
    report.passed = false;
    report.message = message;
    return report;
  };
  if (rt::Error error = runGrad(); !error.ok())
    return fail(error.message());
  rt::Expected<double> base = forwardLoss();
  if (!base.ok())
    return fail(base.message());
  if (!std::isfinite(*base))
    return fail("the loss is not finite: " + formatDouble(*base));
  double lossError =
      std::fabs(gradLoss() - *base) / std::max({1.0, std::fabs(*base)});
  if (lossError > 1e-12)
    return fail("@grad's loss " + formatDouble(gradLoss()) +
                " differs from @forward's " + formatDouble(*base));
  std::vector<std::string> names = gradientNames();
  if (names.empty())
    return fail("@grad has no gradient to check");

  double floor = 1e-3 * std::max(1.0, std::fabs(*base));
  int failures = 0;
  for (const std::string &name : names) {
    rt::Tensor *value = argument(name);
    const rt::Tensor *analytic = gradient(name);
    if (!value || !analytic || value->dtype() != rt::DType::F64 ||
        analytic->shape() != value->shape())
      return fail("gradient 'grad_" + name +
                  "' does not match a parameter of its shape");
    int64_t count = value->numElements();
    std::vector<int64_t> indices;
    if (count <= impl->options.maxElements) {
      for (int64_t e = 0; e < count; ++e)
        indices.push_back(e);
    } else {
      std::set<int64_t> chosen = {0, count - 1};
      SplitMix64 random(impl->options.seed ^ fnv1a64("check." + name));
      while (static_cast<int64_t>(chosen.size()) < impl->options.maxElements)
        chosen.insert(random.integer(0, count));
      indices.assign(chosen.begin(), chosen.end());
    }
    for (int64_t e : indices) {
      double &x = value->data<double>()[e];
      double saved = x;
      double step = 1e-6 * std::max(1.0, std::fabs(saved));
      x = saved + step;
      rt::Expected<double> up = forwardLoss();
      x = saved - step;
      rt::Expected<double> down = forwardLoss();
      x = saved;
      if (!up.ok() || !down.ok())
        return fail(up.ok() ? down.message() : up.message());
      double numeric = (*up - *down) / (2 * step);
      double a = analytic->data<double>()[e];
      double error = std::fabs(a - numeric) /
                     std::max({std::fabs(a), std::fabs(numeric), floor});
      if (!std::isfinite(error))
        error = INFINITY;
      ++report.elementsChecked;
      report.worstError = std::max(report.worstError, error);
      if (error <= impl->options.tolerance)
        continue;
      if (++failures <= 20)
        report.message +=
            "param '" + name + "' element " + std::to_string(e) + " " +
            multiIndex(value->shape(), e) + " (value " + formatDouble(saved) +
            "): analytic " + formatDouble(a) + ", numeric " +
            formatDouble(numeric) + ", error " + formatDouble(error) + "\n";
    }
  }
  if (failures > 20)
    report.message += "... " + std::to_string(failures - 20) + " more\n";
  report.passed = failures == 0;
  if (!report.passed)
    report.message += "tolerance " + formatDouble(impl->options.tolerance) +
                      ", loss " + formatDouble(*base);
  return report;
}

GradCheckReport checkGradients(const std::string &mlirText,
                               const GradCheckOptions &options) {
  rt::Expected<std::unique_ptr<GradCheckSession>> session =
      GradCheckSession::create(mlirText, options);
  if (!session.ok()) {
    GradCheckReport report;
    report.message = session.message();
    return report;
  }
  return (*session)->check();
}

} // namespace nnc::gradcheck
