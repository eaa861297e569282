//===- CpuPipeline.cpp - Kernel functions to JIT-compiled code ------------===//

#include "backends/cpu/compiler/CpuPipeline.h"

#include "backends/cpu/VectorMath.h"
#include "backends/cpu/compiler/CollapseContiguousLoops.h"
#include "backends/cpu/compiler/FuseElementwiseChains.h"
#include "backends/cpu/compiler/KernelObjectCache.h"
#include "backends/cpu/compiler/NNToLinalg.h"
#include "backends/cpu/compiler/VectorMathLibrary.h"
#include "backends/cpu/gemm/GemmJit.h"
#include "runtime/Artifact.h"

#include "ir/ErrorDiagnostics.h"
#include "ir/NNDialect.h"
#include "ir/NNOps.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <tbb/parallel_for.h>

#include <mutex>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

void nnc::cpu::registerPipelineDialects(DialectRegistry &registry) {
  nnc::registerAllDialects(registry);
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, LLVM::LLVMDialect, linalg::LinalgDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  tensor::TensorDialect, vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

namespace {

RankedTensorType specialise(Type type, int64_t rows, bool sliced) {
  auto tensor = cast<RankedTensorType>(type);
  if (rows == 0 || !sliced)
    return tensor;
  SmallVector<int64_t> shape(tensor.getShape());
  shape[0] = rows;
  return RankedTensorType::get(shape, tensor.getElementType());
}

MemRefType memrefOf(RankedTensorType type) {
  return MemRefType::get(type.getShape(), type.getElementType());
}

/// Builds `@name(buffers..., %row: i64)` computing `variant.source` with
/// its results written into the trailing buffers.
void buildWrapper(OpBuilder &b, const KernelVariant &variant) {
  func::FuncOp source = variant.source;
  Location loc = source.getLoc();
  Block &body = source.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  int64_t rows = variant.rows;

  SmallVector<Type> argTypes;
  SmallVector<RankedTensorType> argTensors;
  for (auto [index, arg] : llvm::enumerate(body.getArguments())) {
    bool sliced =
        index < variant.slicedArgs.size() && variant.slicedArgs[index];
    argTensors.push_back(specialise(arg.getType(), rows, sliced));
    argTypes.push_back(memrefOf(argTensors.back()));
  }
  for (Value result : ret.getOperands())
    argTypes.push_back(memrefOf(specialise(result.getType(), rows, true)));
  argTypes.push_back(b.getI64Type());

  auto fn = b.create<func::FuncOp>(loc, variant.name,
                                   b.getFunctionType(argTypes, {}));
  Block *entry = fn.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [index, arg] : llvm::enumerate(body.getArguments())) {
    Value tensor = b.create<bufferization::ToTensorOp>(
        loc, argTensors[index], entry->getArgument(index), /*restrict=*/true,
        /*writable=*/false);
    mapping.map(arg, tensor);
  }
  for (Operation &op : body.without_terminator()) {
    Operation *clone = b.clone(op, mapping);
    if (rows != 0 && !isa<nn::ConstantOp>(op))
      for (Value result : clone->getResults())
        result.setType(specialise(result.getType(), rows, true));
  }
  unsigned numArgs = body.getNumArguments();
  for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
    auto materialize = b.create<bufferization::MaterializeInDestinationOp>(
        loc, TypeRange{}, mapping.lookup(value),
        entry->getArgument(numArgs + index));
    materialize.setRestrict(true);
    materialize.setWritable(true);
  }
  b.create<func::ReturnOp>(loc);
}

