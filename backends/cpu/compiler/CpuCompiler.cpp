//===- CpuCompiler.cpp - MLIR bytecode to JIT-compiled kernels ------------===//
//
// Parses the graph, checks every op is supported, plans each kernel's row
// split and data checks, and compiles whatever the in-process cache does
// not hold in one JIT session.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/CpuCompiler.h"

#include "backends/cpu/compiler/CpuPipeline.h"
#include "backends/cpu/compiler/KernelPlan.h"
#include "backends/cpu/gemm/Conv2dDirect.h"
#include "backends/cpu/gemm/GemmJit.h"

#include "ir/KernelModule.h"
#include "ir/NNDialect.h"
#include "ir/NNOps.h"
#include "ir/NNOpFacts.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

// Every op the dialect declares compiled (ir/NNOpFacts.h): the cpu
// backend has a lowering for each, which the conformance suite and
// CompiledOpsTest check.
const char *const *nnc::cpu::cpuSupportedOps() { return nn::compiledOpNames(); }

namespace {

/// Rows per iteration of a split kernel whose rows hold `rowElements`
/// result elements: about 32K elements per iteration, or what
/// NNC_CPU_CHUNK_ROWS says (tests use 1 to exercise the split paths).
int64_t chunkRowsFor(int64_t rowElements) {
  if (const char *value = std::getenv("NNC_CPU_CHUNK_ROWS")) {
    long long rows = std::atoll(value);
    if (rows > 0)
      return rows;
  }
  constexpr int64_t kTargetElements = 32768;
  return std::max<int64_t>(1,
                           kTargetElements / std::max<int64_t>(1, rowElements));
}

/// Rows per iteration of a kernel with a native head (and, when
/// `hasRest`, JIT-compiled code after it): a few chunks per kernel (the
/// GEMM packs its B operand once per call, so up to 255 rows get two: one
/// per thread on two threads), each worth at least about a million flops.
/// A kernel that is nothing but a row-split GEMM is called once per thread
/// whatever its chunks (wantsOneRunPerThread in CpuKernel.h): its chunks
/// bound only how many threads can share it.
int64_t headChunkRows(const ContractionHead &head, bool hasRest) {
  if (const char *value = std::getenv("NNC_CPU_CHUNK_ROWS")) {
    long long rows = std::atoll(value);
    if (rows > 0)
      return rows;
  }
  int64_t rows = head.rows;
  // Columns of a one-row matmul: one block of whole 32-column panels per
  // thread on two threads.
  if (head.columns)
    return std::max<int64_t>(32, (rows / 2 + 31) / 32 * 32);
  // Every filter range of conv2d_grad_weight through the GEMM im2cols the
  // whole batch again, which costs more than the GEMM of a few filters:
  // keep it whole below 32 filters (the executor runs other kernels beside
  // it meanwhile), unless the direct loops, which have no im2col, take it.
  if (head.kind == ContractionHead::Kind::Conv2dGradWeight && rows < 32 &&
      !conv2dGradWeightDirectFits(head.conv, 0, (rows + 1) / 2))
    return rows;
  // Heads of attention are independent and alike: chunks of about a
  // million flops let any number of threads share them.
  if (head.kind == ContractionHead::Kind::Attention ||
      head.kind == ContractionHead::Kind::AttentionGrad) {
    const AttentionShape &a = head.attention;
    int64_t flopsPerHead =
        std::max<int64_t>(1, 2 * a.queries * a.keys * (a.depth + a.valueDepth));
    return std::clamp<int64_t>((int64_t(1) << 20) / flopsPerHead, 1, rows);
  }
  constexpr int64_t kOneRunPerThreadChunks = 16;
  int64_t chunks = isRowSplitGemm(head) && !hasRest ? kOneRunPerThreadChunks
                   : rows >= 256                    ? 4
                                                    : 2;
  int64_t chunk = (rows + chunks - 1) / chunks;
  if (head.kind == ContractionHead::Kind::Matmul && head.lhsIndex.empty()) {
    chunk = (chunk + 3) / 4 * 4;
    int64_t flopsPerRow = std::max<int64_t>(1, 2 * head.n * head.k);
    chunk = std::max(chunk, (int64_t(1) << 20) / flopsPerRow);
  }
  return std::max<int64_t>(1, chunk);
}

/// True when `fn` is one reshape of an argument that the plan computes in
/// place of it (`inPlace` holds (result buffer, argument buffer) pairs):
/// its result is its argument's bytes already, so there is nothing to run.
bool isReshapeInPlace(func::FuncOp fn,
                      ArrayRef<std::pair<int64_t, int64_t>> inPlace) {
  Block &body = fn.getBody().front();
  if (fn.getNumResults() != 1 ||
      !llvm::hasSingleElement(body.without_terminator()))
    return false;
  auto reshape = dyn_cast<nn::ReshapeOp>(body.front());
  if (!reshape || body.getTerminator()->getOperand(0) != reshape.getResult())
    return false;
  auto arg = dyn_cast<BlockArgument>(reshape.getX());
  int64_t resultBuffer = fn.getNumArguments();
  return arg &&
         llvm::is_contained(inPlace, std::pair<int64_t, int64_t>(
                                         resultBuffer, arg.getArgNumber()));
}

/// True when `fn`'s result `result` is written by the head itself: H (what
/// the head writes for its first result) at `outResult`, or what it writes
/// for another result of a head that has several (planHead makes such a
/// kernel return each once).
bool headWrites(func::FuncOp fn, const HeadPlan &head, int64_t outResult,
                size_t result) {
  Value value = fn.getBody().front().getTerminator()->getOperand(result);
  return static_cast<int64_t>(result) == outResult ||
         (head.written.size() > 1 && llvm::is_contained(head.written, value));
}

/// The kernel without its head: `fn`'s arguments plus H as a last argument,
/// and `fn`'s results but those the head writes directly: the first that is
/// H itself (its index goes to `outResult`, -1 if none) and the other
/// results of a head that has several. The transposes an attention head
/// reads or writes through are left out with it.
func::FuncOp buildTail(func::FuncOp fn, const HeadPlan &head, size_t index,
                       int64_t &outResult) {
  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Operation *headOp = head.op;
  Value h = head.written.front();
  outResult = -1;
  for (auto [i, value] : llvm::enumerate(ret.getOperands()))
    if (value == h) {
      outResult = static_cast<int64_t>(i);
      break;
    }
  SmallVector<Type> argTypes(fn.getArgumentTypes());
  argTypes.push_back(h.getType());
  SmallVector<Type> resultTypes;
  for (auto [i, value] : llvm::enumerate(ret.getOperands()))
    if (!headWrites(fn, head, outResult, i))
      resultTypes.push_back(value.getType());
  OpBuilder b(fn.getContext());
  b.setInsertionPointAfter(fn);
  auto tail =
      b.create<func::FuncOp>(fn.getLoc(), "tail_" + std::to_string(index),
                             b.getFunctionType(argTypes, resultTypes));
  Block *entry = tail.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (BlockArgument arg : body.getArguments())
    mapping.map(arg, entry->getArgument(arg.getArgNumber()));
  mapping.map(h, entry->getArguments().back());
  for (Operation &op : body.without_terminator())
    if (&op != headOp && !llvm::is_contained(head.covered, &op))
      b.clone(op, mapping);
  SmallVector<Value> results;
  for (auto [i, value] : llvm::enumerate(ret.getOperands()))
    if (!headWrites(fn, head, outResult, i))
      results.push_back(mapping.lookup(value));
  b.create<func::ReturnOp>(fn.getLoc(), results);
  return tail;
}

/// True when `fn` computes nothing beyond its head.
bool isEmptyTail(func::FuncOp tail) {
  for (Operation &op : tail.getBody().front().without_terminator())
    if (!isa<nn::ConstantOp>(op))
      return false;
  return tail.getNumResults() == 0;
}

/// The in-process cache: kernels by key, for the life of the plugin.
struct KernelCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const CpuKernel>> kernels;
};

