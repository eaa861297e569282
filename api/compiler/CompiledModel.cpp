//===- CompiledModel.cpp - Compiling a model, running it, its gradient ----===//
//
// A ModelSession opened on the model, a graph compiled per batch size and
// kind on first use, and every run through CompiledGraph::runInto on the
// caller's memory, as the Python module runs it.
//
//===----------------------------------------------------------------------===//

#include "api/compiler/CompiledModelImpl.h"

#include "driver/Trainer.h"

#include "runtime/ThreadLimit.h"

#include <algorithm>

using namespace nnc;

namespace {

/// The batch dimension of a port, which takes any size.
constexpr int64_t kAnyBatch = -1;

Port portOf(const std::string &name, const frontend::TensorType &type) {
  Port port;
  port.name = name;
  port.dtype = toApi(train::toRuntimeDType(type.dtype));
  for (int64_t extent : type.shape)
    port.shape.push_back(extent == shape::kDynamic ? kAnyBatch : extent);
  port.batched = !type.shape.empty() && type.shape[0] == shape::kDynamic;
  return port;
}

Status failure(const rt::Error &error) { return failureOf(error); }

} // namespace

int64_t nnc::trainBatchOf(const frontend::Program &program, int64_t otherwise) {
  auto it = program.training.settings.find("batch");
  if (it != program.training.settings.end())
    if (const int64_t *value = std::get_if<int64_t>(&it->second))
      return *value;
  return otherwise;
}

std::string nnc::joinNames(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

CompiledModel::CompiledModel() : impl(std::make_unique<Impl>()) {}
CompiledModel::~CompiledModel() = default;

std::unique_ptr<CompiledModel>
CompiledModel::compile(const std::string &path, Status &status,
                       const CompileOptions &options) {
  if (options.batch < 0) {
    status = failureLine("the batch size must not be negative");
    return nullptr;
  }
  if (options.threads > rt::kMaxThreads) {
    status = failureLine("threads " + rt::threadLimitMessage(options.threads));
    return nullptr;
  }
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  Impl &impl = *model->impl;
  impl.options = options;
  impl.modelPath = path;
  train::SessionOptions sessionOptions;
  sessionOptions.backend = options.backend;
  sessionOptions.threads = options.threads;
  sessionOptions.plugins = options.plugins;
  // The session dies with `impl`, so the handler never outlives what it
  // writes to.
  rt::Expected<std::unique_ptr<driver::ModelSession>> session =
      driver::ModelSession::open(
          sessionOptions, path,
          [&impl](const std::string &rendered) { impl.addWarning(rendered); });
  if (!session.ok()) {
    status = failure(session.takeError());
    return nullptr;
  }
  impl.session = std::move(*session);
  impl.graphs = std::make_unique<driver::SessionGraphSource>(
      *impl.session, driver::GraphRequest());
  const frontend::Program &program = impl.session->program();
  impl.seed = options.seed.value_or(driver::trainSectionSeed(program.training));
  if (rt::Error error = impl.params.initialize(program, "", impl.seed);
      !error.ok()) {
    status = failure(error);
    return nullptr;
  }
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Input)
      impl.inputs.push_back(portOf(arg.name, arg.type));
  for (const frontend::Output &output : program.outputs)
    impl.outputs.push_back(portOf(output.name, program.typeOf(output.value)));
  if (options.batch > 0 && !impl.forwardGraph(options.batch, false, status))
    return nullptr;
  status = Status();
  return model;
}

const std::vector<Port> &CompiledModel::inputs() const { return impl->inputs; }

const std::vector<Port> &CompiledModel::outputs() const {
  return impl->outputs;
}

const std::string &CompiledModel::backend() const {
  return impl->session->backendName();
}

const std::vector<std::string> &CompiledModel::warnings() const {
  std::lock_guard<std::mutex> guard(impl->warningsGuard);
  // Warnings are only added, so a list of another size is out of date.
  if (impl->warningLists.empty() ||
      impl->warningLists.back().size() != impl->warnings.size())
    impl->warningLists.push_back(impl->warnings);
  return impl->warningLists.back();
}