/// Lets LLVM reorder the sums and maxima of reductions, which it may then
/// vectorise (with the exp of softmax and the losses, which otherwise run a
/// scalar call per element). Only the combining op gets the flag: the add
/// or max of a reduction's body that reads its accumulator. The order of a
/// row's sum then depends on the vector width the code was compiled for,
/// never on the thread count, and in f64 (as the kernels sum) the results
/// differ from ref's sequential order far below f32's precision.
void allowReassociatedReductions(ModuleOp module) {
  module.walk([](linalg::GenericOp generic) {
    if (generic.getNumReductionLoops() == 0)
      return;
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    for (auto [index, value] : llvm::enumerate(yield.getValues())) {
      Operation *combiner = value.getDefiningOp();
      if (!combiner || !isa<arith::AddFOp, arith::MaxNumFOp>(combiner))
        continue;
      BlockArgument accumulator =
          generic.getMatchingBlockArgument(generic.getDpsInitOperand(index));
      if (!llvm::is_contained(combiner->getOperands(), Value(accumulator)))
        continue;
      auto fastmath = cast<arith::ArithFastMathInterface>(combiner);
      combiner->setAttr(fastmath.getFastMathAttrName(),
                        arith::FastMathFlagsAttr::get(
                            combiner->getContext(),
                            fastmath.getFastMathFlagsAttr().getValue() |
                                arith::FastMathFlags::reassoc));
    }
  });
}

LogicalResult convertNNToLinalg(ModuleOp module) {
  MLIRContext *context = module.getContext();
  RewritePatternSet patterns(context);
  populateNNToLinalgAttentionPatterns(patterns);
  populateNNToLinalgElementwisePatterns(patterns);
  populateNNToLinalgTensorPatterns(patterns);
  populateNNToLinalgContractionPatterns(patterns);
  populateNNToLinalgPoolingPatterns(patterns);
  populateNNToLinalgLayerPatterns(patterns);
  populateNNToLinalgLossPatterns(patterns);
  populateNNToLinalgTrainingPatterns(patterns);
  ConversionTarget target(*context);
  target.addIllegalDialect<nn::NNDialect>();
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  if (failed(applyPartialConversion(module, target, std::move(patterns))) ||
      failed(fuseElementwiseChains(module)))
    return failure();
  allowReassociatedReductions(module);
  return success();
}

void buildLoweringPipeline(OpPassManager &pm) {
  // No CSE before bufferization: merging two tensor.empty ops would let
  // empty-tensor elimination point both producers at one result buffer.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = false;
  bufferization.allowReturnAllocsFromLoops = true;
  // Copies as linalg.copy, which lowers to loops: memref.copy of strided
  // views would call memrefCopy of MLIR's C runner library.
  bufferization.memCpyFn = [](OpBuilder &b, Location loc, Value from,
                              Value to) {
    b.create<linalg::CopyOp>(loc, from, to);
    return success();
  };
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addNestedPass<func::FuncOp>(createCollapseContiguousLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions func;
  func.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(func));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// A position-independent target machine for `target` (so its objects
/// link into shared objects as well as into the JIT).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
targetMachine(const CodeTarget &target) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  // The target's CPU and switches alone: an ISA level gets nothing of the
  // host's.
  builder->getFeatures() = llvm::SubtargetFeatures();
  builder->setCPU(target.cpu);
  builder->addFeatures(target.llvmFeatures);
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder->createTargetMachine();
}

} // namespace

std::string nnc::cpu::hostTargetDescription() {
  const CodeTarget &host = hostCodeTarget();
  return host.cpu + ":" + llvm::join(host.llvmFeatures, ",");
}

namespace {

/// Bumped whenever the lowering changes what code a kernel gets, so stale
/// on-disk entries stop matching.
constexpr const char *kPipelineRevision = "cpu-pipeline-15";

/// Adds `<name>_packed(ptr args)` for each kernel function `<name>`, loading
/// argument i through args[i] (mlir::ExecutionEngine's packed convention),
/// and makes everything else internal so the optimiser may inline it.
void addPackedWrappers(llvm::Module &module, ArrayRef<KernelVariant> variants) {
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> builder(context);
  for (llvm::Function &fn : module.functions())
    if (!fn.isDeclaration())
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (const KernelVariant &variant : variants) {
    llvm::Function *fn = module.getFunction(variant.name);
    assert(fn && "a lowered kernel function is missing");
    auto *type =
        llvm::FunctionType::get(builder.getVoidTy(), builder.getPtrTy(), false);
    auto *packed =
        llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                               packedSymbol(variant.name), module);
    builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", packed));
    llvm::Value *list = packed->getArg(0);
    SmallVector<llvm::Value *> args;
    for (auto [index, arg] : llvm::enumerate(fn->args())) {
      size_t position = index;
      auto same = llvm::find_if(variant.sameBuffers, [&](const auto &pair) {
        return pair.first == position;
      });
      if (same != variant.sameBuffers.end()) {
        args.push_back(args[same->second]);
        continue;
      }
      llvm::Value *slot =
          builder.CreateGEP(builder.getPtrTy(), list, builder.getInt64(index));
      llvm::Value *pointer = builder.CreateLoad(builder.getPtrTy(), slot);
      args.push_back(builder.CreateLoad(arg.getType(), pointer));
    }
    builder.CreateCall(fn, args);
    builder.CreateRetVoid();
  }
}

