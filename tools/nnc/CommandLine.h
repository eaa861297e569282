//===- CommandLine.h - The nnc subcommands' flags ---------------*- C++ -*-===//
//
// One struct per subcommand holds its LLVM CommandLine flags, bound to its
// cl::SubCommand, and turns them into the plain options struct its command
// function takes (Commands.h). main() creates them as locals, so nothing is
// global. The flags every executing subcommand shares (`--backend`,
// `--threads`, `--plugin`) are a member of each, because libLLVM already
// registers a top-level `-threads` of its own.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_COMMANDLINE_H
#define NNC_TOOLS_COMMANDLINE_H

#include "runtime/ThreadLimit.h"
#include "tools/nnc/Commands.h"

#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc::cli {

namespace cl = llvm::cl;

/// The values of a list flag, copied.
inline std::vector<std::string> listValues(const cl::list<std::string> &flag) {
  return {flag.begin(), flag.end()};
}

/// One switch per graph optimisation: --no-canonicalize, --no-cse,
/// --no-simplify, --no-fuse, --no-in-place.
struct OptimizationFlags {
  cl::opt<bool> noCanonicalize, noCse, noSimplify, noFuse, noInPlace;

  OptimizationFlags(cl::SubCommand &sub, cl::OptionCategory &category)
      : noCanonicalize("no-canonicalize",
                       cl::desc("Skip folding and canonicalisation"),
                       cl::sub(sub), cl::cat(category)),
        noCse("no-cse", cl::desc("Skip common-subexpression elimination"),
              cl::sub(sub), cl::cat(category)),
        noSimplify("no-simplify", cl::desc("Skip algebraic simplification"),
                   cl::sub(sub), cl::cat(category)),
        noFuse("no-fuse", cl::desc("Skip fusion: one kernel per op"),
               cl::sub(sub), cl::cat(category)),
        noInPlace("no-in-place",
                  cl::desc("Give every intermediate its own memory"),
                  cl::sub(sub), cl::cat(category)) {}

  OptimizationOptions get() const {
    return {!noCanonicalize, !noCse, !noSimplify, !noFuse, !noInPlace};
  }
};

/// --threads' values: those nnc-run accepts too (runtime/ThreadLimit.h), as
/// oneTBB aborts on a huge thread count.
class ThreadsParser : public cl::parser<unsigned> {
public:
  using cl::parser<unsigned>::parser;
  /// cl::opt calls this one, not the base's: it is not virtual.
  bool parse(cl::Option &option, llvm::StringRef, llvm::StringRef text,
             unsigned &threads) {
    if (rt::parseThreadsFlag(text.str(), threads))
      return false;
    return option.error(rt::threadsFlagRequirement(text.str()));
  }
};

/// --backend, --threads, --plugin and the optimisation switches.
struct SessionFlags {
  cl::opt<std::string> backend;
  cl::opt<unsigned, false, ThreadsParser> threads;
  cl::list<std::string> plugins;
  /// Reaches the backend as the compile options extension's kernel_cache.
  cl::opt<bool> noCache;
  OptimizationFlags optimizations;

  SessionFlags(cl::SubCommand &sub, cl::OptionCategory &category,
               const char *backendHelp = "Backend to run on (default: cpu "
                                         "when its plugin is found, else ref)")
      : backend("backend", cl::desc(backendHelp), cl::sub(sub),
                cl::cat(category)),
        threads("threads", cl::desc("Most threads to use (0: all cores)"),
                cl::init(0), cl::sub(sub), cl::cat(category)),
        plugins("plugin", cl::desc("Load a backend plugin (a .so file)"),
                cl::sub(sub), cl::cat(category)),
        noCache("no-cache",
                cl::desc("Compile afresh: neither read nor write the "
                         "backend's kernel cache on disk"),
                cl::sub(sub), cl::cat(category)),
        optimizations(sub, category) {}

