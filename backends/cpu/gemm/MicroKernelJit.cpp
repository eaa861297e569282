//===- MicroKernelJit.cpp - GEMM micro-kernels as LLVM IR, JIT-compiled ---===//
//
// Emits one function per (row count, full or masked columns) with IRBuilder:
// an MR x (NV vectors) block of accumulators kept in registers across the k
// loop, one vector load per B vector and one broadcast per A element each k
// step, and a fused multiply-add per accumulator. ORC's LLJIT compiles the
// module at O3 for the host CPU's name and features.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/GemmJit.h"
#include "backends/cpu/gemm/MicroKernel.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace llvm;

namespace nnc::cpu::detail {

namespace {

/// The register tile of one ISA.
struct TileShape {
  unsigned vectorWidth; ///< f32 lanes per register.
  unsigned vectors;     ///< Registers per row of the tile: NR / vectorWidth.
  unsigned rows;        ///< MR.
  unsigned unroll;      ///< k steps per iteration of the main loop.
  bool fma;             ///< Fused multiply-add, else multiply then add.
  const char *name;
};

TileShape tileShapeFor(GemmIsa isa) {
  switch (isa) {
  case GemmIsa::Avx512:
    // 12 x 32: 24 zmm accumulators, 2 for B, broadcasts folded into the FMA.
    return {16, 2, 12, 4, true, "avx512"};
  case GemmIsa::Avx2:
    // 6 x 16: 12 ymm accumulators, 2 for B, 1 broadcast (16 registers).
    return {8, 2, 6, 4, true, "avx2"};
  default:
    // 6 x 8 on xmm, no FMA: 12 accumulators, 2 for B, 1 broadcast.
    return {4, 2, 6, 4, false, "sse"};
  }
}

class KernelEmitter {
public:
  KernelEmitter(Module &module, const TileShape &shape)
      : module(module), ctx(module.getContext()), shape(shape), builder(ctx) {
    f32 = Type::getFloatTy(ctx);
    i64 = Type::getInt64Ty(ctx);
    vec = FixedVectorType::get(f32, shape.vectorWidth);
    zero = ConstantFP::get(vec, 0.0);
  }

  Function *emit(unsigned rows, bool masked, const std::string &name);

private:
  using Tile = SmallVector<Value *, 32>;

  Value *idx(int64_t value) { return ConstantInt::get(i64, value); }
  /// One k step at index `p`: acc[r][v] += a[p][r] * b[p][v]; B's vectors
  /// are loaded under `masks` when there are any.
  void step(Value *a, Value *b, Value *ldb, Value *p, unsigned rows,
            ArrayRef<Value *> masks, Tile &acc);

