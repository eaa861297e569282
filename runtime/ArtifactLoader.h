//===- ArtifactLoader.h - Running a compiled artifact -----------*- C++ -*-===//
//
// Turns the graphs of a checked Artifact back into executors, with no
// compiler: the backend plugin named in the artifact deserializes each
// graph's executable (NNC_EXTENSION_SERIALIZE), the host checks every
// kernel's buffers against the plan, and the oneTBB executor runs it.
// MLIR-free, like the rest of the runtime: this is all a deployed model
// needs besides the plugin's runtime half.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_ARTIFACTLOADER_H
#define NNC_RUNTIME_ARTIFACTLOADER_H

#include "runtime/Artifact.h"
#include "runtime/BindingRole.h"
#include "runtime/Function.h"
#include "runtime/PluginHost.h"
#include "runtime/Session.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::rt {

/// The plugin of `plugins` that can load `artifact`: the one with its
/// backend name, of the same ABI major and backend version, with the
/// serialize extension, on a machine with the CPU features (and, for
/// machine code, the target triple) it needs. Each mismatch is a one-line
/// error naming both sides.
Expected<const LoadedPlugin *> findArtifactBackend(const Artifact &artifact,
                                                   const PluginSet &plugins);

/// The backend that runs an artifact, and the session its graphs run in,
/// which owns the plugin.
struct ArtifactBackend {
  std::shared_ptr<Session> session;
  const LoadedPlugin *plugin = nullptr;
};

/// Loads the plugin of `artifact`'s backend alone, preferring its
/// runtime-only build: nothing here compiles, and loading every plugin
/// (each with the compiler linked in) would cost more than the run. Looks
/// in `pluginFiles`, the installed runtime plugin folder, then
/// defaultPluginDirs() (findBackendPlugin), checks the plugin can load the
/// artifact (findArtifactBackend), and hands it to a new session made with
/// `options`. What discovery skipped is in the session's
/// plugins().warnings.
Expected<ArtifactBackend>
openArtifactBackend(const Artifact &artifact, const SessionOptions &options,
                    const std::vector<std::string> &pluginFiles);

/// Deserializes `graph`'s executable with `plugin`, checks its kernel
/// count and each kernel's buffers against the plan, and makes the
/// executor in `session` (null: a new one with default options).
Expected<Function>
loadArtifactGraph(const ArtifactGraph &graph, const LoadedPlugin &plugin,
                  std::shared_ptr<Session> session = nullptr);

/// Finds the tensor bound to a graph argument by role and name; null when
/// there is none.
using TensorLookup =
    std::function<const Tensor *(BindingRole role, const std::string &name)>;

/// A lookup serving Input arguments from `feeds` (by name) and the others
/// (Param, Buffer, OptState) from the artifact's tensors.
TensorLookup artifactLookup(
    const Artifact &artifact,
    const std::vector<std::pair<std::string, const Tensor *>> &feeds);

/// Runs `graph` once: binds each argument through `lookup` (its dtype and
/// shape checked), and returns one new tensor per plan output, in order.
Expected<std::vector<Tensor>> runFunction(Function &graph,
                                          const TensorLookup &lookup);

/// True when some kernel or output of `plan` reads the value of input
/// binding `binding`; a graph without its loss keeps the labels as an
/// argument nothing reads, which a caller then feeds zeros.
bool isInputRead(const ExecutionPlan &plan, const ExternalBinding &binding);

/// The graph a forward run executes when the inputs named in `fed` are
/// given, chosen as `nnc run MODEL.nn` chooses: "forward" when every input
/// it reads is fed, else "predict" (the loss and its labels dropped).
/// Fails naming an input the artifact does not have ("the artifact has no
/// input 'z' (inputs: x, labels)") or the first one missing ("missing
/// --input x=FILE.npy (inputs: ...)"). `nnc run FILE.nnx` and `nnc-run`
/// share it so that both pick the same graph.
Expected<const ArtifactGraph *>
selectRunGraph(const Artifact &artifact, const std::vector<std::string> &fed);

/// Fails when an input of `artifact` without the batch dimension, in an
/// artifact with one (a mask), holds NaN in `feeds`, as a run of the
/// model's source refuses it (checkUnbatchedInput).
Error checkUnbatchedInputs(const Artifact &artifact,
                           const std::map<std::string, ConstTensorView> &feeds);

/// Runs a graph of `artifact`, loaded as `loaded`, once: inputs read in
/// place from `feeds`, zeros for the inputs the graph binds but never reads
/// (the labels of a graph without its loss), parameters and buffers from
/// the artifact, after checkUnbatchedInputs. Returns one tensor per plan
/// output, in order.
Expected<std::vector<Tensor>>
runArtifactGraph(const Artifact &artifact, Function &loaded,
                 const std::map<std::string, ConstTensorView> &feeds);
/// The same with the inputs in tensors.
Expected<std::vector<Tensor>>
runArtifactGraph(const Artifact &artifact, Function &loaded,
                 const std::map<std::string, Tensor> &feeds);

} // namespace nnc::rt

#endif // NNC_RUNTIME_ARTIFACTLOADER_H