Status CompiledModel::run(const std::map<std::string, TensorView> &inputs,
                          std::map<std::string, Tensor> &results) {
  ResultsKeptOnSuccess outcome(results);
  if (Status reentered = impl->checkNotInTrain("run"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  if (Status checked = impl->checkInputs(inputs); !checked)
    return checked;
  const std::vector<std::string> &lossOnly = impl->session->lossOnlyInputs();
  bool withLoss = true;
  for (const Port &port : impl->inputs) {
    if (inputs.count(port.name))
      continue;
    if (std::find(lossOnly.begin(), lossOnly.end(), port.name) ==
        lossOnly.end())
      return failureLine("missing input '" + port.name + "' (inputs: " +
                         joinNames(impl->session->inputNames()) + ")");
    withLoss = false;
  }
  int64_t batch = 0;
  if (Status sized = impl->batchOf(inputs, batch); !sized)
    return sized;
  Status status;
  train::CompiledGraph *graph = impl->forwardGraph(batch, withLoss, status);
  if (!graph)
    return status;
  Status done = impl->execute(*graph, inputs, results);
  if (done)
    outcome.keep();
  return done;
}

Status CompiledModel::grad(const std::map<std::string, TensorView> &inputs,
                           std::map<std::string, Tensor> &results,
                           bool trainingMode) {
  ResultsKeptOnSuccess outcome(results);
  if (Status reentered = impl->checkNotInTrain("grad"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  if (!impl->session->program().hasLoss)
    return failureLine("the model has no loss to differentiate");
  if (Status checked = impl->checkInputs(inputs); !checked)
    return checked;
  if (Status complete = impl->checkAllInputs(inputs); !complete)
    return complete;
  int64_t batch = 0;
  if (Status sized = impl->batchOf(inputs, batch); !sized)
    return sized;
  Status status;
  train::CompiledGraph *graph =
      impl->gradientGraph(batch, trainingMode, status);
  if (!graph)
    return status;
  Status done = impl->execute(*graph, inputs, results);
  if (done)
    outcome.keep();
  return done;
}

Status CompiledModel::Impl::checkInputs(
    const std::map<std::string, TensorView> &fed) const {
  for (const auto &[name, view] : fed) {
    const std::string &fedName = name;
    auto port = std::find_if(inputs.begin(), inputs.end(),
                             [&](const Port &p) { return p.name == fedName; });
    if (port == inputs.end())
      return failureLine("the model has no input '" + name + "' (inputs: " +
                         joinNames(session->inputNames()) + ")");
    if (Status checked = TensorAccess::check("input '" + name + "'", view);
        !checked)
      return checked;
    if (rt::Error error = driver::checkInputTypes(
            session->program(), {{name, TensorAccess::view(view)}});
        !error.ok())
      return failure(error);
    // An empty batch would reach the batch-size inference as no batch at
    // all; the words are those of the training data's check.
    if (port->batched && view.shape[0] == 0)
      return failureLine("input '" + name +
                         "' has no samples (its first dimension is 0)");
  }
  return Status();
}

Status CompiledModel::Impl::checkAllInputs(
    const std::map<std::string, TensorView> &fed) const {
  for (const Port &port : inputs)
    if (!fed.count(port.name))
      return failureLine("missing input '" + port.name + "' (inputs: " +
                         joinNames(session->inputNames()) + ")");
  return Status();
}

Status
CompiledModel::Impl::batchOf(const std::map<std::string, TensorView> &fed,
                             int64_t &batch) const {
  std::map<std::string, rt::Shape> shapes;
  for (const auto &[name, view] : fed)
    shapes[name] = rt::Shape(view.shape.begin(), view.shape.end());
  rt::Expected<int64_t> size = driver::batchSizeOf(session->program(), shapes);
  if (!size.ok())
    return failure(size.takeError());
  batch = *size;
  return Status();
}

train::CompiledGraph *CompiledModel::Impl::forwardGraph(int64_t batch,
                                                        bool withLoss,
                                                        Status &status) {
  return take(withLoss ? graphs->forward(batch) : graphs->predict(batch),
              status);
}

train::CompiledGraph *CompiledModel::Impl::gradientGraph(int64_t batch,
                                                         bool trainingMode,
                                                         Status &status) {
  return take(graphs->gradient(batch, trainingMode), status);
}

train::CompiledGraph *
CompiledModel::Impl::take(rt::Expected<train::CompiledGraph *> compiled,
                          Status &status) {
  if (!compiled.ok()) {
    status = failure(compiled.takeError());
    return nullptr;
  }
  return *compiled;
}

Status
CompiledModel::Impl::runGraph(train::CompiledGraph &graph,
                              const std::map<std::string, TensorView> &fed,
                              std::vector<rt::Tensor> &made) {
  std::map<std::string, rt::ConstTensorView> views;
  for (const auto &[name, view] : fed)
    views.emplace(name, TensorAccess::view(view));
  if (rt::Error error = driver::checkSharedInputs(session->program(), views);
      !error.ok())
    return failure(error);
  auto lookup =
      [&](rt::BindingRole role,
          const std::string &name) -> std::optional<rt::ConstTensorView> {
    if (role == rt::BindingRole::Input) {
      auto it = views.find(name);
      if (it == views.end())
        return std::nullopt;
      return it->second;
    }
    if (const rt::Tensor *tensor = params.find(name))
      return tensor->view();
    return std::nullopt;
  };
  // Fresh tensors each call: the caller keeps its results while the graph
  // runs again.
  made.clear();
  std::vector<rt::TensorView> outputViews;
  for (const train::CompiledGraph::Result &result : graph.results()) {
    rt::Expected<rt::Tensor> tensor =
        rt::Tensor::create(result.tensor.dtype(), result.tensor.shape());
    if (!tensor.ok())
      return failure(tensor.takeError());
    made.push_back(std::move(*tensor));
  }
  for (rt::Tensor &tensor : made)
    outputViews.push_back(tensor.view());
  if (rt::Error error = graph.runInto(lookup, outputViews); !error.ok())
    return failure(error);
  return Status();
}

Status
CompiledModel::Impl::execute(train::CompiledGraph &graph,
                             const std::map<std::string, TensorView> &fed,
                             std::map<std::string, Tensor> &results) {
  std::vector<rt::Tensor> made;
  if (Status ran = runGraph(graph, fed, made); !ran)
    return ran;
  results.clear();
  for (size_t i = 0; i < made.size(); ++i)
    results.insert_or_assign(graph.results()[i].name,
                             TensorAccess::wrap(std::move(made[i])));
  return Status();
}