  Module &module;
  LLVMContext &ctx;
  TileShape shape;
  IRBuilder<> builder;
  Type *f32, *i64;
  FixedVectorType *vec;
  Constant *zero;
};

void KernelEmitter::step(Value *a, Value *b, Value *ldb, Value *p,
                         unsigned rows, ArrayRef<Value *> masks, Tile &acc) {
  Value *bRow = builder.CreateInBoundsGEP(
      f32, b, builder.CreateMul(p, ldb, "", true, true));
  SmallVector<Value *, 4> bv;
  for (unsigned v = 0; v < shape.vectors; ++v) {
    Value *where =
        builder.CreateConstInBoundsGEP1_64(f32, bRow, v * shape.vectorWidth);
    if (masks.empty())
      bv.push_back(builder.CreateAlignedLoad(vec, where, Align(4)));
    else
      bv.push_back(
          builder.CreateMaskedLoad(vec, where, Align(4), masks[v], zero));
  }
  Value *aRow = builder.CreateInBoundsGEP(
      f32, a, builder.CreateMul(p, idx(shape.rows), "", true, true));
  for (unsigned r = 0; r < rows; ++r) {
    Value *s = builder.CreateAlignedLoad(
        f32, builder.CreateConstInBoundsGEP1_64(f32, aRow, r), Align(4));
    Value *splat = builder.CreateVectorSplat(shape.vectorWidth, s);
    for (unsigned v = 0; v < shape.vectors; ++v) {
      Value *&x = acc[r * shape.vectors + v];
      if (shape.fma)
        x = builder.CreateIntrinsic(Intrinsic::fma, {vec}, {splat, bv[v], x});
      else
        x = builder.CreateFAdd(x, builder.CreateFMul(splat, bv[v]));
    }
  }
}

Function *KernelEmitter::emit(unsigned rows, bool masked,
                              const std::string &name) {
  Type *ptr = PointerType::getUnqual(ctx);
  FunctionType *type = FunctionType::get(
      Type::getVoidTy(ctx), {i64, ptr, ptr, i64, ptr, i64, i64, i64}, false);
  Function *fn =
      Function::Create(type, GlobalValue::ExternalLinkage, name, module);
  fn->addFnAttr(Attribute::NoUnwind);
  fn->addFnAttr(Attribute::NoFree);
  // Without this, targets that prefer 256-bit vectors (Skylake-X and later)
  // would split every 512-bit operation in two.
  std::string width = std::to_string(shape.vectorWidth * 32);
  fn->addFnAttr("min-legal-vector-width", width);
  fn->addFnAttr("prefer-vector-width", width);
  for (unsigned i : {1, 2, 4}) {
    fn->addParamAttr(i, Attribute::NoAlias);
    fn->addParamAttr(i, Attribute::NoCapture);
  }
  fn->addParamAttr(1, Attribute::ReadOnly);
  fn->addParamAttr(2, Attribute::ReadOnly);
  Value *k = fn->getArg(0), *a = fn->getArg(1), *b = fn->getArg(2),
        *ldb = fn->getArg(3), *c = fn->getArg(4), *ldc = fn->getArg(5),
        *nCols = fn->getArg(6), *accumulate = fn->getArg(7);

  BasicBlock *entry = BasicBlock::Create(ctx, "entry", fn);
  BasicBlock *mainCond = BasicBlock::Create(ctx, "main.cond", fn);
  BasicBlock *mainBody = BasicBlock::Create(ctx, "main.body", fn);
  BasicBlock *remCond = BasicBlock::Create(ctx, "rem.cond", fn);
  BasicBlock *remBody = BasicBlock::Create(ctx, "rem.body", fn);
  BasicBlock *exit = BasicBlock::Create(ctx, "exit", fn);
  BasicBlock *storeAdd = BasicBlock::Create(ctx, "store.add", fn);
  BasicBlock *storeSet = BasicBlock::Create(ctx, "store.set", fn);
  unsigned count = rows * shape.vectors;

  // entry: prefetch the C tile for writing; split k into the unrolled part
  // and the rest.
  builder.SetInsertPoint(entry);
  SmallVector<Value *, 16> rowPtrs;
  for (unsigned r = 0; r < rows; ++r) {
    Value *rowPtr = builder.CreateInBoundsGEP(
        f32, c, builder.CreateMul(ldc, idx(r), "", true, true));
    rowPtrs.push_back(rowPtr);
    for (unsigned v = 0; v < shape.vectors; ++v) {
      if (masked && v > 0)
        break;
      builder.CreateIntrinsic(
          Intrinsic::prefetch, {ptr},
          {builder.CreateConstInBoundsGEP1_64(f32, rowPtr,
                                              v * shape.vectorWidth),
           builder.getInt32(1), builder.getInt32(3), builder.getInt32(1)});
    }
  }
  Value *mainEnd = builder.CreateAnd(k, idx(-int64_t(shape.unroll)));
  // Lane masks of the columns below nCols, for B's loads and C's.
  SmallVector<Value *, 4> masks;
  if (masked) {
    SmallVector<Constant *, 16> lanes;
    for (unsigned l = 0; l < shape.vectorWidth; ++l)
      lanes.push_back(ConstantInt::get(i64, l));
    Value *laneIds = ConstantVector::get(lanes);
    Value *limit = builder.CreateVectorSplat(shape.vectorWidth, nCols);
    for (unsigned v = 0; v < shape.vectors; ++v)
      masks.push_back(builder.CreateICmpSLT(
          builder.CreateAdd(
              laneIds, builder.CreateVectorSplat(shape.vectorWidth,
                                                 idx(v * shape.vectorWidth))),
          limit));
  }
  builder.CreateBr(mainCond);

  // main.cond / main.body: `unroll` k steps per iteration.
  builder.SetInsertPoint(mainCond);
  PHINode *i = builder.CreatePHI(i64, 2, "i");
  Tile accMain;
  for (unsigned t = 0; t < count; ++t) {
    PHINode *phi = builder.CreatePHI(vec, 2);
    phi->addIncoming(zero, entry);
    accMain.push_back(phi);
  }
  i->addIncoming(idx(0), entry);
  builder.CreateCondBr(builder.CreateICmpSLT(i, mainEnd), mainBody, remCond);

  builder.SetInsertPoint(mainBody);
  Tile acc = accMain;
  for (unsigned u = 0; u < shape.unroll; ++u)
    step(a, b, ldb, builder.CreateAdd(i, idx(u), "", true, true), rows, masks,
         acc);
  i->addIncoming(builder.CreateAdd(i, idx(shape.unroll), "", true, true),
                 mainBody);
  for (unsigned t = 0; t < count; ++t)
    cast<PHINode>(accMain[t])->addIncoming(acc[t], mainBody);
  builder.CreateBr(mainCond);

  // rem.cond / rem.body: the last k % unroll steps, one at a time.
  builder.SetInsertPoint(remCond);
  PHINode *j = builder.CreatePHI(i64, 2, "j");
  j->addIncoming(i, mainCond);
  Tile accRem;
  for (unsigned t = 0; t < count; ++t) {
    PHINode *phi = builder.CreatePHI(vec, 2);
    phi->addIncoming(accMain[t], mainCond);
    accRem.push_back(phi);
  }
  builder.CreateCondBr(builder.CreateICmpSLT(j, k), remBody, exit);

  builder.SetInsertPoint(remBody);
  acc = accRem;
  step(a, b, ldb, j, rows, masks, acc);
  j->addIncoming(builder.CreateAdd(j, idx(1), "", true, true), remBody);
  for (unsigned t = 0; t < count; ++t)
    cast<PHINode>(accRem[t])->addIncoming(acc[t], remBody);
  builder.CreateBr(remCond);

  // exit: store the tile, adding to C or overwriting it.
  builder.SetInsertPoint(exit);
  builder.CreateCondBr(builder.CreateICmpNE(accumulate, idx(0)), storeAdd,
                       storeSet);
  for (bool add : {true, false}) {
    builder.SetInsertPoint(add ? storeAdd : storeSet);
    for (unsigned r = 0; r < rows; ++r) {
      for (unsigned v = 0; v < shape.vectors; ++v) {
        Value *where = builder.CreateConstInBoundsGEP1_64(
            f32, rowPtrs[r], v * shape.vectorWidth);
        Value *value = accRem[r * shape.vectors + v];
        if (masked) {
          if (add)
            value = builder.CreateFAdd(
                builder.CreateMaskedLoad(vec, where, Align(4), masks[v]),
                value);
          builder.CreateMaskedStore(value, where, Align(4), masks[v]);
          continue;
        }
        if (add)
          value = builder.CreateFAdd(
              builder.CreateAlignedLoad(vec, where, Align(4)), value);
        builder.CreateAlignedStore(value, where, Align(4));
      }
    }
    builder.CreateRetVoid();
  }
  return fn;
}

/// The host's features, with the ISAs above `isa` switched off.
std::vector<std::string> featuresFor(GemmIsa isa, const StringMap<bool> &host) {
  std::vector<std::string> features;
  for (const auto &feature : host)
    features.push_back((feature.second ? "+" : "-") + feature.first().str());
  if (isa == GemmIsa::Avx2)
    features.push_back("-avx512f");
  if (isa == GemmIsa::Sse)
    features.push_back("-avx");
  return features;
}

void initializeTarget() {
  static std::once_flag initOnce;
  std::call_once(initOnce, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
  });
}

bool hostHas(const StringMap<bool> &host, const char *feature) {
  auto it = host.find(feature);
  return it != host.end() && it->second;
}

/// The register tile of `isa` with `tuning`'s overrides, or an error.
bool tileFor(GemmIsa isa, const GemmTuning &tuning, bool x86, TileShape &shape,
             std::string &error) {
  shape = tileShapeFor(isa);
  if (tuning.rows > 0)
    shape.rows = tuning.rows;
  if (tuning.unroll > 0)
    shape.unroll = tuning.unroll;
  if (!x86)
    shape.name = "vec128";
  if (shape.rows > unsigned(kMaxMr) ||
      (shape.unroll & (shape.unroll - 1)) != 0) {
    error = "bad tuning: rows above " + std::to_string(kMaxMr) +
            " or an unroll that is not a power of two";
    return false;
  }
  return true;
}

/// A module with one function per row count and column form.
std::unique_ptr<Module> buildModule(LLVMContext &context, const TileShape &shape,
                                    const DataLayout &layout,
                                    const Triple &triple, std::string &error) {
  auto module = std::make_unique<Module>("nnc_gemm", context);
  module->setDataLayout(layout);
  module->setTargetTriple(triple.str());
  KernelEmitter emitter(*module, shape);
  for (unsigned rows = 1; rows <= shape.rows; ++rows)
    for (bool masked : {false, true})
      emitter.emit(rows, masked, microKernelSymbol(rows, masked));
  raw_string_ostream verifyStream(error);
  if (verifyModule(*module, &verifyStream)) {
    error = "invalid micro-kernel IR: " + error;
    return nullptr;
  }
  return module;
}

} // namespace

