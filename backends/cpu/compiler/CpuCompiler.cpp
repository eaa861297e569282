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

#include "ir/NNDialect.h"
#include "ir/NNOps.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

static const char *const kSupportedOps[] = {
    "nn.abs",
    "nn.adam_update",
    "nn.add",
    "nn.avg_pool2d",
    "nn.avg_pool2d_grad",
    "nn.batch_norm",
    "nn.batch_norm_grad",
    "nn.binary_cross_entropy",
    "nn.binary_cross_entropy_grad",
    "nn.broadcast_to",
    "nn.concat",
    "nn.constant",
    "nn.conv2d",
    "nn.conv2d_grad_input",
    "nn.conv2d_grad_weight",
    "nn.div",
    "nn.dropout",
    "nn.dropout_grad",
    "nn.exp",
    "nn.gather",
    "nn.gather_grad",
    "nn.gelu",
    "nn.gelu_grad",
    "nn.leaky_relu",
    "nn.leaky_relu_grad",
    "nn.log",
    "nn.log_softmax",
    "nn.log_softmax_grad",
    "nn.matmul",
    "nn.max_pool2d",
    "nn.max_pool2d_grad",
    "nn.maximum",
    "nn.minimum",
    "nn.momentum_update",
    "nn.mse",
    "nn.mul",
    "nn.neg",
    "nn.pow",
    "nn.reduce_max",
    "nn.reduce_max_grad",
    "nn.reduce_mean",
    "nn.reduce_sum",
    "nn.relu",
    "nn.relu_grad",
    "nn.reshape",
    "nn.sgd_update",
    "nn.sigmoid",
    "nn.sign",
    "nn.slice",
    "nn.slice_grad",
    "nn.softmax",
    "nn.softmax_cross_entropy",
    "nn.softmax_cross_entropy_grad",
    "nn.softmax_grad",
    "nn.sqrt",
    "nn.sub",
    "nn.tanh",
    "nn.transpose",
    nullptr,
};

const char *const *nnc::cpu::cpuSupportedOps() { return kSupportedOps; }

namespace {

bool isSupportedOp(StringRef name) {
  for (const char *const *op = kSupportedOps; *op; ++op)
    if (name == *op)
      return true;
  return false;
}

std::optional<size_t> kernelIndex(StringRef name) {
  if (!name.consume_front("kernel_") || name.empty() ||
      (name.size() > 1 && name.front() == '0'))
    return std::nullopt;
  size_t index = 0;
  if (name.getAsInteger(10, index))
    return std::nullopt;
  return index;
}

bool cacheEnabled() {
  const char *value = std::getenv("NNC_NO_CACHE");
  return !value || std::string(value) != "1";
}

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
  return std::max<int64_t>(1, kTargetElements / std::max<int64_t>(1, rowElements));
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
  size_t firstVariant = 0;
  bool hasTail = false;
};

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

