//===- FusionEquivalenceTest.cpp - Fused and unfused steps agree ----------===//
//
// For every example model, the training step `nnc ir --stage train-step
// --batch 4` prints is compiled twice for the ref plugin, as it is and after
// nn-fuse, and run on the same seeded inputs. Fusion only regroups the same
// ops into fewer kernels, so every result (loss, outputs, updated
// parameters and state) must agree bitwise, or within 1e-6 where a backend
// evaluates a fused group differently. The test also checks that fusion
// removed kernels, and prints the counts.
//
//===----------------------------------------------------------------------===//

#include "driver/FunctionCompiler.h"
#include "ir/NNDialect.h"
#include "passes/Passes.h"
#include "runtime/PluginHost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace mlir;
using namespace nnc;
using mlir::ModuleOp;

namespace {

/// Standard output of `command`, or nothing if it fails.
std::optional<std::string> runCommand(const std::string &command) {
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    return std::nullopt;
  std::string output;
  char buffer[4096];
  size_t read;
  while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, read);
  if (pclose(pipe) != 0)
    return std::nullopt;
  return output;
}

/// A small deterministic generator (SplitMix64), so that both runs see the
/// same inputs on every platform.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

/// Fills `tensor`, bound to an argument of role `role`: labels 0 or 1 (a
/// class every classifier has), step 1, learning rate 0.01, data in [0, 1)
/// (valid probabilities and targets too), parameters and state in
/// [-0.5, 0.5).
void fill(rt::Tensor &tensor, rt::BindingRole role, SplitMix64 &random) {
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    double u = random.uniform();
    double value = role == rt::BindingRole::Lr      ? 0.01
                   : role == rt::BindingRole::Input ? u
                                                    : u - 0.5;
    switch (tensor.dtype()) {
    case rt::DType::F32:
      tensor.data<float>()[i] = static_cast<float>(value);
      break;
    case rt::DType::F64:
      tensor.data<double>()[i] = value;
      break;
    case rt::DType::I32:
      tensor.data<int32_t>()[i] =
          role == rt::BindingRole::Step ? 1 : (u < 0.5 ? 0 : 1);
      break;
    case rt::DType::I64:
      tensor.data<int64_t>()[i] =
          role == rt::BindingRole::Step ? 1 : (u < 0.5 ? 0 : 1);
      break;
    case rt::DType::U8:
      tensor.data<uint8_t>()[i] = u < 0.5 ? 0 : 1;
      break;
    }
  }
}

/// One compiled step, run once on inputs filled from `seed`.
struct StepRun {
  int64_t kernels = 0;
  std::vector<std::string> names;
  std::vector<rt::Tensor> results;
};

testing::AssertionResult compileAndRun(func::FuncOp step,
                                       const rt::LoadedPlugin &plugin,
                                       uint64_t seed, StepRun &run) {
  FailureOr<rt::Function> compiled = driver::compileFunction(step, plugin);
  if (failed(compiled))
    return testing::AssertionFailure() << "cannot compile @train_step";
  rt::Executor &executor = *compiled->executor;
  const rt::ExecutionPlan &plan = executor.plan();
  run.kernels = static_cast<int64_t>(plan.kernels.size());

  std::vector<rt::Tensor> inputs;
  std::vector<const void *> inputPointers;
  SplitMix64 random{seed};
  for (const rt::ExternalBinding &binding : plan.inputs) {
    const rt::PlanValue &value = plan.values[binding.value];
    rt::Expected<rt::Tensor> tensor =
        rt::Tensor::create(value.dtype, value.shape);
    if (!tensor.ok())
      return testing::AssertionFailure() << tensor.message();
    fill(*tensor, binding.role, random);
    inputs.push_back(std::move(*tensor));
    inputPointers.push_back(inputs.back().rawData());
  }
  std::vector<void *> outputPointers;
  run.results.reserve(plan.outputs.size());
  for (const rt::ExternalBinding &binding : plan.outputs) {
    const rt::PlanValue &value = plan.values[binding.value];
    rt::Expected<rt::Tensor> tensor =
        rt::Tensor::create(value.dtype, value.shape);
    if (!tensor.ok())
      return testing::AssertionFailure() << tensor.message();
    run.results.push_back(std::move(*tensor));
    run.names.push_back(binding.name);
    outputPointers.push_back(run.results.back().rawData());
  }
  if (rt::Error error = executor.run(inputPointers, outputPointers);
      !error.ok())
    return testing::AssertionFailure() << error.message();
  return testing::AssertionSuccess();
}

