//===- Artifact.cpp - Compiled artifacts (.nnx) ---------------------------===//

#include "runtime/Artifact.h"

#include "runtime/Crc32.h"
#include "runtime/FileIO.h"
#include "runtime/FlatBufferVectors.h"
#include "runtime/artifact/nnx_generated.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

namespace nnc::rt {
namespace {

namespace fb = ::nnc::artifact;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

constexpr uint8_t kLastDType = static_cast<uint8_t>(DType::U8);

/// The CRC-32 of a training state: step, epoch, seed and learning rate as
/// little-endian 8-byte values, in that order (nnx.fbs, Training).
uint32_t trainingChecksum(const ArtifactTraining &state) {
  unsigned char bytes[32];
  uint64_t values[4] = {static_cast<uint64_t>(state.step),
                        static_cast<uint64_t>(state.epoch), state.seed, 0};
  std::memcpy(&values[3], &state.learningRate, sizeof(double));
  for (size_t v = 0; v < 4; ++v)
    for (size_t i = 0; i < 8; ++i)
      bytes[v * 8 + i] = static_cast<unsigned char>(values[v] >> (8 * i));
  return crc32Of(bytes, sizeof bytes);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

fb::DType toFb(DType dtype) { return static_cast<fb::DType>(dtype); }

Offset<flatbuffers::Vector<int64_t>> shapeOf(FlatBufferBuilder &b,
                                             const Shape &shape) {
  return b.CreateVector(shape.data(), shape.size());
}

Offset<fb::Plan> writePlan(FlatBufferBuilder &b, const ExecutionPlan &plan) {
  std::vector<Offset<fb::Value>> values;
  for (const PlanValue &v : plan.values)
    values.push_back(fb::CreateValue(
        b, b.CreateString(v.name), toFb(v.dtype), shapeOf(b, v.shape), v.bytes,
        static_cast<fb::ValueKind>(v.kind), v.index, v.offset, v.reuses));
  std::vector<Offset<fb::Kernel>> kernels;
  for (const PlanKernel &k : plan.kernels)
    kernels.push_back(fb::CreateKernel(b, b.CreateString(k.opName),
                                       b.CreateString(k.location),
                                       b.CreateVector(k.buffers), k.numOperands,
                                       b.CreateVector(k.dependencies), k.flops));
  auto bindings = [&](const std::vector<ExternalBinding> &list) {
    std::vector<Offset<fb::Binding>> out;
    for (const ExternalBinding &binding : list)
      out.push_back(fb::CreateBinding(b, b.CreateString(binding.name),
                                      b.CreateString(roleName(binding.role)),
                                      binding.value));
    return b.CreateVector(out);
  };
  auto inputs = bindings(plan.inputs);
  auto outputs = bindings(plan.outputs);
  return fb::CreatePlan(b, b.CreateVector(values), b.CreateVector(kernels),
                        inputs, outputs, plan.arenaSize);
}

Offset<flatbuffers::Vector<Offset<fb::Port>>>
writePorts(FlatBufferBuilder &b, const std::vector<ArtifactPort> &ports) {
  std::vector<Offset<fb::Port>> out;
  for (const ArtifactPort &port : ports)
    out.push_back(fb::CreatePort(
        b, b.CreateString(port.name), b.CreateString(roleName(port.role)),
        toFb(port.dtype), shapeOf(b, port.shape), port.batched));
  return b.CreateVector(out);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

std::string str(const flatbuffers::String *text) {
  return text ? text->str() : std::string();
}

/// A dtype read from the file: FlatBuffers does not verify enum values.
Expected<DType> dtypeOf(fb::DType dtype, const std::string &what) {
  auto raw = static_cast<uint8_t>(dtype);
  if (raw > kLastDType)
    return Error::failure(what + ": unknown dtype " + std::to_string(raw));
  return static_cast<DType>(raw);
}

/// A role read from the file: the format stores its name.
Expected<BindingRole> roleOf(const flatbuffers::String *text,
                             const std::string &what) {
  std::string name = str(text);
  std::optional<BindingRole> role = parseBindingRole(name);
  if (!role)
    return Error::failure(what + ": unknown role '" + name + "'");
  return *role;
}

/// A shape read from the file, with a byte size that fits int64_t.
Expected<Shape> shapeOf(const flatbuffers::Vector<int64_t> *dims, DType dtype,
                        const std::string &what) {
  Shape shape = copyInt64s(dims);
  Expected<int64_t> count = checkedElementCount(shape, dtypeSize(dtype));
  if (!count.ok())
    return Error::failure(what + ": bad shape " + shapeToString(shape));
  return shape;
}

Expected<ExecutionPlan> readPlan(const fb::Plan *plan,
                                 const std::string &what) {
  if (!plan)
    return Error::failure(what + ": no plan");
  ExecutionPlan out;
  if (plan->values())
    for (flatbuffers::uoffset_t i = 0; i < plan->values()->size(); ++i) {
      const fb::Value *v = plan->values()->Get(i);
      std::string where = what + ": value " + std::to_string(i);
      PlanValue value;
      value.name = str(v->name());
      Expected<DType> dtype = dtypeOf(v->dtype(), where);
      if (!dtype.ok())
        return dtype.takeError();
      value.dtype = *dtype;
      Expected<Shape> shape = shapeOf(v->shape(), value.dtype, where);
      if (!shape.ok())
        return shape.takeError();
      value.shape = std::move(*shape);
      value.bytes = v->bytes();
      auto kind = static_cast<uint8_t>(v->kind());
      if (kind > static_cast<uint8_t>(ValueKind::Arena))
        return Error::failure(where + ": unknown kind " + std::to_string(kind));
      value.kind = static_cast<ValueKind>(kind);
      value.index = v->index();
      value.offset = v->offset();
      value.reuses = v->reuses();
      out.values.push_back(std::move(value));
    }
  if (plan->kernels())
    for (const fb::Kernel *k : *plan->kernels()) {
      PlanKernel kernel;
      kernel.opName = str(k->op_name());
      kernel.location = str(k->location());
      kernel.buffers = copyInt64s(k->buffers());
      kernel.numOperands = k->num_operands();
      kernel.dependencies = copyInt64s(k->dependencies());
      kernel.flops = k->flops();
      out.kernels.push_back(std::move(kernel));
    }
  auto bindings = [&](const auto *list, const char *kind,
                      std::vector<ExternalBinding> &into) {
    if (!list)
      return Error::success();
    for (const fb::Binding *b : *list) {
      std::string name = str(b->name());
      Expected<BindingRole> role =
          roleOf(b->role(), what + ": " + kind + " '" + name + "'");
      if (!role.ok())
        return role.takeError();
      into.push_back({std::move(name), *role, b->value()});
    }
    return Error::success();
  };
  if (Error error = bindings(plan->inputs(), "input", out.inputs); !error.ok())
    return error;
  if (Error error = bindings(plan->outputs(), "output", out.outputs);
      !error.ok())
    return error;
  out.arenaSize = plan->arena_size();
  if (Error error = verifyExecutionPlan(out); !error.ok())
    return std::move(error).withContext(what);
  return out;
}

/// A name the model language gives an input or output, which commands
/// use as a file name: letters, digits, '_' and '.', not starting with '.'.
bool isPortName(const std::string &name) {
  if (name.empty() || name.size() > 1024 || name[0] == '.')
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
      return false;
  return true;
}

std::string printableName(const std::string &name) {
  return printableExcerpt(name);
}

Expected<std::vector<ArtifactPort>>
readPorts(const flatbuffers::Vector<Offset<fb::Port>> *ports,
          const char *what) {
  std::vector<ArtifactPort> out;
  std::set<std::string> names;
  if (!ports)
    return out;
  for (const fb::Port *p : *ports) {
    ArtifactPort port;
    port.name = str(p->name());
    std::string where = std::string(what) + " '" + port.name + "'";
    if (port.name.empty() || !names.insert(port.name).second)
      return Error::failure(std::string(what) + " names must be unique and "
                                                "non-empty");
    // Outputs become files named after their ports (nnc run, nnc-run).
    if (!isPortName(port.name))
      return Error::failure(std::string(what) + " name '" +
                            printableName(port.name) +
                            "' is not a model name (letters, digits, '_' and "
                            "'.')");
    Expected<BindingRole> role = roleOf(p->role(), where);
    if (!role.ok())
      return role.takeError();
    port.role = *role;
    Expected<DType> dtype = dtypeOf(p->dtype(), where);
    if (!dtype.ok())
      return dtype.takeError();
    port.dtype = *dtype;
    Expected<Shape> shape = shapeOf(p->shape(), port.dtype, where);
    if (!shape.ok())
      return shape.takeError();
    port.shape = std::move(*shape);
    port.batched = p->batched();
    if (port.batched && port.shape.empty())
      return Error::failure(where + ": a scalar cannot be batched");
    out.push_back(std::move(port));
  }
  return out;
}

/// The port `name` of `ports`, or null.
const ArtifactPort *findPort(const std::vector<ArtifactPort> &ports,
                             const std::string &name) {
  for (const ArtifactPort &port : ports)
    if (port.name == name)
      return &port;
  return nullptr;
}

/// A graph's input or output binding agrees with the port of its name: the
/// same dtype and shape, but for the batch extent of a batched port, which
/// a graph of another batch size (forward@1) has its own.
Error checkPortBinding(const ArtifactGraph &graph,
                       const ExternalBinding &binding,
                       const std::vector<ArtifactPort> &ports,
                       const char *what) {
  const ArtifactPort *port = findPort(ports, binding.name);
  const PlanValue &value = graph.plan.values[binding.value];
  std::string where = "graph '" + graph.name + "' ";
  if (!port)
    return Error::failure(
        where + "binds " + what + " '" + printableName(binding.name) +
        "', which is not one of the artifact's " + what + "s");
  bool fits =
      port->dtype == value.dtype && port->shape.size() == value.shape.size();
  for (size_t i = 0; fits && i < value.shape.size(); ++i)
    fits = port->shape[i] == value.shape[i] || (i == 0 && port->batched);
  if (!fits)
    return Error::failure(where + "binds " + what + " '" + binding.name +
                          "' as " + typeToString(value.dtype, value.shape) +
                          ", the artifact declares " +
                          typeToString(port->dtype, port->shape));
  return Error::success();
}

/// Every binding of a graph to a stored tensor names one, of the plan
/// value's dtype and shape, so that running cannot read past a tensor; and
/// every input and output it binds is a port of the artifact, as the
/// commands that check inputs and name output files take it to be.
Error checkBindings(const ArtifactGraph &graph, const Artifact &artifact) {
  for (const ExternalBinding &binding : graph.plan.outputs)
    if (binding.role == BindingRole::Output ||
        binding.role == BindingRole::Loss)
      if (Error error =
              checkPortBinding(graph, binding, artifact.outputs, "output");
          !error.ok())
        return error;
  for (const ExternalBinding &binding : graph.plan.inputs) {
    if (binding.role == BindingRole::Input) {
      if (Error error =
              checkPortBinding(graph, binding, artifact.inputs, "input");
          !error.ok())
        return error;
      continue;
    }
    if (binding.role == BindingRole::Step || binding.role == BindingRole::Lr)
      continue;
    const ArtifactTensor *stored = artifact.tensor(binding.name);
    if (!stored)
      return Error::failure("graph '" + graph.name + "' reads " +
                            roleName(binding.role) + " '" + binding.name +
                            "', which the artifact does not hold");
    const PlanValue &value = graph.plan.values[binding.value];
    if (stored->tensor.dtype() != value.dtype ||
        stored->tensor.shape() != value.shape)
      return Error::failure(
          "graph '" + graph.name + "' reads '" + binding.name + "' as " +
          typeToString(value.dtype, value.shape) + ", the artifact holds " +
          typeToString(stored->tensor.dtype(), stored->tensor.shape()));
  }
  return Error::success();
}

Expected<Artifact> readVerified(const fb::Artifact *root) {
  Artifact artifact;
  artifact.formatVersion = root->format_version();
  if (artifact.formatVersion > kArtifactFormatVersion)
    return Error::failure(
        "format version " + std::to_string(artifact.formatVersion) +
        " is newer than this runtime reads (" +
        std::to_string(kArtifactFormatVersion) + "); use a newer nnc");
  if (artifact.formatVersion == 0)
    return Error::failure("no format version");
  artifact.nncVersion = str(root->nnc_version());
  const fb::Backend *backend = root->backend();
  if (!backend || str(backend->name()).empty())
    return Error::failure("no backend named");
  artifact.backendName = str(backend->name());
  artifact.backendVersion = str(backend->version());
  artifact.abiMajor = backend->abi_major();
  artifact.abiMinor = backend->abi_minor();
  if (const fb::Target *target = root->target()) {
    artifact.targetTriple = str(target->triple());
    if (target->cpu_features())
      for (const flatbuffers::String *feature : *target->cpu_features())
        artifact.cpuFeatures.push_back(str(feature));
    artifact.machineCode = target->machine_code();
    if (target->code_targets())
      for (const fb::CodeTarget *code : *target->code_targets()) {
        if (!code || !code->cpu())
          return Error::failure("a code target has no CPU name");
        Artifact::CodeTarget entry;
        entry.cpu = str(code->cpu());
        if (code->features())
          for (const flatbuffers::String *feature : *code->features())
            entry.features.push_back(str(feature));
        artifact.codeTargets.push_back(std::move(entry));
      }
  }
  if (root->compile_flags())
    for (const fb::Flag *flag : *root->compile_flags())
      artifact.compileFlags.emplace_back(str(flag->key()), str(flag->value()));
  artifact.graphHash = str(root->graph_hash());
  artifact.modelName = str(root->model_name());
  artifact.batchSize = root->batch_size();
  if (artifact.batchSize < 0)
    return Error::failure("negative batch size");

  Expected<std::vector<ArtifactPort>> inputs =
      readPorts(root->inputs(), "input");
  if (!inputs.ok())
    return inputs.takeError();
  artifact.inputs = std::move(*inputs);
  Expected<std::vector<ArtifactPort>> outputs =
      readPorts(root->outputs(), "output");
  if (!outputs.ok())
    return outputs.takeError();
  artifact.outputs = std::move(*outputs);

  std::set<std::string> names;
  if (root->tensors())
    for (const fb::Tensor *t : *root->tensors()) {
      std::string name = str(t->name());
      std::string where = "tensor '" + name + "'";
      if (name.empty() || !names.insert(name).second)
        return Error::failure("tensor names must be unique and non-empty ('" +
                              name + "')");
      Expected<BindingRole> role = roleOf(t->role(), where);
      if (!role.ok())
        return role.takeError();
      Expected<DType> dtype = dtypeOf(t->dtype(), where);
      if (!dtype.ok())
        return dtype.takeError();
      Expected<Shape> shape = shapeOf(t->shape(), *dtype, where);
      if (!shape.ok())
        return shape.takeError();
      uint64_t bytes =
          static_cast<uint64_t>(elementCount(*shape)) * dtypeSize(*dtype);
      uint64_t stored = t->data() ? t->data()->size() : 0;
      if (stored != bytes)
        return Error::failure(where + ": holds " + std::to_string(stored) +
                              " bytes, " + typeToString(*dtype, *shape) +
                              " needs " + std::to_string(bytes));
      // The weights are most of the file: a damaged one is an error, not
      // other predictions.
      if (t->has_crc32() && bytes &&
          crc32Of(t->data()->data(), bytes) != t->crc32())
        return Error::failure(where + ": checksum mismatch (corrupt file)");
      Expected<Tensor> tensor = Tensor::create(*dtype, *shape);
      if (!tensor.ok())
        return tensor.takeError();
      if (bytes)
        std::memcpy(tensor->rawData(), t->data()->data(), bytes);
      artifact.tensors.push_back({std::move(name), *role, std::move(*tensor)});
    }

  names.clear();
  if (!root->graphs() || root->graphs()->size() == 0)
    return Error::failure("no graphs");
  for (const fb::Graph *g : *root->graphs()) {
    ArtifactGraph graph;
    graph.name = str(g->name());
    if (graph.name.empty() || !names.insert(graph.name).second)
      return Error::failure("graph names must be unique and non-empty ('" +
                            graph.name + "')");
    std::string where = "graph '" + graph.name + "'";
    auto kind = static_cast<uint8_t>(g->kind());
    if (kind > static_cast<uint8_t>(ArtifactGraphKind::TrainingStep))
      return Error::failure(where + ": unknown kind " + std::to_string(kind));
    graph.kind = static_cast<ArtifactGraphKind>(kind);
    graph.batchSize = g->batch_size();
    if (graph.batchSize < 0)
      return Error::failure(where + ": negative batch size");
    Expected<ExecutionPlan> plan = readPlan(g->plan(), where);
    if (!plan.ok())
      return plan.takeError();
    graph.plan = std::move(*plan);
    if (!g->executable())
      return Error::failure(where + ": no executable");
    graph.executable.assign(
        reinterpret_cast<const char *>(g->executable()->data()),
        g->executable()->size());
    if (Error error = checkBindings(graph, artifact); !error.ok())
      return error;
    artifact.graphs.push_back(std::move(graph));
  }

  if (const fb::Training *training = root->training()) {
    ArtifactTraining state;
    state.step = training->step();
    state.epoch = training->epoch();
    state.seed = training->seed();
    state.learningRate = training->learning_rate();
    state.runSettings = str(training->run_settings());
    // Unconditionally: a length damaged to 0 must not pass for "none
    // recorded" (the CRC-32 of nothing, 0, is what files without the
    // field read).
    if (crc32Of(state.runSettings.data(), state.runSettings.size()) !=
        training->run_settings_crc32())
      return Error::failure("training settings: checksum mismatch (corrupt "
                            "file)");
    // A damaged counter or rate would resume a different run, silently.
    if (training->has_crc32() &&
        trainingChecksum(state) != training->crc32())
      return Error::failure("training state: checksum mismatch (corrupt "
                            "file)");
    if (state.step < 0 || state.epoch < 0)
      return Error::failure("negative training counters");
    // As a checkpoint's: no run takes 2^53 steps or 2^31 epochs.
    if (state.step > (int64_t(1) << 53) || state.epoch > (int64_t(1) << 31))
      return Error::failure("training counters beyond any run's (step " +
                            std::to_string(state.step) + ", epoch " +
                            std::to_string(state.epoch) + ")");
    // 0 records that the model named no rate; the trainer's default
    // applies then.
    if (!(state.learningRate >= 0) || std::isinf(state.learningRate))
      return Error::failure("training learning rate " +
                            std::to_string(state.learningRate) +
                            " is not a finite number of 0 or more");
    artifact.training = state;
  }
  if (const fb::Accuracy *accuracy = root->accuracy()) {
    artifact.accuracy =
        ArtifactAccuracy{accuracy->threshold(), str(accuracy->output_name()),
                         str(accuracy->label_input()), std::nullopt};
    if (accuracy->has_ignore_index())
      artifact.accuracy->ignoreIndex = accuracy->ignore_index();
  }
  return artifact;
}

} // namespace

const char *artifactGraphKindName(ArtifactGraphKind kind) {
  switch (kind) {
  case ArtifactGraphKind::Forward:
    return "forward";
  case ArtifactGraphKind::Predict:
    return "predict";
  case ArtifactGraphKind::TrainingStep:
    return "train_step";
  }
  return "?";
}

const ArtifactGraph *Artifact::graph(const std::string &name) const {
  for (const ArtifactGraph &g : graphs)
    if (g.name == name)
      return &g;
  return nullptr;
}

const ArtifactTensor *Artifact::tensor(const std::string &name) const {
  for (const ArtifactTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

ArtifactTensor *Artifact::tensor(const std::string &name) {
  for (ArtifactTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

Expected<std::string> serializeArtifact(const Artifact &artifact) {
  // FlatBuffers offsets are 32-bit: refuse what cannot fit instead of
  // letting the builder assert.
  uint64_t total = 0;
  for (const ArtifactTensor &t : artifact.tensors)
    total += t.tensor.byteSize();
  for (const ArtifactGraph &g : artifact.graphs)
    total += g.executable.size();
  if (total > (uint64_t(1) << 31) - (uint64_t(1) << 24))
    return Error::failure("artifact too large for the format (" +
                          std::to_string(total) + " bytes of data)");

  FlatBufferBuilder b(1 << 16);
  std::vector<Offset<fb::Tensor>> tensors;
  for (const ArtifactTensor &t : artifact.tensors) {
    // Tensor data aligned to 64 bytes in the file, so a reader could map
    // it in place.
    b.ForceVectorAlignment(t.tensor.byteSize(), 1, 64);
    auto data =
        b.CreateVector(reinterpret_cast<const uint8_t *>(t.tensor.rawData()),
                       t.tensor.byteSize());
    tensors.push_back(fb::CreateTensor(
        b, b.CreateString(t.name), b.CreateString(roleName(t.role)),
        toFb(t.tensor.dtype()), shapeOf(b, t.tensor.shape()), data,
        /*has_crc32=*/true, crc32Of(t.tensor.rawData(), t.tensor.byteSize())));
  }
  std::vector<Offset<fb::Graph>> graphs;
  for (const ArtifactGraph &g : artifact.graphs) {
    auto executable =
        b.CreateVector(reinterpret_cast<const uint8_t *>(g.executable.data()),
                       g.executable.size());
    auto plan = writePlan(b, g.plan);
    graphs.push_back(fb::CreateGraph(b, b.CreateString(g.name),
                                     static_cast<fb::GraphKind>(g.kind),
                                     g.batchSize, plan, executable));
  }
  auto backend = fb::CreateBackend(b, b.CreateString(artifact.backendName),
                                   b.CreateString(artifact.backendVersion),
                                   artifact.abiMajor, artifact.abiMinor);
  std::vector<Offset<fb::CodeTarget>> codeTargets;
  for (const Artifact::CodeTarget &code : artifact.codeTargets)
    codeTargets.push_back(
        fb::CreateCodeTarget(b, b.CreateString(code.cpu),
                             b.CreateVectorOfStrings(code.features)));
  auto target = fb::CreateTarget(
      b, b.CreateString(artifact.targetTriple),
      b.CreateVectorOfStrings(artifact.cpuFeatures), artifact.machineCode,
      codeTargets.empty() ? 0 : b.CreateVector(codeTargets));
  std::vector<Offset<fb::Flag>> flags;
  for (const auto &[key, value] : artifact.compileFlags)
    flags.push_back(
        fb::CreateFlag(b, b.CreateString(key), b.CreateString(value)));
  auto inputs = writePorts(b, artifact.inputs);
  auto outputs = writePorts(b, artifact.outputs);
  Offset<fb::Training> training;
  if (artifact.training)
    training = fb::CreateTraining(
        b, artifact.training->step, artifact.training->epoch,
        artifact.training->seed, artifact.training->learningRate,
        /*has_crc32=*/true, trainingChecksum(*artifact.training),
        artifact.training->runSettings.empty()
            ? 0
            : b.CreateString(artifact.training->runSettings),
        crc32Of(artifact.training->runSettings.data(),
                artifact.training->runSettings.size()));
  Offset<fb::Accuracy> accuracy;
  if (artifact.accuracy)
    accuracy = fb::CreateAccuracy(b, artifact.accuracy->threshold,
                                  b.CreateString(artifact.accuracy->outputName),
                                  b.CreateString(artifact.accuracy->labelInput),
                                  artifact.accuracy->ignoreIndex.has_value(),
                                  artifact.accuracy->ignoreIndex.value_or(0));
  auto root = fb::CreateArtifact(
      b, artifact.formatVersion, b.CreateString(artifact.nncVersion), backend,
      target, b.CreateVector(flags), b.CreateString(artifact.graphHash),
      b.CreateString(artifact.modelName), artifact.batchSize, inputs, outputs,
      b.CreateVector(graphs), b.CreateVector(tensors), training, accuracy);
  fb::FinishArtifactBuffer(b, root);
  return std::string(reinterpret_cast<const char *>(b.GetBufferPointer()),
                     b.GetSize());
}

Error writeArtifact(const std::string &path, const Artifact &artifact) {
  Expected<std::string> bytes = serializeArtifact(artifact);
  if (!bytes.ok())
    return bytes.takeError().withContext(path);
  return writeFileAtomically(path, *bytes);
}

Expected<Artifact> parseArtifact(const void *data, size_t size) {
  if (!data || size < 8 || !fb::ArtifactBufferHasIdentifier(data))
    return Error::failure("not an nnc artifact (no NNX1 identifier)");
  if (size >= std::numeric_limits<flatbuffers::uoffset_t>::max())
    return Error::failure("artifact too large");
  // The verifier checks every offset and length against the buffer; the
  // table limit is generous for any real plan and bounds the work a
  // hand-crafted file can cause.
  flatbuffers::Verifier verifier(static_cast<const uint8_t *>(data), size,
                                 /*max_depth=*/64, /*max_tables=*/10000000);
  if (!fb::VerifyArtifactBuffer(verifier))
    return Error::failure(
        "corrupt or truncated artifact (FlatBuffers verification failed)");
  Expected<Artifact> artifact = readVerified(fb::GetArtifact(data));
  if (artifact.ok())
    return artifact;
  // Messages quote names from the file: keep them on one printable line.
  std::string message = artifact.message();
  for (char &c : message)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return Error::failure(message);
}

bool hasArtifactIdentifier(std::string_view bytes) {
  // A FlatBuffers file identifier follows the 4-byte root offset.
  return bytes.size() >= 8 && bytes.substr(4, 4) == "NNX1";
}

bool isArtifactFile(const std::string &path) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".nnx") == 0)
    return true;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return false;
  char head[8];
  std::ifstream file(path, std::ios::binary);
  file.read(head, sizeof(head));
  return hasArtifactIdentifier(std::string_view(head, file.gcount()));
}

Expected<Artifact> readArtifact(const std::string &path) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file.ok())
    return file.takeError();
  // An artifact is never gzipped: a file that starts with the gzip magic
  // is not one.
  Error notAnArtifact =
      Error::failure(path + ": not an nnc artifact (no NNX1 identifier)");
  if (file->isGzip())
    return notAnArtifact;
  // The identifier first, read from the stream itself, so that a large
  // file of something else, or an endless one (/dev/zero), is refused
  // before the rest is read; a pipe cannot be opened again to look.
  std::string bytes(8, '\0');
  Expected<size_t> head = file->read(bytes.data(), bytes.size());
  if (!head.ok())
    return head.takeError();
  bytes.resize(*head);
  if (*head == 8 && !hasArtifactIdentifier(bytes))
    return notAnArtifact;
  Expected<std::string> rest = file->readAll(uint64_t(1) << 31);
  if (!rest.ok())
    return rest.takeError();
  bytes += *rest;
  // FlatBuffers reads scalars in place: give it an 8-aligned copy.
  std::vector<uint64_t> aligned((bytes.size() + 7) / 8);
  if (!bytes.empty())
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
  Expected<Artifact> artifact = parseArtifact(aligned.data(), bytes.size());
  if (!artifact.ok())
    return artifact.takeError().withContext(path);
  return artifact;
}

uint64_t fnv1a64(const void *bytes, size_t size) {
  uint64_t hash = 14695981039346656037ull;
  const auto *p = static_cast<const unsigned char *>(bytes);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string artifactDigest(const std::string &text) {
  uint64_t hash = fnv1a64(text.data(), text.size());
  static const char digits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4)
    hex[static_cast<size_t>(i)] = digits[hash & 15];
  return hex;
}

Error checkCodeTargets(const Artifact &artifact) {
  if (artifact.codeTargets.empty())
    return Error::success();
  std::string reasons;
  for (const Artifact::CodeTarget &code : artifact.codeTargets) {
    Error error = checkCpuFeatures(code.features);
    if (error.ok())
      return Error::success();
    reasons += (reasons.empty() ? "" : "; ") + code.cpu + ", which " +
               error.message();
  }
  return Error::failure("the artifact holds code for " + reasons +
                        (artifact.codeTargets.size() == 1 ? " (its only target)"
                                                          : ""));
}

std::string hostTargetTriple() {
#if defined(__x86_64__)
  std::string arch = "x86_64";
#elif defined(__aarch64__)
  std::string arch = "aarch64";
#else
  std::string arch = "unknown";
#endif
#if defined(__linux__)
  return arch + "-unknown-linux-gnu";
#elif defined(__APPLE__)
  return arch + "-apple-darwin";
#else
  return arch + "-unknown-unknown";
#endif
}

namespace {

/// A CPU feature this runtime can test for.
struct CheckableFeature {
  const char *name;
  bool (*present)();
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// __builtin_cpu_supports takes only a string literal: one function each.
#define NNC_CPU_FEATURE(name)                                                  \
  CheckableFeature{name, [] {                                                  \
                     __builtin_cpu_init();                                     \
                     return static_cast<bool>(__builtin_cpu_supports(name));   \
                   }}
const CheckableFeature kCheckableFeatures[] = {
    NNC_CPU_FEATURE("sse4.2"),   NNC_CPU_FEATURE("avx"),
    NNC_CPU_FEATURE("avx2"),     NNC_CPU_FEATURE("fma"),
    NNC_CPU_FEATURE("bmi"),      NNC_CPU_FEATURE("bmi2"),
    NNC_CPU_FEATURE("avx512f"),  NNC_CPU_FEATURE("avx512cd"),
    NNC_CPU_FEATURE("avx512dq"), NNC_CPU_FEATURE("avx512bw"),
    NNC_CPU_FEATURE("avx512vl"),
};
#undef NNC_CPU_FEATURE
#else
const CheckableFeature *const kCheckableFeatures = nullptr;
#endif

} // namespace

std::vector<std::string> checkableCpuFeatures() {
  std::vector<std::string> names;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  for (const CheckableFeature &feature : kCheckableFeatures)
    names.push_back(feature.name);
#endif
  return names;
}

Error checkCpuFeatures(const std::vector<std::string> &features) {
  for (const std::string &feature : features) {
    const CheckableFeature *known = nullptr;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    for (const CheckableFeature &candidate : kCheckableFeatures)
      if (feature == candidate.name)
        known = &candidate;
#endif
    if (!known)
      return Error::failure("requires CPU feature '" +
                            printableExcerpt(feature) +
                            "', which this runtime cannot check");
    if (!known->present())
      return Error::failure("requires CPU feature '" + feature +
                            "', which this CPU lacks");
  }
  return Error::success();
}

} // namespace nnc::rt