KernelCache &kernelCache() {
  static KernelCache *cache = new KernelCache;
  return *cache;
}

int64_t bytesOf(RankedTensorType type) {
  return type.getNumElements() *
         static_cast<int64_t>(type.getElementTypeBitWidth() / 8);
}

/// A kernel waiting for code: its plan and where its variants will land.
struct PendingKernel {
  std::string key;
  std::shared_ptr<CpuKernel> kernel;
  /// Its variants: variants[firstVariant, firstVariant + numVariants) of
  /// the graph, then the module they are compiled in and their place there.
  size_t firstVariant = 0, numVariants = 0;
  size_t module = 0, firstInModule = 0;
  /// What compiling its variants costs, roughly: their ops.
  int64_t cost = 0;
  bool hasTail = false;
  /// False for a kernel that is only a native head.
  bool needsJit = true;
};

/// Splits the variants of `pending` kernels into modules, each compiled and
/// optimised on its own (in parallel), and records in each kernel its
/// module. The split depends on the graph alone, never on the thread
/// count, so the same graph gives the same code objects on any machine:
/// consecutive kernels, about a sixteenth of the graph's ops per module,
/// but no module under kMinModuleCost ops (a module costs a JIT session,
/// and a shared object in an artifact).
std::vector<std::vector<KernelVariant>>
groupIntoModules(std::vector<PendingKernel> &pending,
                 const std::vector<KernelVariant> &variants) {
  constexpr int64_t kMaxModules = 16;
  constexpr int64_t kMinModuleCost = 8;
  int64_t total = 0;
  for (const PendingKernel &entry : pending)
    total += entry.cost;
  int64_t target =
      std::max(kMinModuleCost, (total + kMaxModules - 1) / kMaxModules);
  std::vector<std::vector<KernelVariant>> modules;
  int64_t inCurrent = target; // Starts a module at the first kernel.
  for (PendingKernel &entry : pending) {
    if (entry.numVariants == 0)
      continue;
    if (inCurrent >= target) {
      modules.emplace_back();
      inCurrent = 0;
    }
    entry.module = modules.size() - 1;
    entry.firstInModule = modules.back().size();
    for (size_t v = 0; v < entry.numVariants; ++v)
      modules.back().push_back(variants[entry.firstVariant + v]);
    inCurrent += entry.cost;
  }
  return modules;
}

