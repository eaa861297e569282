//===- CompiledGraph.cpp - One executable graph and its results -----------===//

#include "train/CompiledGraph.h"

#include "runtime/ArtifactLoader.h"

#include <algorithm>

namespace nnc::train {

rt::Expected<std::unique_ptr<CompiledGraph>>
CompiledGraph::create(rt::Function loaded,
                      const std::vector<std::string> &unreadInputs) {
  std::unique_ptr<CompiledGraph> graph(new CompiledGraph());
  graph->loaded = std::move(loaded);
  const rt::ExecutionPlan &plan = graph->loaded.executor->plan();
  auto makeTensor = [](const rt::PlanValue &value) {
    return rt::Tensor::create(value.dtype, value.shape);
  };
  for (size_t o = 0; o < plan.outputs.size(); ++o) {
    const rt::ExternalBinding &binding = plan.outputs[o];
    const rt::PlanValue &value = plan.values[binding.value];
    rt::Expected<rt::Tensor> tensor = makeTensor(value);
    if (!tensor.ok())
      return tensor.takeError();
    graph->outputs.push_back({binding.role, binding.name, std::move(*tensor)});
    int64_t argument = -1;
    if (value.kind == rt::ValueKind::Output &&
        value.index == static_cast<int64_t>(o) && value.reuses >= 0)
      for (size_t i = 0; i < plan.inputs.size(); ++i)
        if (plan.inputs[i].value == value.reuses)
          argument = static_cast<int64_t>(i);
    graph->updatedArgument.push_back(argument);
  }
  for (const rt::ExternalBinding &binding : plan.inputs) {
    if (binding.role != rt::BindingRole::Input ||
        std::find(unreadInputs.begin(), unreadInputs.end(), binding.name) ==
            unreadInputs.end())
      continue;
    rt::Expected<rt::Tensor> zeros = makeTensor(plan.values[binding.value]);
    if (!zeros.ok())
      return zeros.takeError();
    graph->unusedInputs.insert_or_assign(binding.name, std::move(*zeros));
  }
  return graph;
}

rt::Expected<std::unique_ptr<CompiledGraph>>
CompiledGraph::load(const rt::ArtifactGraph &graph,
                    const rt::LoadedPlugin &plugin,
                    std::shared_ptr<rt::Session> session) {
  rt::Expected<rt::Function> loaded =
      rt::loadArtifactGraph(graph, plugin, std::move(session));
  if (!loaded.ok())
    return loaded.takeError();
  std::vector<std::string> unread;
  for (const rt::ExternalBinding &binding : graph.plan.inputs)
    if (binding.role == rt::BindingRole::Input &&
        !rt::isInputRead(graph.plan, binding))
      unread.push_back(binding.name);
  return create(std::move(*loaded), unread);
}

rt::Error CompiledGraph::run(const Lookup &lookup,
                             const StateLookup &updateInPlace) {
  return runOnViews(
      [&](rt::BindingRole role,
          const std::string &name) -> std::optional<rt::ConstTensorView> {
        if (const rt::Tensor *tensor = lookup(role, name))
          return tensor->view();
        return std::nullopt;
      },
      updateInPlace);
}

rt::Error
CompiledGraph::runOnViews(const ViewLookup &lookup,
                          const StateLookup &updateInPlace,
                          const std::map<size_t, rt::TensorView> &resultViews) {
  const rt::ExecutionPlan &plan = loaded.executor->plan();
  std::vector<rt::TensorView> outputViews;
  outputViews.reserve(outputs.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    Result &result = outputs[o];
    result.inPlace = false;
    if (auto given = resultViews.find(o); given != resultViews.end()) {
      outputViews.push_back(given->second);
      continue;
    }
    rt::Tensor *state = nullptr;
    if (updateInPlace && updatedArgument[o] >= 0) {
      const rt::ExternalBinding &argument = plan.inputs[updatedArgument[o]];
      state = updateInPlace(argument.role, argument.name);
    }
    if (state && state->dtype() == result.tensor.dtype() &&
        state->shape() == result.tensor.shape()) {
      result.inPlace = true;
      outputViews.push_back(state->view());
    } else {
      outputViews.push_back(result.tensor.view());
    }
  }
  return runInto(lookup, outputViews);
}

rt::Error
CompiledGraph::runInto(const ViewLookup &lookup,
                       const std::vector<rt::TensorView> &outputViews) {
  const rt::ExecutionPlan &plan = loaded.executor->plan();
  std::vector<rt::ConstTensorView> inputViews;
  inputViews.reserve(plan.inputs.size());
  for (const rt::ExternalBinding &binding : plan.inputs) {
    auto unused = unusedInputs.find(binding.name);
    std::optional<rt::ConstTensorView> view;
    if (binding.role == rt::BindingRole::Input && unused != unusedInputs.end())
      view = unused->second.view();
    else
      view = lookup(binding.role, binding.name);
    if (!view)
      return rt::Error::failure(std::string("no value for ") +
                                rt::roleName(binding.role) + " '" +
                                binding.name + "'");
    inputViews.push_back(*view);
  }
  if (outputViews.size() != outputs.size())
    return rt::Error::failure(
        "the graph has " + std::to_string(outputs.size()) + " results, given " +
        std::to_string(outputViews.size()) + " buffers");
  return loaded.run(inputViews, outputViews);
}

CompiledGraph::Result *CompiledGraph::findResult(rt::BindingRole role,
                                                 const std::string &name) {
  for (Result &result : outputs)
    if (result.role == role && result.name == name)
      return &result;
  return nullptr;
}

std::vector<CompiledGraph::Argument> CompiledGraph::arguments() const {
  const rt::ExecutionPlan &plan = loaded.executor->plan();
  std::vector<Argument> args;
  for (const rt::ExternalBinding &binding : plan.inputs) {
    const rt::PlanValue &value = plan.values[binding.value];
    args.push_back({binding.role, binding.name, value.dtype, value.shape});
  }
  return args;
}

uint64_t CompiledGraph::arenaBytes() const {
  return loaded.executor->arenaSize();
}

const rt::ExecutionPlan &CompiledGraph::plan() const {
  return loaded.executor->plan();
}

const rt::PluginExecutable &CompiledGraph::executable() const {
  return *loaded.executable;
}

std::vector<std::string> CompiledGraph::resultNames() const {
  std::vector<std::string> names;
  for (const Result &result : outputs)
    names.push_back(result.name);
  return names;
}

} // namespace nnc::train