/// Element `i` of `tensor` as a double.
double elementAt(const rt::Tensor &tensor, int64_t i) {
  switch (tensor.dtype()) {
  case rt::DType::F32:
    return tensor.data<float>()[i];
  case rt::DType::F64:
    return tensor.data<double>()[i];
  case rt::DType::I32:
    return tensor.data<int32_t>()[i];
  case rt::DType::I64:
    return static_cast<double>(tensor.data<int64_t>()[i]);
  case rt::DType::U8:
    return tensor.data<uint8_t>()[i];
  }
  return 0;
}

class FusionEquivalenceTest : public testing::TestWithParam<const char *> {};

TEST_P(FusionEquivalenceTest, FusedTrainingStepMatchesUnfused) {
  std::string model = std::string(NNC_EXAMPLES_DIR) + "/" + GetParam() + ".nn";
  std::optional<std::string> text =
      runCommand(std::string(NNC_BINARY) +
                 " ir --stage train-step --batch 4 '" + model + "'");
  ASSERT_TRUE(text) << "nnc ir failed on " << model;

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> unfused = parseSourceString<ModuleOp>(*text, &context);
  ASSERT_TRUE(unfused) << "cannot parse the output of nnc ir";
  OwningOpRef<ModuleOp> fused = unfused->clone();
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(createFusionPass());
  ASSERT_TRUE(succeeded(pm.run(*fused)));

  // Loaded once for the process: unloading the plugin, which links MLIR,
  // and loading it again is not safe.
  static rt::Expected<rt::LoadedPlugin> plugin =
      rt::loadPlugin(std::string(NNC_PLUGIN_DIR) + "/libnnc_backend_ref.so");
  ASSERT_TRUE(plugin.ok()) << plugin.message();

  auto stepOf = [](ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>("train_step");
  };
  ASSERT_TRUE(stepOf(*unfused) && stepOf(*fused));
  StepRun before, after;
  ASSERT_TRUE(compileAndRun(stepOf(*unfused), *plugin, 42, before));
  ASSERT_TRUE(compileAndRun(stepOf(*fused), *plugin, 42, after));
  std::printf("[ fusion   ] %s train_step: %lld kernels unfused, %lld fused\n",
              GetParam(), static_cast<long long>(before.kernels),
              static_cast<long long>(after.kernels));
  EXPECT_LT(after.kernels, before.kernels);

  ASSERT_EQ(before.results.size(), after.results.size());
  for (size_t r = 0; r < before.results.size(); ++r) {
    const rt::Tensor &a = before.results[r];
    const rt::Tensor &b = after.results[r];
    ASSERT_EQ(a.numElements(), b.numElements()) << before.names[r];
    int64_t mismatches = 0;
    for (int64_t i = 0; i < a.numElements(); ++i) {
      double x = elementAt(a, i), y = elementAt(b, i);
      bool same = x == y || (std::isnan(x) && std::isnan(y)) ||
                  std::fabs(x - y) <= 1e-6;
      if (!same && mismatches++ < 3)
        ADD_FAILURE() << "result '" << before.names[r] << "' element " << i
                      << ": unfused " << x << ", fused " << y;
    }
    EXPECT_EQ(mismatches, 0) << "result '" << before.names[r] << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, FusionEquivalenceTest,
                         testing::Values("mlp_digits", "lenet", "resnet_mlp",
                                         "xor", "sine", "finetune_digits"));

} // namespace
