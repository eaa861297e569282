//===- CpuPipeline.cpp - Kernel functions to JIT-compiled code ------------===//

#include "backends/cpu/compiler/CpuPipeline.h"

#include "backends/cpu/compiler/KernelObjectCache.h"
#include "backends/cpu/compiler/NNToLinalg.h"
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
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

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

LogicalResult convertNNToLinalg(ModuleOp module) {
  MLIRContext *context = module.getContext();
  RewritePatternSet patterns(context);
  populateNNToLinalgElementwisePatterns(patterns);
  populateNNToLinalgTensorPatterns(patterns);
  populateNNToLinalgContractionPatterns(patterns);
  populateNNToLinalgLayerPatterns(patterns);
  populateNNToLinalgLossPatterns(patterns);
  populateNNToLinalgTrainingPatterns(patterns);
  ConversionTarget target(*context);
  target.addIllegalDialect<nn::NNDialect>();
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  return applyPartialConversion(module, target, std::move(patterns));
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
constexpr const char *kPipelineRevision = "cpu-pipeline-3";


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
      llvm::Value *slot =
          builder.CreateGEP(builder.getPtrTy(), list, builder.getInt64(index));
      llvm::Value *pointer = builder.CreateLoad(builder.getPtrTy(), slot);
      args.push_back(builder.CreateLoad(arg.getType(), pointer));
    }
    builder.CreateCall(fn, args);
    builder.CreateRetVoid();
  }
}

/// Optimises `module` for `machine` and returns its object file.
llvm::Expected<std::string> emitObject(llvm::Module &module,
                                       llvm::TargetMachine &machine) {
  module.setDataLayout(machine.createDataLayout());
  module.setTargetTriple(machine.getTargetTriple().str());
  auto optimize =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, &machine);
  if (llvm::Error error = optimize(&module))
    return std::move(error);
  std::string object;
  {
    llvm::raw_string_ostream os(object);
    llvm::buffer_ostream stream(os);
    llvm::legacy::PassManager passes;
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

llvm::Expected<JitModule>
nnc::cpu::jitCompile(MLIRContext &context, ArrayRef<KernelVariant> variants,
                     ArrayRef<CodeTarget> targets,
                     std::vector<PackedFn> &functions) {
  assert(!targets.empty() && targets.front().cpu == hostCodeTarget().cpu &&
         "the JIT runs the host's code");
  initializeNativeTarget();
  ErrorDiagnostics diagnostics(context);
  auto fail = [&](const char *what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   diagnostics.describe(what));
  };

  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  OpBuilder b(&context);
  b.setInsertionPointToEnd(module->getBody());
  for (const KernelVariant &variant : variants)
    buildWrapper(b, variant);

  // The code depends on the wrapped kernels, the plugin's build (its
  // lowerings), the pipeline, the host and the optimisation level; all of
  // it goes into the cache key.
  std::string key;
  {
    llvm::raw_string_ostream os(key);
    os << kPipelineRevision << "|" << pluginBuildId() << "|"
       << NNC_VERSION_STRING << "|O3|"
       << hostTargetDescription() << "|";
    module->print(os, OpPrintingFlags().printGenericOpForm());
  }
  KernelObjectCache cache(key);
  auto finish = [&](std::string hostObject,
                    std::vector<std::string> others) -> llvm::Expected<JitModule> {
    auto loaded = loadObject(hostObject, variants, functions);
    if (!loaded)
      return loaded.takeError();
    auto code = std::make_shared<ModuleCode>();
    code->perTarget.push_back(std::move(hostObject));
    for (std::string &object : others)
      code->perTarget.push_back(std::move(object));
    return JitModule{*loaded, std::move(code)};
  };
  // Other targets need the LLVM IR, which a cached object does not keep.
  if (targets.size() == 1)
    if (std::optional<std::string> object = cache.load()) {
      auto loaded = finish(*object, {});
      if (loaded)
        return loaded;
      llvm::consumeError(loaded.takeError());
      cache.reportUnusable();
    }

  if (failed(convertNNToLinalg(*module)))
    return fail("cannot convert nn ops to linalg");
  PassManager pm(&context);
  buildLoweringPipeline(pm);
  if (failed(pm.run(*module)))
    return fail("cannot lower the kernels to LLVM");

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, "nnc-cpu-kernels");
  if (!llvmModule)
    return fail("cannot translate the kernels to LLVM IR");
  addPackedWrappers(*llvmModule, variants);
  std::vector<std::string> objects;
  for (const CodeTarget &target : targets) {
    llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
        targetMachine(target);
    if (!machine)
      return machine.takeError();
    // emitObject optimises the module in place: each target gets a copy.
    std::unique_ptr<llvm::Module> copy =
        &target == &targets.back() ? std::move(llvmModule)
                                   : llvm::CloneModule(*llvmModule);
    llvm::Expected<std::string> object = emitObject(*copy, **machine);
    if (!object)
      return object.takeError();
    objects.push_back(std::move(*object));
  }
  cache.store(objects.front());
  std::string hostObject = std::move(objects.front());
  objects.erase(objects.begin());
  return finish(std::move(hostObject), std::move(objects));
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
