//===- Model.cpp - A compiled artifact, loaded and run --------------------===//
//
// The runtime's artifact loader behind the public API: the same file
// checks, plugin search and graph choice as `nnc-run` (runtime/
// ArtifactLoader.h), each graph deserialized on first use and kept, and
// the caller's input memory bound in place.
//
//===----------------------------------------------------------------------===//

#include "api/ApiSupport.h"

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"
#include "runtime/PluginHost.h"
#include "runtime/ThreadLimit.h"

#include <cstdlib>
#include <mutex>
#include <optional>

using namespace nnc;

struct Model::Impl {
  rt::Artifact artifact;
  const rt::LoadedPlugin *backend = nullptr;
  /// The threads every graph of the model runs on, made once; it owns the
  /// backend's plugin.
  std::shared_ptr<rt::Session> session;
  std::vector<Port> inputs, outputs;
  std::map<std::string, rt::Function> graphs;
  std::mutex running;
};

Model::Model() : impl(std::make_unique<Impl>()) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::string &path, Status &status,
                                   const LoadOptions &options) {
  if (options.threads > rt::kMaxThreads) {
    status = failureLine("threads " + rt::threadLimitMessage(options.threads));
    return nullptr;
  }
  std::unique_ptr<Model> model(new Model());
  Impl &impl = *model->impl;
  rt::Expected<rt::Artifact> artifact = rt::readArtifact(path);
  if (!artifact.ok()) {
    status = failureLine(artifact.message());
    return nullptr;
  }
  impl.artifact = std::move(*artifact);
  rt::Expected<rt::ArtifactBackend> backend = rt::openArtifactBackend(
      impl.artifact, rt::SessionOptions{options.threads, /*kernelCache=*/true},
      options.plugins);
  if (!backend.ok()) {
    status = failureLine(path + ": " + backend.message());
    return nullptr;
  }
  impl.backend = backend->plugin;
  impl.session = std::move(backend->session);
  auto toPort = [](const rt::ArtifactPort &port) {
    return Port{port.name, toApi(port.dtype),
                std::vector<int64_t>(port.shape.begin(), port.shape.end()),
                port.batched};
  };
  for (const rt::ArtifactPort &port : impl.artifact.inputs)
    impl.inputs.push_back(toPort(port));
  for (const rt::ArtifactPort &port : impl.artifact.outputs)
    impl.outputs.push_back(toPort(port));
  status = Status();
  return model;
}

const std::vector<Port> &Model::inputs() const { return impl->inputs; }
const std::vector<Port> &Model::outputs() const { return impl->outputs; }
int64_t Model::batchSize() const { return impl->artifact.batchSize; }

Status Model::run(const std::map<std::string, TensorView> &inputs,
                  std::map<std::string, Tensor> &results) {
  std::lock_guard<std::mutex> turn(impl->running);
  ResultsKeptOnSuccess outcome(results);
  std::vector<std::string> fed;
  for (const auto &[name, view] : inputs) {
    if (Status checked = TensorAccess::check("input '" + name + "'", view);
        !checked)
      return checked;
    fed.push_back(name);
  }
  rt::Expected<const rt::ArtifactGraph *> chosen =
      rt::selectRunGraph(impl->artifact, fed);
  if (!chosen.ok())
    return failureLine(chosen.message());
  const rt::ArtifactGraph &graph = **chosen;
  auto loaded = impl->graphs.find(graph.name);
  if (loaded == impl->graphs.end()) {
    rt::Expected<rt::Function> made =
        rt::loadArtifactGraph(graph, *impl->backend, impl->session);
    if (!made.ok())
      return failureLine(made.message());
    loaded = impl->graphs.emplace(graph.name, std::move(*made)).first;
  }
  std::map<std::string, rt::ConstTensorView> feeds;
  for (const auto &[name, view] : inputs)
    feeds.emplace(name, TensorAccess::view(view));
  rt::Expected<std::vector<rt::Tensor>> made =
      rt::runArtifactGraph(impl->artifact, loaded->second, feeds);
  if (!made.ok())
    return failureLine(made.message());
  const rt::ExecutionPlan &plan = loaded->second.executor->plan();
  results.clear();
  for (size_t i = 0; i < made->size(); ++i)
    results.emplace(plan.outputs[i].name,
                    TensorAccess::wrap(std::move((*made)[i])));
  outcome.keep();
  return Status();
}