  SessionOptions get() const {
    return {backend, threads, listValues(plugins), optimizations.get(),
            !noCache};
  }
};

template <typename T> std::optional<T> given(const cl::opt<T> &flag) {
  return flag.getNumOccurrences() ? std::optional<T>(flag.getValue())
                                  : std::nullopt;
}

struct CheckFlags {
  cl::SubCommand sub{"check", "Parse and verify a model; report errors as "
                              "file:line:col"};
  cl::opt<std::string> model;
  SessionFlags session;
  explicit CheckFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        session(sub, c) {}
  CheckOptions get() const { return {model}; }
};

struct ImportFlags {
  cl::SubCommand sub{"import", "Translate an ONNX model into a .nn program "
                               "and its weights"};
  cl::opt<std::string> model, output, paramsOut;
  cl::opt<bool> dynamicBatch;
  explicit ImportFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.onnx"),
              cl::sub(sub), cl::cat(c)),
        output("o", cl::Required, cl::desc("The .nn file to write"),
               cl::value_desc("MODEL.nn"), cl::sub(sub), cl::cat(c)),
        paramsOut("params-out", cl::Required,
                  cl::desc("Folder for the weights, one NAME.npy each"),
                  cl::value_desc("DIR"), cl::sub(sub), cl::cat(c)),
        dynamicBatch("dynamic-batch",
                     cl::desc("Make the inputs' first axis the batch, for a "
                              "model exported at a fixed batch size"),
                     cl::sub(sub), cl::cat(c)) {}
  ImportOptions get() const { return {model, output, paramsOut, dynamicBatch}; }
};

struct IrFlags {
  cl::SubCommand sub{"ir", "Print a model's IR after a pipeline stage"};
  cl::opt<std::string> model;
  cl::opt<std::string> stage;
  cl::opt<bool> dot, locations, stats, json;
  cl::opt<int64_t> batch;
  SessionFlags session;
  explicit IrFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        stage("stage", cl::desc("Stage to print: frontend, grad, train-step, "
                                "optimized, optimized-train-step"),
              cl::init("frontend"), cl::sub(sub), cl::cat(c)),
        dot("dot", cl::desc("Print a Graphviz graph instead of IR"),
            cl::sub(sub), cl::cat(c)),
        locations("locations", cl::desc("Print each op's DSL source location"),
                  cl::sub(sub), cl::cat(c)),
        stats("stats", cl::desc("Print kernels, arena bytes and FLOPs per "
                                "function (needs static shapes: --batch)"),
              cl::sub(sub), cl::cat(c)),
        json("json", cl::desc("--stats as one JSON object per function"),
             cl::sub(sub), cl::cat(c)),
        batch("batch", cl::desc("Specialise the batch dimension to N first"),
              cl::init(0), cl::sub(sub), cl::cat(c)),
        session(sub, c) {}
  IrOptions get() const {
    // A --batch of 0 given is out of range, as runIr says a negative one is.
    int64_t size = batch.getNumOccurrences() && batch == 0 ? int64_t{-1}
                                                           : batch.getValue();
    return {model, stage,         dot,  locations,
            size,  stats || json, json, session.optimizations.get()};
  }
};

struct BackendsFlags {
  cl::SubCommand sub{"backends", "List the backend plugins found"};
  SessionFlags session;
  explicit BackendsFlags(cl::OptionCategory &c) : session(sub, c) {}
  BackendsOptions get() const { return {listValues(session.plugins)}; }
};