GemmIsa resolveHostIsa(GemmIsa isa) {
  if (isa != GemmIsa::Host)
    return isa;
  Triple triple(sys::getProcessTriple());
  StringMap<bool> host = sys::getHostCPUFeatures();
  return !triple.isX86()                               ? GemmIsa::Sse
         : hostHas(host, "avx512f")                    ? GemmIsa::Avx512
         : hostHas(host, "avx2") && hostHas(host, "fma") ? GemmIsa::Avx2
                                                         : GemmIsa::Sse;
}

bool jitMicroKernels(GemmIsa isa, const GemmTuning &tuning, MicroKernelSet &set,
                     std::shared_ptr<void> &owner, std::string &cpuName,
                     std::string *error) {
  auto fail = [&](const std::string &message) {
    if (error)
      *error = message;
    return false;
  };
  initializeTarget();
  Triple triple(sys::getProcessTriple());
  StringMap<bool> host = sys::getHostCPUFeatures();
  bool x86 = triple.isX86();
  isa = resolveHostIsa(isa);
  if (isa == GemmIsa::Portable)
    return fail("the portable kernels are not JIT-compiled");
  if (isa == GemmIsa::Avx512 && !(x86 && hostHas(host, "avx512f")))
    return fail("the host has no avx512f");
  if (isa == GemmIsa::Avx2 &&
      !(x86 && hostHas(host, "avx2") && hostHas(host, "fma")))
    return fail("the host has no avx2 and fma");

  TileShape shape;
  std::string message;
  if (!tileFor(isa, tuning, x86, shape, message))
    return fail(message);

  orc::JITTargetMachineBuilder machine(triple);
  cpuName = sys::getHostCPUName().str();
  machine.setCPU(cpuName);
  if (x86)
    machine.addFeatures(featuresFor(isa, host));
  machine.setCodeGenOptLevel(CodeGenOptLevel::Aggressive);

  auto jit = orc::LLJITBuilder().setJITTargetMachineBuilder(machine).create();
  if (!jit)
    return fail("cannot create the JIT: " + toString(jit.takeError()));

  auto context = std::make_unique<LLVMContext>();
  std::unique_ptr<Module> module =
      buildModule(*context, shape, (*jit)->getDataLayout(), triple, message);
  if (!module)
    return fail(message);
  if (Error e = (*jit)->addIRModule(
          orc::ThreadSafeModule(std::move(module), std::move(context))))
    return fail("cannot add the micro-kernels: " + toString(std::move(e)));
  for (unsigned rows = 1; rows <= shape.rows; ++rows) {
    for (bool masked : {false, true}) {
      auto symbol = (*jit)->lookup(microKernelSymbol(rows, masked));
      if (!symbol)
        return fail("cannot compile the micro-kernels: " +
                    toString(symbol.takeError()));
      (masked ? set.masked : set.full)[rows - 1] =
          symbol->toPtr<MicroKernelFn>();
    }
  }
  set.mr = shape.rows;
  set.nr = shape.vectorWidth * shape.vectors;
  cpuName = std::string(shape.name) + " (" + cpuName + ")";
  owner = std::shared_ptr<orc::LLJIT>(std::move(*jit));
  return true;
}

} // namespace nnc::cpu::detail