/// Runs LLVM's O3 pipeline over `module` for `machine`, with calls to exp,
/// log, erf, tanh and log1p vectorised through libmvec where the CPU allows.
void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = true;
  tuning.LoopInterleaving = true;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(&machine, tuning);
  llvm::TargetLibraryInfoImpl library(llvm::Triple(module.getTargetTriple()));
  addVectorMathFunctions(library, machine);
  functions.registerPass([&] { return llvm::TargetLibraryAnalysis(library); });
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::ModulePassManager pipeline =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  pipeline.run(module, modules);
}

/// Lets the vectoriser use 512-bit vectors where the CPU has them. LLVM's
/// tuning for Intel's AVX-512 parts (Skylake-X and later) prefers 256 bits,
/// against the clock drop of older parts' wide units, and so ran every
/// element-wise and reduction loop at half width: 512 bits took a quarter
/// off a chain of element-wise ops, a 1000-wide softmax and a row sum, and
/// changed no GEMM-bound model (docs/performance.md, "Whole AVX-512
/// vectors"). It also makes the code the same on Intel and AMD parts of one
/// target, whose tunings differ there.
void preferWholeAvx512Vectors(llvm::Module &module,
                              llvm::TargetMachine &machine) {
  if (!machine.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    return;
  for (llvm::Function &function : module)
    if (!function.isDeclaration())
      function.addFnAttr("prefer-vector-width", "512");
}

/// Optimises `module` for `machine` and returns its object file.
llvm::Expected<std::string> emitObject(llvm::Module &module,
                                       llvm::TargetMachine &machine) {
  module.setDataLayout(machine.createDataLayout());
  module.setTargetTriple(machine.getTargetTriple().str());
  preferWholeAvx512Vectors(module, machine);
  optimize(module, machine);
  std::string object;
  {
    llvm::raw_string_ostream os(object);
    llvm::buffer_ostream stream(os);
    llvm::legacy::PassManager passes;
    // The code generator's own library info, so that it too knows the
    // vector functions the optimiser called.
    llvm::TargetLibraryInfoImpl library(machine.getTargetTriple());
    addVectorMathFunctions(library, machine);
    passes.add(new llvm::TargetLibraryInfoWrapperPass(library));
    if (machine.addPassesToEmitFile(passes, stream, nullptr,
                                    llvm::CodeGenFileType::ObjectFile))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the target cannot emit object files");
    passes.run(module);
  }
  return object;
}

/// Links `object` into a fresh JIT and looks up every variant's packed
/// entry point.
llvm::Expected<std::shared_ptr<void>>
loadObject(llvm::StringRef object, ArrayRef<KernelVariant> variants,
           std::vector<PackedFn> &functions) {
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return jit.takeError();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*process));
  if (llvm::Error error = (*jit)->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(object, "nnc-cpu-kernels")))
    return std::move(error);
  functions.clear();
  for (const KernelVariant &variant : variants) {
    auto address = (*jit)->lookup(packedSymbol(variant.name));
    if (!address)
      return address.takeError();
    functions.push_back(address->toPtr<PackedFn>());
  }
  std::shared_ptr<llvm::orc::LLJIT> owner(std::move(*jit));
  return std::static_pointer_cast<void>(owner);
}

} // namespace