struct RunFlags {
  cl::SubCommand sub{"run", "Run a model once on inputs; write its outputs"};
  cl::opt<std::string> model;
  cl::list<std::string> inputs;
  cl::opt<std::string> params, paramsOut, outputDir;
  cl::opt<uint64_t> seed;
  cl::opt<bool> profile;
  cl::opt<std::string> trace;
  SessionFlags session;
  explicit RunFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn | FILE.nnx"),
              cl::sub(sub), cl::cat(c)),
        inputs("input", cl::desc("NAME=FILE.npy"), cl::sub(sub), cl::cat(c)),
        params("params", cl::desc("Folder of NAME.npy parameter values"),
               cl::sub(sub), cl::cat(c)),
        paramsOut("params-out",
                  cl::desc("Write the parameters used to this folder"),
                  cl::sub(sub), cl::cat(c)),
        outputDir("output-dir", cl::Required,
                  cl::desc("Folder for OUTPUT.npy files"), cl::sub(sub),
                  cl::cat(c)),
        seed("seed", cl::desc("Mixed into every initializer's seed"),
             cl::init(0), cl::sub(sub), cl::cat(c)),
        profile("profile", cl::desc("Print the run's kernels by time"),
                cl::sub(sub), cl::cat(c)),
        trace("trace", cl::desc("Write the run as a Chrome trace"),
              cl::value_desc("FILE.json"), cl::sub(sub), cl::cat(c)),
        session(sub, c) {}
  RunOptions get() const {
    return {session.get(), model,       listValues(inputs), params,
            paramsOut,     given(seed), outputDir,          {profile, trace}};
  }
};

struct GenerateFlags {
  cl::SubCommand sub{"generate",
                     "Sample text from a trained byte-level language model"};
  cl::opt<std::string> model, params, prompt;
  cl::opt<int64_t> tokens, topK;
  cl::opt<double> temperature;
  cl::opt<uint64_t> seed;
  SessionFlags session;
  explicit GenerateFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        params("params", cl::desc("Folder of NAME.npy parameter values"),
               cl::sub(sub), cl::cat(c)),
        prompt("prompt", cl::Required, cl::desc("Text to continue"),
               cl::sub(sub), cl::cat(c)),
        tokens("tokens", cl::desc("Bytes to generate (default 100)"),
               cl::init(100), cl::sub(sub), cl::cat(c)),
        topK("top-k", cl::desc("Sample among the K most likely bytes (0: all)"),
             cl::init(0), cl::sub(sub), cl::cat(c)),
        temperature("temperature",
                    cl::desc("Divides the logits; 0 picks the most likely "
                             "byte (default 1)"),
                    cl::init(1.0), cl::sub(sub), cl::cat(c)),
        seed("seed", cl::desc("Seed of the sampling (default 0)"), cl::init(0),
             cl::sub(sub), cl::cat(c)),
        session(sub, c) {}
  GenerateOptions get() const {
    return {session.get(), model,       params, prompt,
            tokens,        temperature, topK,   seed};
  }
};

inline constexpr const char *kTrainingModeHelp =
    "batch_norm with batch statistics and dropout dropping (mask of step 0), "
    "as in the training step";

struct GradFlags {
  cl::SubCommand sub{"grad", "Write the loss and the gradient of every "
                             "trainable parameter"};
  cl::opt<std::string> model;
  cl::list<std::string> inputs, freeze, wrt;
  cl::opt<std::string> params, outputDir;
  cl::opt<uint64_t> seed;
  cl::opt<bool> trainingMode;
  SessionFlags session;
  explicit GradFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        inputs("input", cl::desc("NAME=FILE.npy"), cl::sub(sub), cl::cat(c)),
        freeze("freeze",
               cl::desc("Parameters to freeze (globs, comma-separated)"),
               cl::CommaSeparated, cl::sub(sub), cl::cat(c)),
        wrt("wrt", cl::desc("Inputs to differentiate too (comma-separated)"),
            cl::CommaSeparated, cl::sub(sub), cl::cat(c)),
        params("params", cl::desc("Folder of NAME.npy parameter values"),
               cl::sub(sub), cl::cat(c)),
        outputDir("output-dir", cl::Required,
                  cl::desc("Folder for the .npy files"), cl::sub(sub),
                  cl::cat(c)),
        seed("seed", cl::desc("Mixed into every initializer's seed"),
             cl::init(0), cl::sub(sub), cl::cat(c)),
        trainingMode("training-mode", cl::desc(kTrainingModeHelp), cl::sub(sub),
                     cl::cat(c)),
        session(sub, c) {}
  GradOptions get() const {
    return {session.get(),   model,       listValues(inputs),
            params,          given(seed), listValues(freeze),
            listValues(wrt), outputDir,   trainingMode};
  }
};

