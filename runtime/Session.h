//===- Session.h - What the graphs of one front end share -------*- C++ -*-===//
//
// A session holds what every graph a front end compiles or loads shares:
// the options the user gave (threads, the kernel cache) and the threads
// themselves, a oneTBB task arena of that many slots made once. Graphs are
// made and run inside the arena, so `--threads` costs nothing per run:
// capping the process's threads on every run (a tbb::global_control per
// call) woke and parked workers each time, which cost a Python caller
// about 10 us a call at batch 1.
//
// The CLI, nnc-run, libnnc and the Python module each make one session
// and hand it to the graphs they make (driver::compileFunction,
// rt::loadArtifactGraph); a graph keeps its session alive. The session
// also owns the backend plugins it found, so that no plugin's library is
// unloaded while a graph it compiled or loaded still runs.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_SESSION_H
#define NNC_RUNTIME_SESSION_H

#include "runtime/PluginExecutable.h"
#include "runtime/PluginHost.h"

#include <oneapi/tbb/task_arena.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nnc::rt {

struct SessionOptions {
  /// The most threads a graph runs on; 0: every core the process may use.
  unsigned threads = 0;
  /// Whether backends may use their cache of compiled code on disk.
  bool kernelCache = true;
};

class Session {
public:
  explicit Session(SessionOptions options = {});
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const SessionOptions &options() const { return settings; }

  /// The threads graphs run on: options().threads, or every core.
  unsigned threads() const;

  /// What a compile in this session asks of its backend, for machine code
  /// that runs on `targetCpus` (empty: the backend's default).
  CompileOptions
  compileOptions(const std::vector<std::string> &targetCpus = {}) const;

  /// Takes the plugins found for this session (rt::discoverPlugins,
  /// rt::findBackendPlugin); they stay loaded as long as the session.
  void adoptPlugins(PluginSet found) { loaded = std::move(found); }
  const PluginSet &plugins() const { return loaded; }

  /// Runs `fn` on the calling thread inside the session's arena, so that
  /// the oneTBB work it starts (an executor's flow graph, made or run; a
  /// backend's parallel compile) uses the session's threads; returns what
  /// `fn` returns.
  template <typename Fn> decltype(auto) execute(Fn &&fn) {
    return arena->execute(std::forward<Fn>(fn));
  }

private:
  SessionOptions settings;
  /// Declared before the arena: destroyed after it, with nothing left
  /// running.
  PluginSet loaded;
  std::unique_ptr<tbb::task_arena> arena;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_SESSION_H