namespace {

/// One module on its way to machine code: its variants, its disk cache
/// entry, and once lowered, its LLVM IR in a context of its own, so that
/// modules optimise and generate code on separate threads.
struct ModuleJob {
  ArrayRef<KernelVariant> variants;
  std::unique_ptr<KernelObjectCache> cache;
  /// Set when the object came from the disk cache.
  std::optional<std::string> cachedObject;
  std::unique_ptr<llvm::LLVMContext> llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  /// One object per target, once generated.
  std::vector<std::string> objects;
  llvm::Error error = llvm::Error::success();
};

/// Wraps `job`'s variants into a module of `context`, looks it up in the
/// disk cache and, on a miss, lowers it to LLVM IR.
llvm::Error lowerToLLVM(MLIRContext &context, ModuleJob &job, size_t numTargets,
                        bool diskCache, bool readCache) {
  ErrorDiagnostics diagnostics(context);
  auto fail = [&](const char *what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   diagnostics.describe(what));
  };
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  OpBuilder b(&context);
  b.setInsertionPointToEnd(module->getBody());
  for (const KernelVariant &variant : job.variants)
    buildWrapper(b, variant);

  // The code depends on the wrapped kernels, the plugin's build (its
  // lowerings), the pipeline, the host and the optimisation level; all of
  // it goes into the cache key.
  std::string key;
  {
    llvm::raw_string_ostream os(key);
    os << kPipelineRevision << "|" << pluginBuildId() << "|"
       << NNC_VERSION_STRING << "|O3|" << hostTargetDescription() << "|";
    module->print(os, OpPrintingFlags().printGenericOpForm());
  }
  job.cache = std::make_unique<KernelObjectCache>(key, diskCache);
  // Other targets need the LLVM IR, which a cached object does not keep.
  if (numTargets == 1 && readCache) {
    job.cachedObject = job.cache->load();
    if (job.cachedObject)
      return llvm::Error::success();
  }

  if (failed(convertNNToLinalg(*module)))
    return fail("cannot convert nn ops to linalg");
  PassManager pm(&context);
  buildLoweringPipeline(pm);
  if (failed(pm.run(*module)))
    return fail("cannot lower the kernels to LLVM");
  job.llvmContext = std::make_unique<llvm::LLVMContext>();
  job.llvmModule =
      translateModuleToLLVMIR(*module, *job.llvmContext, "nnc-cpu-kernels");
  if (!job.llvmModule)
    return fail("cannot translate the kernels to LLVM IR");
  addPackedWrappers(*job.llvmModule, job.variants);
  return llvm::Error::success();
}

/// Optimises `job`'s LLVM IR and generates an object for each target. It
/// touches nothing but the job, so jobs run in parallel.
llvm::Error emitObjects(ModuleJob &job, ArrayRef<CodeTarget> targets) {
  for (const CodeTarget &target : targets) {
    llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
        targetMachine(target);
    if (!machine)
      return machine.takeError();
    // emitObject optimises the module in place: each target gets a copy.
    std::unique_ptr<llvm::Module> copy =
        &target == &targets.back() ? std::move(job.llvmModule)
                                   : llvm::CloneModule(*job.llvmModule);
    llvm::Expected<std::string> object = emitObject(*copy, **machine);
    if (!object)
      return object.takeError();
    job.objects.push_back(std::move(*object));
  }
  job.llvmModule.reset();
  job.llvmContext.reset();
  job.cache->store(job.objects.front());
  return llvm::Error::success();
}

/// Loads `job`'s host object into a JIT session of its own.
llvm::Expected<JitModule> loadJob(ModuleJob &job,
                                  std::vector<PackedFn> &functions) {
  std::string hostObject =
      job.cachedObject ? *job.cachedObject : std::move(job.objects.front());
  auto loaded = loadObject(hostObject, job.variants, functions);
  if (!loaded)
    return loaded.takeError();
  auto code = std::make_shared<ModuleCode>();
  code->perTarget.push_back(std::move(hostObject));
  for (size_t t = 1; t < job.objects.size(); ++t)
    code->perTarget.push_back(std::move(job.objects[t]));
  return JitModule{*loaded, std::move(code)};
}

} // namespace