struct GradcheckFlags {
  cl::SubCommand sub{"gradcheck",
                     "Check the gradients against finite differences, in f64"};
  cl::opt<std::string> model;
  cl::list<std::string> inputs;
  cl::opt<std::string> params;
  cl::opt<uint64_t> seed;
  cl::opt<int64_t> batch, samples;
  cl::opt<double> tolerance;
  cl::opt<bool> trainingMode;
  SessionFlags session;
  explicit GradcheckFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        inputs("input", cl::desc("NAME=FILE.npy (others are generated)"),
               cl::sub(sub), cl::cat(c)),
        params("params", cl::desc("Folder of NAME.npy parameter values"),
               cl::sub(sub), cl::cat(c)),
        seed("seed", cl::desc("Seed of initializers and generated inputs"),
             cl::init(0), cl::sub(sub), cl::cat(c)),
        batch("batch", cl::desc("Batch size of generated inputs"), cl::init(2),
              cl::sub(sub), cl::cat(c)),
        samples("samples", cl::desc("Elements checked per parameter"),
                cl::init(16), cl::sub(sub), cl::cat(c)),
        tolerance("tolerance", cl::desc("Largest relative error accepted"),
                  cl::init(1e-6), cl::sub(sub), cl::cat(c)),
        trainingMode("training-mode", cl::desc(kTrainingModeHelp), cl::sub(sub),
                     cl::cat(c)),
        session(sub, c, "Backend to run on (default: ref)") {}
  GradcheckOptions get() const {
    driver::GradientCheckOptions check;
    check.seed = seed;
    check.batch = batch;
    check.samples = samples;
    check.trainingMode = trainingMode;
    return {session.get(), model,     listValues(inputs),
            params,        tolerance, std::move(check)};
  }
};