nnc_status compileParsed(ModuleOp module, CompiledModule &result) {
  Operation *unsupported = nullptr;
  module.walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op) ||
        isSupportedOp(op->getName().getStringRef()))
      return WalkResult::advance();
    unsupported = op;
    return WalkResult::interrupt();
  });
  if (unsupported) {
    result.message = "op '" + unsupported->getName().getStringRef().str() +
                     "' is not supported by the cpu backend";
    return NNC_UNSUPPORTED;
  }

  std::vector<func::FuncOp> functions(module.getBody()->getOperations().size());
  for (Operation &op : module.getBody()->getOperations()) {
    auto fn = dyn_cast<func::FuncOp>(op);
    if (!fn) {
      op.emitError("expected only kernel functions at the top of the module");
      return NNC_ERROR;
    }
    std::optional<size_t> index = kernelIndex(fn.getSymName());
    if (!index) {
      fn.emitError("expected a function named kernel_<i>, got @")
          << fn.getSymName();
      return NNC_ERROR;
    }
    if (*index >= functions.size())
      continue;
    if (functions[*index]) {
      fn.emitError("duplicate kernel function @") << fn.getSymName();
      return NNC_ERROR;
    }
    functions[*index] = fn;
  }
  for (size_t i = 0; i < functions.size(); ++i) {
    if (!functions[i]) {
      module.emitError("missing kernel function @kernel_") << i;
      return NNC_ERROR;
    }
    if (functions[i].isExternal() || failed(checkTypes(functions[i])))
      return NNC_ERROR;
  }

  bool useCache = cacheEnabled();
  KernelCache &cache = kernelCache();
  std::vector<KernelVariant> variants;
  std::vector<PendingKernel> pending;
  result.kernels.resize(functions.size());
  for (size_t i = 0; i < functions.size(); ++i) {
    func::FuncOp fn = functions[i];
    std::optional<SplitPlan> plan = planSplit(fn);
    int64_t chunkRows = 0;
    if (plan) {
      auto first = cast<RankedTensorType>(fn.getResultTypes()[0]);
      chunkRows = chunkRowsFor(first.getNumElements() / plan->rows);
      if (chunkRows >= plan->rows)
        plan.reset();
    }

    std::string key;
    {
      llvm::raw_string_ostream os(key);
      fn.getFunctionType().print(os);
      os << "|" << chunkRows << "|";
      for (Operation &op : fn.getBody().front())
        op.print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
    }
    if (useCache) {
      std::lock_guard<std::mutex> lock(cache.mutex);
      auto it = cache.kernels.find(key);
      if (it != cache.kernels.end()) {
        result.kernels[i] = it->second;
        continue;
      }
    }

    auto kernel = std::make_shared<CpuKernel>();
    kernel->numBuffers = fn.getNumArguments() + fn.getNumResults();
    kernel->checks = planChecks(fn);
    kernel->rowBytes.assign(static_cast<size_t>(kernel->numBuffers), 0);
    PendingKernel entry;
    entry.key = key;
    entry.firstVariant = variants.size();
    std::string base = "k" + std::to_string(i);
    if (!plan) {
      variants.push_back({fn, base + "_whole", 0, {}});
    } else {
      kernel->rows = plan->rows;
      kernel->chunkRows = chunkRows;
      kernel->range = (plan->rows + chunkRows - 1) / chunkRows;
      for (size_t a = 0; a < plan->slicedArgs.size(); ++a)
        if (plan->slicedArgs[a])
          kernel->rowBytes[a] =
              bytesOf(cast<RankedTensorType>(fn.getArgumentTypes()[a])) /
              plan->rows;
      for (size_t r = 0; r < fn.getNumResults(); ++r)
        kernel->rowBytes[fn.getNumArguments() + r] =
            bytesOf(cast<RankedTensorType>(fn.getResultTypes()[r])) /
            plan->rows;
      variants.push_back({fn, base + "_chunk", chunkRows, plan->slicedArgs});
      int64_t tailRows = plan->rows % chunkRows;
      if (tailRows != 0) {
        entry.hasTail = true;
        variants.push_back({fn, base + "_tail", tailRows, plan->slicedArgs});
      }
    }
    entry.kernel = kernel;
    result.kernels[i] = kernel;
    pending.push_back(std::move(entry));
  }
  if (variants.empty())
    return NNC_OK;

  std::vector<PackedFn> entryPoints;
  llvm::Expected<std::shared_ptr<void>> code =
      jitCompile(*module.getContext(), variants, entryPoints);
  if (!code) {
    result.message = llvm::toString(code.takeError());
    return NNC_ERROR;
  }
  for (PendingKernel &entry : pending) {
    CpuKernel &kernel = *entry.kernel;
    kernel.code = *code;
    if (kernel.range == 1 && kernel.chunkRows == 0) {
      kernel.whole = entryPoints[entry.firstVariant];
    } else {
      kernel.chunk = entryPoints[entry.firstVariant];
      if (entry.hasTail)
        kernel.tail = entryPoints[entry.firstVariant + 1];
    }
    if (useCache) {
      std::lock_guard<std::mutex> lock(cache.mutex);
      cache.kernels.emplace(entry.key, entry.kernel);
    }
  }
  return NNC_OK;
}

} // namespace

CompiledModule nnc::cpu::compileModule(const void *bytecode, size_t size) {
  CompiledModule result;
  DialectRegistry registry;
  registerPipelineDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.allowUnregisteredDialects();
  context.loadAllAvailableDialects();

  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    if (!diagnostics.empty())
      diagnostics += "; ";
    diagnostics += diag.str();
    return success();
  });

  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(static_cast<const char *>(bytecode), size), "graph");
  if (!isBytecode(buffer->getMemBufferRef())) {
    result.status = NNC_ERROR;
    result.message = "the graph is not MLIR bytecode";
    return result;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module) {
    result.status = NNC_ERROR;
    result.message = diagnostics.empty()
                         ? "cannot parse the graph module"
                         : "cannot parse the graph module: " + diagnostics;
    return result;
  }
  result.status = compileParsed(*module, result);
  if (result.status == NNC_ERROR && result.message.empty())
    result.message =
        diagnostics.empty() ? "cannot compile the graph" : diagnostics;
  if (result.status != NNC_OK)
    result.kernels.clear();
  return result;
}