llvm::Expected<std::vector<JitModule>>
nnc::cpu::jitCompile(MLIRContext &context,
                     ArrayRef<std::vector<KernelVariant>> modules,
                     ArrayRef<CodeTarget> targets, bool diskCache,
                     std::vector<std::vector<PackedFn>> &functions) {
  assert(!targets.empty() && targets.front().cpu == hostCodeTarget().cpu &&
         "the JIT runs the host's code");
  initializeNativeTarget();
  // Cached objects may call vector math too (VectorMath.h).
  vectorMathLoaded();
  std::vector<ModuleJob> jobs(modules.size());
  // MLIR runs on one thread (the context is not shared between threads);
  // it is a small part of the time next to LLVM's optimiser and code
  // generator, which run a module per task.
  for (size_t m = 0; m < modules.size(); ++m) {
    jobs[m].variants = modules[m];
    if (llvm::Error error =
            lowerToLLVM(context, jobs[m], targets.size(), diskCache,
                        /*readCache=*/true))
      return std::move(error);
  }
  tbb::parallel_for(size_t(0), jobs.size(), [&](size_t m) {
    if (!jobs[m].cachedObject)
      jobs[m].error = emitObjects(jobs[m], targets);
  });

  llvm::Error firstError = llvm::Error::success();
  for (ModuleJob &job : jobs)
    firstError = llvm::joinErrors(std::move(firstError), std::move(job.error));
  if (firstError)
    return std::move(firstError);

  std::vector<JitModule> compiled;
  functions.assign(jobs.size(), {});
  for (size_t m = 0; m < jobs.size(); ++m) {
    ModuleJob &job = jobs[m];
    llvm::Expected<JitModule> loaded = loadJob(job, functions[m]);
    if (!loaded && job.cachedObject) {
      // A cached object that does not link is compiled again.
      llvm::consumeError(loaded.takeError());
      job.cache->reportUnusable();
      job.cachedObject.reset();
      if (llvm::Error error = lowerToLLVM(context, job, targets.size(),
                                          diskCache, /*readCache=*/false))
        return std::move(error);
      if (llvm::Error error = emitObjects(job, targets))
        return std::move(error);
      loaded = loadJob(job, functions[m]);
    }
    if (!loaded)
      return loaded.takeError();
    compiled.push_back(std::move(*loaded));
  }
  return compiled;
}

std::string nnc::cpu::packedSymbol(llvm::StringRef variantName) {
  return (variantName + "_packed").str();
}

const CodeTarget &nnc::cpu::hostCodeTarget() {
  static const CodeTarget *host = [] {
    auto *target = new CodeTarget;
    target->cpu = llvm::sys::getHostCPUName().str();
    // The features as detected: a virtual machine may lack some of its
    // CPU model's.
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    llvm::SubtargetFeatures switches;
    for (const auto &feature : features)
      switches.AddFeature(feature.first(), feature.second);
    target->llvmFeatures = switches.getFeatures();
    // What a loader can check of what the host has (runtime/Artifact.h).
    for (const std::string &name : rt::checkableCpuFeatures()) {
      auto it = features.find(name);
      if (it != features.end() && it->second)
        target->features.push_back(name);
    }
    target->gemmIsa = hostGemmIsa();
    return target;
  }();
  return *host;
}

llvm::Expected<CodeTarget> nnc::cpu::codeTargetNamed(llvm::StringRef name) {
  if (name == "host")
    return hostCodeTarget();
  // The x86-64 psABI levels: v2 adds SSE4.2, v3 AVX2/FMA/BMI, v4 AVX-512.
  struct Level {
    const char *cpu;
    std::vector<std::string> features;
    GemmIsa gemm;
  };
  static const Level kLevels[] = {
      {"x86-64-v2", {"sse4.2"}, GemmIsa::Sse},
      {"x86-64-v3",
       {"sse4.2", "avx", "avx2", "fma", "bmi", "bmi2"},
       GemmIsa::Avx2},
      {"x86-64-v4",
       {"sse4.2", "avx", "avx2", "fma", "bmi", "bmi2", "avx512f",
        "avx512cd", "avx512dq", "avx512bw", "avx512vl"},
       GemmIsa::Avx512},
  };
  for (const Level &level : kLevels)
    if (name == level.cpu)
      return CodeTarget{level.cpu, level.features, {}, level.gemm};
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "unknown target CPU '" + name.str() +
          "' (expected host, x86-64-v2, x86-64-v3 or x86-64-v4)");
}