struct TrainFlags {
  cl::SubCommand sub{"train", "Train a model; save its parameters"};
  cl::opt<std::string> model;
  cl::list<std::string> data, evalData, freeze;
  cl::opt<bool> csvHeader, noShuffle, dropLast;
  cl::opt<int64_t> epochs, batch, checkpointEvery, evalEvery, maxSteps,
      lrStepEpochs;
  cl::opt<double> lr, clipNorm, lrGamma, lrMin;
  cl::opt<std::string> optimizer, schedule, params, save, checkpoint, resume,
      saveArtifact, plot, report;
  cl::opt<uint64_t> seed;
  cl::opt<bool> profile;
  cl::opt<std::string> trace;
  cl::opt<bool> distributed;
  cl::opt<double> bucketMb, commTimeout;
  cl::opt<int64_t> accumulate;
  SessionFlags session;
  explicit TrainFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Optional,
              cl::desc("MODEL.nn (optional with --resume FILE.nnx)"),
              cl::sub(sub), cl::cat(c)),
        data("data", cl::desc("NAME=FILE training samples (.npy, IDX, CSV)"),
             cl::sub(sub), cl::cat(c)),
        evalData("eval-data", cl::desc("NAME=FILE held-out samples"),
                 cl::sub(sub), cl::cat(c)),
        freeze("freeze",
               cl::desc("Parameters to freeze (globs, comma-separated)"),
               cl::CommaSeparated, cl::sub(sub), cl::cat(c)),
        csvHeader("csv-header", cl::desc("CSV files start with a header row"),
                  cl::sub(sub), cl::cat(c)),
        noShuffle("no-shuffle", cl::desc("Visit samples in file order"),
                  cl::sub(sub), cl::cat(c)),
        dropLast("drop-last",
                 cl::desc("Leave out each epoch's last batch if it is short"),
                 cl::sub(sub), cl::cat(c)),
        epochs("epochs", cl::desc("Epochs (default: the model's)"),
               cl::sub(sub), cl::cat(c)),
        batch("batch", cl::desc("Batch size (default: the model's)"),
              cl::sub(sub), cl::cat(c)),
        checkpointEvery("checkpoint-every",
                        cl::desc("Also checkpoint every N steps"), cl::init(0),
                        cl::sub(sub), cl::cat(c)),
        evalEvery("eval-every",
                  cl::desc("Every N steps, report the training loss of those "
                           "steps and evaluate on --eval-data (a loss curve "
                           "for --plot)"),
                  cl::init(0), cl::sub(sub), cl::cat(c)),
        maxSteps("max-steps",
                 cl::desc("Stop after N steps in all (checkpoint first)"),
                 cl::init(0), cl::sub(sub), cl::cat(c)),
        lrStepEpochs("lr-step-epochs",
                     cl::desc("step schedule: epochs between decays"),
                     cl::init(10), cl::sub(sub), cl::cat(c)),
        lr("lr", cl::desc("Learning rate"), cl::sub(sub), cl::cat(c)),
        clipNorm("clip-norm", cl::desc("Clip gradients to this global norm"),
                 cl::init(0), cl::sub(sub), cl::cat(c)),
        lrGamma("lr-gamma", cl::desc("step schedule: decay factor"),
                cl::init(0.1), cl::sub(sub), cl::cat(c)),
        lrMin("lr-min", cl::desc("cosine schedule: final learning rate"),
              cl::init(0), cl::sub(sub), cl::cat(c)),
        optimizer("optimizer",
                  cl::desc("sgd, momentum, nesterov, adam or adamw"),
                  cl::sub(sub), cl::cat(c)),
        schedule("schedule", cl::desc("constant (default), step or cosine"),
                 cl::sub(sub), cl::cat(c)),
        params("params", cl::desc("Start from these NAME.npy values"),
               cl::sub(sub), cl::cat(c)),
        save("save", cl::desc("Folder for the trained NAME.npy values"),
             cl::sub(sub), cl::cat(c)),
        checkpoint("checkpoint",
                   cl::desc("Checkpoint folder, written atomically"),
                   cl::sub(sub), cl::cat(c)),
        resume("resume",
               cl::desc("Continue from this checkpoint folder, or run the "
                        "compiled training artifact FILE.nnx"),
               cl::sub(sub), cl::cat(c)),
        saveArtifact("save-artifact",
                     cl::desc("Write a training artifact (FILE.nnx) at the "
                              "end, for --resume"),
                     cl::sub(sub), cl::cat(c)),
        plot("plot", cl::desc("Write the loss per epoch as an SVG chart"),
             cl::sub(sub), cl::cat(c)),
        report("report",
               cl::desc("Write the run as one HTML page (curves, graph, "
                        "kernel profile, settings), updated as it trains"),
               cl::sub(sub), cl::cat(c)),
        seed("seed", cl::desc("Seed of initializers and shuffling"),
             cl::sub(sub), cl::cat(c)),
        profile("profile",
                cl::desc("Print the training step's kernels by time over "
                         "the run"),
                cl::sub(sub), cl::cat(c)),
        trace("trace", cl::desc("Write the training steps as a Chrome trace"),
              cl::value_desc("FILE.json"), cl::sub(sub), cl::cat(c)),
        distributed("distributed",
                    cl::desc("Data-parallel training over the ranks of an "
                             "MPI job (mpirun -np N nnc train ...)"),
                    cl::sub(sub), cl::cat(c)),
        bucketMb("bucket-mb",
                 cl::desc("--distributed: gradient bucket size in MB "
                          "(default 25)"),
                 cl::init(25), cl::sub(sub), cl::cat(c)),
        commTimeout("comm-timeout",
                    cl::desc("--distributed: seconds a collective may take "
                             "before the job stops (default 300)"),
                    cl::init(300), cl::sub(sub), cl::cat(c)),
        accumulate("accumulate",
                   cl::desc("Batches whose gradients make one optimizer "
                            "step (default 1)"),
                   cl::init(1), cl::sub(sub), cl::cat(c)),
        session(sub, c) {}
  TrainOptions get() const {
    TrainOptions o;
    o.session = session.get();
    o.modelPath = model;
    o.data = listValues(data);
    o.evalData = listValues(evalData);
    o.csvHeader = csvHeader;
    o.epochs = given(epochs);
    o.batch = given(batch);
    o.lr = given(lr);
    o.optimizer = given(optimizer);
    o.seed = given(seed);
    o.clipNorm = given(clipNorm);
    o.schedule = {given(schedule), given(lrStepEpochs), given(lrGamma),
                  given(lrMin)};
    o.freeze = listValues(freeze);
    o.paramsDir = params;
    o.saveDir = save;
    o.checkpointDir = checkpoint;
    o.checkpointEvery = checkpointEvery;
    o.evalEvery = given(evalEvery);
    o.maxSteps = maxSteps;
    o.resumeDir = resume;
    o.saveArtifact = saveArtifact;
    o.plotPath = plot;
    o.reportPath = report;
    o.profile = {profile, trace};
    // `--no-shuffle=false` counts as given: it shuffles a resumed run again.
    o.shuffle = noShuffle.getNumOccurrences() ? std::optional<bool>(!noShuffle)
                                              : std::nullopt;
    o.dropLast = given(dropLast);
    o.distributed = {distributed, bucketMb, commTimeout};
    o.accumulate = given(accumulate);
    return o;
  }
};