LogicalResult checkTypes(func::FuncOp fn) {
  auto check = [&](Type type) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape())
      return fn.emitError("cpu backend needs static ranked tensors, got ")
             << type;
    Type element = tensor.getElementType();
    if (!element.isF32() && !element.isF64() && !element.isInteger(32) &&
        !element.isInteger(64))
      return fn.emitError("cpu backend has no runtime type for ") << element;
    return success();
  };
  for (Type type : fn.getArgumentTypes())
    if (failed(check(type)))
      return failure();
  for (Type type : fn.getResultTypes())
    if (failed(check(type)))
      return failure();
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("kernel function must have a single block");
  return success();
}

nnc_status compileParsed(ModuleOp module, ArrayRef<CodeTarget> targets,
                         bool diskCache, CompiledModule &result) {
  if (Operation *op = findUnsupportedOp(module, cpuSupportedOps())) {
    result.message = "op '" + op->getName().getStringRef().str() +
                     "' is not supported by the cpu backend";
    return NNC_UNSUPPORTED;
  }
  FailureOr<std::vector<func::FuncOp>> kernelFns = kernelFunctions(module);
  if (failed(kernelFns))
    return NNC_ERROR;
  std::vector<func::FuncOp> &functions = *kernelFns;
  for (func::FuncOp fn : functions)
    if (fn.isExternal() || failed(checkTypes(fn)))
      return NNC_ERROR;

  // The in-process cache is no cache in the user's sense (--no-cache and
  // NNC_NO_CACHE turn off the disk only): it shares kernels between the graphs
  // of one compile (a training step and its forward pass). Its keys name
  // the targets, whose code every kernel carries.
  std::string targetKey;
  for (const CodeTarget &target : targets)
    targetKey += target.cpu + ":" + llvm::join(target.llvmFeatures, ",") + ";";
  KernelCache &cache = kernelCache();
  std::vector<KernelVariant> variants;
  std::vector<PendingKernel> pending;
  std::unordered_map<std::string, std::shared_ptr<CpuKernel>> firstWithKey;
  result.kernels.resize(functions.size());
  for (size_t i = 0; i < functions.size(); ++i) {
    func::FuncOp fn = functions[i];
    std::optional<HeadPlan> head = planHead(fn);
    func::FuncOp jitFn = fn;
    int64_t outResult = -1;
    bool needsJit = true;
    std::optional<SplitPlan> plan;
    int64_t chunkRows = 0;
    if (head) {
      jitFn = buildTail(fn, *head, i, outResult);
      if (head->head.columns)
        splitTailByColumns(jitFn, *head);
      if (head->batchRowsMerge)
        mergeBatchRows(jitFn, *head);
      needsJit = !isEmptyTail(jitFn);
      int64_t hArg = static_cast<int64_t>(fn.getNumArguments());
      if (needsJit) {
        plan = planSplit(jitFn);
      } else {
        plan = SplitPlan();
        plan->rows = head->head.rows;
        plan->slicedArgs.assign(fn.getNumArguments() + 1, false);
        plan->slicedArgs.back() = true;
      }
      // The rest of the kernel must split by H's rows and leave alone what
      // the head reads beyond its rows.
      if (plan && (plan->rows != head->head.rows ||
                   (needsJit && !jitFn.getArgument(hArg).use_empty() &&
                    !plan->slicedArgs[hArg])))
        plan.reset();
      if (plan)
        for (int64_t arg : head->wholeArgs)
          if (plan->slicedArgs[static_cast<size_t>(arg)])
            plan.reset();
      if (plan && plan->rows > 1) {
        chunkRows = headChunkRows(head->head, needsJit);
        if (chunkRows >= plan->rows)
          plan.reset();
      } else {
        plan.reset();
      }
    } else {
      plan = planSplit(fn);
      if (plan) {
        auto first = cast<RankedTensorType>(fn.getResultTypes()[0]);
        chunkRows = chunkRowsFor(first.getNumElements() / plan->rows);
        if (chunkRows >= plan->rows)
          plan.reset();
      }
    }

    // Results the plan computes in place of an argument, as kernel buffer
    // pairs (result, argument); the code counts on them, so they are part
    // of what the kernel is.
    std::vector<std::pair<int64_t, int64_t>> inPlace;
    if (auto pairs = fn->getAttrOfType<DenseI64ArrayAttr>(kInPlaceAttr))
      for (int64_t p = 0; p + 1 < pairs.size(); p += 2)
        inPlace.push_back({fn.getNumArguments() + pairs[p], pairs[p + 1]});
    std::string key;
    {
      llvm::raw_string_ostream os(key);
      fn.getFunctionType().print(os);
      os << targetKey << "|" << chunkRows << "|";
      for (auto [result, argument] : inPlace)
        os << result << "=" << argument << ",";
      os << "|";
      for (Operation &op : fn.getBody().front())
        op.print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
    }
    {
      std::lock_guard<std::mutex> lock(cache.mutex);
      auto it = cache.kernels.find(key);
      if (it != cache.kernels.end()) {
        result.kernels[i] = it->second;
        continue;
      }
    }
    // A layer repeated N times gives N identical kernels, forward and
    // backward: compile one, and share it.
    if (auto it = firstWithKey.find(key); it != firstWithKey.end()) {
      result.kernels[i] = it->second;
      continue;
    }

    auto kernel = std::make_shared<CpuKernel>();
    kernel->numBuffers = fn.getNumArguments() + fn.getNumResults();
    for (Type type : fn.getArgumentTypes())
      kernel->bufferBytes.push_back(bytesOf(cast<RankedTensorType>(type)));
    for (Type type : fn.getResultTypes())
      kernel->bufferBytes.push_back(bytesOf(cast<RankedTensorType>(type)));
    kernel->checks = planChecks(fn);
    for (Operation &op : fn.getBody().front().without_terminator()) {
      if (isa<nn::ConstantOp>(op))
        continue;
      if (!kernel->label.empty())
        kernel->label += "+";
      kernel->label += op.getName().stripDialect().str();
    }
    if (isReshapeInPlace(fn, inPlace)) {
      kernel->viewOnly = true;
      kernel->label += " (in place: moves nothing)";
      kernel->rowBytes.assign(kernel->numBuffers, 0);
      result.kernels[i] = kernel;
      firstWithKey.emplace(key, kernel);
      std::lock_guard<std::mutex> lock(cache.mutex);
      cache.kernels.emplace(key, kernel);
      continue;
    }
    if (head && head->head.kParts > 1)
      kernel->label +=
          " (native, " + std::to_string(head->head.kParts) + " k blocks)";
    else if (head && head->head.splitsInside)
      kernel->label += " (native, split inside)";
    else if (head)
      kernel->label += " (native)";
    size_t jitBuffers = jitFn.getNumArguments() + jitFn.getNumResults();
    kernel->rowBytes.assign(jitBuffers, 0);
    if (head) {
      kernel->head = head->head;
      int64_t numArgs = fn.getNumArguments();
      kernel->head.out = outResult < 0 ? -1 : numArgs + outResult;
      for (int64_t a = 0; a < numArgs; ++a)
        kernel->jitBuffers.push_back(a);
      kernel->jitBuffers.push_back(-1);
      for (int64_t r = 0; r < static_cast<int64_t>(fn.getNumResults()); ++r)
        if (!headWrites(fn, *head, outResult, static_cast<size_t>(r)))
          kernel->jitBuffers.push_back(numArgs + r);
    }
    // The in-place pairs as the JIT-compiled function's buffers see them:
    // those of the kernel, or with a head, the ones its tail takes.
    std::vector<std::pair<unsigned, unsigned>> sameBuffers;
    auto jitIndexOf = [&](int64_t buffer) -> int64_t {
      if (!head)
        return buffer;
      auto it = llvm::find(kernel->jitBuffers, buffer);
      return it == kernel->jitBuffers.end()
                 ? -1
                 : std::distance(kernel->jitBuffers.begin(), it);
    };
    for (auto [result, argument] : inPlace) {
      int64_t jitResult = jitIndexOf(result),
              jitArgument = jitIndexOf(argument);
      if (jitResult >= 0 && jitArgument >= 0)
        sameBuffers.push_back({static_cast<unsigned>(jitResult),
                               static_cast<unsigned>(jitArgument)});
    }
    PendingKernel entry;
    entry.key = key;
    entry.firstVariant = variants.size();
    // Named by content, not position: the same kernel gets the same
    // symbols in every graph and module (so the disk cache finds it, and
    // modules linked together agree on it).
    std::string base = "k" + llvm::utohexstr(llvm::xxh3_64bits(key));
    if (!plan) {
      kernel->rows = head ? head->head.rows : 0;
      if (needsJit)
        variants.push_back({jitFn, base + "_whole", 0, {}, sameBuffers});
    } else {
      kernel->rows = plan->rows;
      kernel->chunkRows = chunkRows;
      kernel->range = (plan->rows + chunkRows - 1) / chunkRows;
      for (size_t a = 0; a < plan->slicedArgs.size(); ++a)
        if (plan->slicedArgs[a])
          kernel->rowBytes[a] =
              bytesOf(cast<RankedTensorType>(jitFn.getArgumentTypes()[a])) /
              plan->rows;
      for (size_t r = 0; r < jitFn.getNumResults(); ++r)
        kernel->rowBytes[jitFn.getNumArguments() + r] =
            bytesOf(cast<RankedTensorType>(jitFn.getResultTypes()[r])) /
            plan->rows;
      // A chunk moves the result along the rows: an argument it shares
      // memory with must move alike, or the two are no longer one pointer.
      llvm::erase_if(sameBuffers, [&](const auto &pair) {
        return pair.second >= plan->slicedArgs.size() ||
               !plan->slicedArgs[pair.second];
      });
      if (needsJit) {
        variants.push_back(
            {jitFn, base + "_chunk", chunkRows, plan->slicedArgs, sameBuffers});
        int64_t tailRows = plan->rows % chunkRows;
        if (tailRows != 0) {
          entry.hasTail = true;
          variants.push_back(
              {jitFn, base + "_tail", tailRows, plan->slicedArgs, sameBuffers});
        }
      }
    }
    entry.needsJit = needsJit;
    entry.kernel = kernel;
    entry.numVariants = variants.size() - entry.firstVariant;
    int64_t ops = std::distance(jitFn.getBody().front().begin(),
                                jitFn.getBody().front().end());
    entry.cost = ops * static_cast<int64_t>(entry.numVariants);
    result.kernels[i] = kernel;
    firstWithKey.emplace(key, kernel);
    pending.push_back(std::move(entry));
  }
  // The GEMM's micro-kernels are JIT-compiled (and tuned) on first use: do
  // it now, as part of compiling, rather than inside the first step. They
  // live as long as the process, so the kernels hold them without owning
  // them.
  std::shared_ptr<const GemmKernels> gemm;
  for (const PendingKernel &entry : pending)
    if (entry.kernel->head.kind != ContractionHead::Kind::None) {
      gemm = std::shared_ptr<const GemmKernels>(&tunedHostGemm(diskCache),
                                                [](const GemmKernels *) {});
      break;
    }

  std::vector<std::vector<KernelVariant>> modules =
      groupIntoModules(pending, variants);
  std::vector<std::vector<PackedFn>> entryPoints;
  std::vector<JitModule> jit;
  if (!modules.empty()) {
    llvm::Expected<std::vector<JitModule>> compiled = jitCompile(
        *module.getContext(), modules, targets, diskCache, entryPoints);
    if (!compiled) {
      result.message = llvm::toString(compiled.takeError());
      return NNC_ERROR;
    }
    jit = std::move(*compiled);
  }
  for (PendingKernel &entry : pending) {
    CpuKernel &kernel = *entry.kernel;
    if (kernel.head.kind != ContractionHead::Kind::None)
      kernel.gemm = gemm;
    auto entryPoint = [&](size_t offset, PackedFn &fn, std::string &symbol) {
      size_t index = entry.firstInModule + offset;
      fn = entryPoints[entry.module][index];
      symbol = packedSymbol(modules[entry.module][index].name);
    };
    if (entry.needsJit) {
      kernel.code = jit[entry.module].session;
      kernel.module = jit[entry.module].code;
      if (kernel.range == 1) {
        entryPoint(0, kernel.whole, kernel.wholeSymbol);
      } else {
        entryPoint(0, kernel.chunk, kernel.chunkSymbol);
        if (entry.hasTail)
          entryPoint(1, kernel.tail, kernel.tailSymbol);
      }
    }
    {
      std::lock_guard<std::mutex> lock(cache.mutex);
      cache.kernels.emplace(entry.key, entry.kernel);
    }
  }
  return NNC_OK;
}

} // namespace

CompiledModule nnc::cpu::compileModule(const void *bytecode, size_t size,
                                       const std::vector<CodeTarget> &targets,
                                       bool diskCache) {
  CompiledModule result;
  DialectRegistry registry;
  registerPipelineDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.allowUnregisteredDialects();
  context.loadAllAvailableDialects();

  ErrorDiagnostics diagnostics(context);
  OwningOpRef<ModuleOp> module = parseKernelModule(
      context, bytecode, size, diagnostics, result.message);
  if (!module) {
    result.status = NNC_ERROR;
    return result;
  }
  result.targets.assign(targets.begin(), targets.end());
  result.status = compileParsed(*module, targets, diskCache, result);
  if (result.status == NNC_ERROR && result.message.empty())
    result.message = diagnostics.text().empty() ? "cannot compile the graph"
                                                : diagnostics.text();
  if (result.status != NNC_OK)
    result.kernels.clear();
  return result;
}