namespace nnc::cpu {

bool compileMicroKernelObject(GemmIsa isa, const std::string &cpu,
                              const std::vector<std::string> &features,
                              MicroKernelObject &result, std::string *error) {
  using namespace detail;
  auto fail = [&](const std::string &message) {
    if (error)
      *error = message;
    return false;
  };
  if (isa == GemmIsa::Host || isa == GemmIsa::Portable)
    return fail("micro-kernel objects need an explicit ISA");
  initializeTarget();
  Triple triple(sys::getProcessTriple());
  TileShape shape;
  std::string message;
  if (!tileFor(isa, GemmTuning(), triple.isX86(), shape, message))
    return fail(message);
  std::string lookupError;
  const Target *target =
      TargetRegistry::lookupTarget(triple.str(), lookupError);
  if (!target)
    return fail("no LLVM target for " + triple.str() + ": " + lookupError);
  std::string featureText = join(features, ",");
  TargetOptions options;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple.str(), cpu, featureText, options, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!machine)
    return fail("cannot make a target machine for " + cpu);
  LLVMContext context;
  std::unique_ptr<Module> module = buildModule(
      context, shape, machine->createDataLayout(), triple, message);
  if (!module)
    return fail(message);
  {
    raw_string_ostream os(result.object);
    buffer_ostream stream(os);
    legacy::PassManager passes;
    if (machine->addPassesToEmitFile(passes, stream, nullptr,
                                     CodeGenFileType::ObjectFile))
      return fail("the target cannot emit object files");
    passes.run(*module);
  }
  result.isa = shape.name;
  result.mr = int(shape.rows);
  result.nr = int(shape.vectorWidth * shape.vectors);
  return true;
}

GemmIsa hostGemmIsa() { return detail::resolveHostIsa(GemmIsa::Host); }

} // namespace nnc::cpu