struct EvalFlags {
  cl::SubCommand sub{"eval", "Mean loss and accuracy over a dataset"};
  cl::opt<std::string> model;
  cl::list<std::string> data;
  cl::opt<bool> csvHeader;
  cl::opt<std::string> params;
  cl::opt<int64_t> batch;
  SessionFlags session;
  explicit EvalFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        data("data", cl::desc("NAME=FILE samples (.npy, IDX, CSV)"),
             cl::sub(sub), cl::cat(c)),
        csvHeader("csv-header", cl::desc("CSV files start with a header row"),
                  cl::sub(sub), cl::cat(c)),
        params("params", cl::desc("Folder of NAME.npy parameter values"),
               cl::sub(sub), cl::cat(c)),
        batch("batch", cl::desc("Batch size"), cl::init(256), cl::sub(sub),
              cl::cat(c)),
        session(sub, c) {}
  EvalOptions get() const {
    return {session.get(), model, listValues(data), csvHeader, params, batch};
  }
};

struct BenchFlags {
  cl::SubCommand sub{"bench", "Time a model's forward function or training "
                              "step on generated inputs"};
  cl::opt<std::string> model;
  cl::opt<bool> train, json, profile;
  cl::opt<int64_t> batch, warmup, repeat;
  cl::opt<double> maxSeconds;
  cl::opt<std::string> trace;
  SessionFlags session;
  explicit BenchFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        train("train", cl::desc("Time the training step, not the forward"),
              cl::sub(sub), cl::cat(c)),
        json("json", cl::desc("Print one JSON object on one line"),
             cl::sub(sub), cl::cat(c)),
        batch("batch", cl::desc("Batch size (default: the model's, else 32)"),
              cl::sub(sub), cl::cat(c)),
        warmup("warmup", cl::desc("Untimed runs first"), cl::init(5),
               cl::sub(sub), cl::cat(c)),
        repeat("repeat", cl::desc("Timed runs"), cl::init(30), cl::sub(sub),
               cl::cat(c)),
        maxSeconds("max-seconds",
                   cl::desc("Stop timing after this many seconds (0: never)"),
                   cl::init(0), cl::sub(sub), cl::cat(c)),
        profile("profile",
                cl::desc("Print the timed runs' kernels by time, with "
                         "FLOP/s and source lines"),
                cl::sub(sub), cl::cat(c)),
        trace("trace",
              cl::desc("Write the timed runs as a Chrome trace (open it in "
                       "ui.perfetto.dev)"),
              cl::value_desc("FILE.json"), cl::sub(sub), cl::cat(c)),
        session(sub, c) {}
  BenchOptions get() const {
    driver::BenchmarkOptions benchmark;
    benchmark.train = train;
    benchmark.batch = given(batch);
    benchmark.warmup = warmup;
    benchmark.repeat = repeat;
    benchmark.maxSeconds = maxSeconds;
    return {session.get(), model, benchmark, json, {profile, trace}};
  }
};

struct CompileFlags {
  cl::SubCommand sub{"compile", "Compile a model into an artifact (.nnx)"};
  cl::opt<std::string> model, output, params;
  cl::opt<bool> train;
  cl::opt<int64_t> batch, lastBatch;
  cl::opt<uint64_t> seed;
  cl::list<std::string> targetCpus;
  SessionFlags session;
  explicit CompileFlags(cl::OptionCategory &c)
      : model(cl::Positional, cl::Required, cl::desc("MODEL.nn"), cl::sub(sub),
              cl::cat(c)),
        output("o", cl::Required, cl::desc("The artifact to write (FILE.nnx)"),
               cl::sub(sub), cl::cat(c)),
        params("params", cl::desc("Folder of NAME.npy parameter values"),
               cl::sub(sub), cl::cat(c)),
        train("train", cl::desc("Also compile the training step"),
              cl::sub(sub), cl::cat(c)),
        batch("batch", cl::desc("Batch size (default: the model's, else 1)"),
              cl::sub(sub), cl::cat(c)),
        lastBatch("last-batch",
                  cl::desc("With --train: also compile the step for a last "
                           "partial batch of N samples"),
                  cl::init(0), cl::sub(sub), cl::cat(c)),
        seed("seed", cl::desc("Mixed into every initializer's seed"),
             cl::init(0), cl::sub(sub), cl::cat(c)),
        targetCpus("target-cpu",
                   cl::desc("CPUs the machine code must run on, best first: "
                            "host, x86-64-v2, x86-64-v3, x86-64-v4 "
                            "(comma-separated; default: host)"),
                   cl::CommaSeparated, cl::sub(sub), cl::cat(c)),
        session(sub, c) {}
  CompileOptions get() const {
    CompileOptions options{session.get(), output, {}};
    driver::CompileRequest &request = options.request;
    request.modelPath = model;
    request.train = train;
    request.batch = given(batch);
    request.lastBatch = lastBatch;
    request.paramsDir = params;
    request.seed = given(seed);
    request.optimizations = options.session.optimizations;
    request.targetCpus = {targetCpus.begin(), targetCpus.end()};
    return options;
  }
};

struct InspectFlags {
  cl::SubCommand sub{"inspect", "Describe a compiled artifact (.nnx)"};
  cl::opt<std::string> artifact;
  cl::opt<bool> plan;
  cl::opt<std::string> dumpCode;
  explicit InspectFlags(cl::OptionCategory &c)
      : artifact(cl::Positional, cl::Required, cl::desc("FILE.nnx"),
                 cl::sub(sub), cl::cat(c)),
        plan("plan", cl::desc("Also list every value and kernel"),
             cl::sub(sub), cl::cat(c)),
        dumpCode("dump-code",
                 cl::desc("Write the machine code the artifact carries to "
                          "DIR/GRAPH/CPU/*.so"),
                 cl::value_desc("DIR"), cl::sub(sub), cl::cat(c)) {}
  InspectOptions get() const { return {artifact, plan, dumpCode}; }
};

} // namespace nnc::cli

#endif // NNC_TOOLS_COMMANDLINE_H
