//===- ErrorConformanceTest.cpp - The plugin table and failure paths ------===//
//
// What every plugin must do whatever it supports: a well-formed table,
// clean refusals of graphs it cannot compile, and errors (never crashes)
// for bad input, bad indices and data-dependent kernel failures.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cstring>

using namespace nnc;
using namespace nnc::conformance;

TEST_P(BackendConformance, PluginTableIsWellFormed) {
  const nnc_plugin_api &table = api();
  EXPECT_GE(table.struct_size,
            NNC_STRUCT_SIZE_UNTIL(nnc_plugin_api, error_destroy));
  EXPECT_EQ(table.abi_major, static_cast<uint32_t>(NNC_PLUGIN_ABI_MAJOR));
  ASSERT_NE(table.name, nullptr);
  EXPECT_GT(std::strlen(table.name), 0u);
  EXPECT_NE(table.version, nullptr);
  EXPECT_NE(table.description, nullptr);
  ASSERT_NE(table.supported_ops, nullptr);
  for (const std::string &op : plugin().supportedOps)
    EXPECT_EQ(op.rfind("nn.", 0), 0u) << "not an nn op: " << op;
  EXPECT_NE(table.compile, nullptr);
  EXPECT_NE(table.get_kernel, nullptr);
  EXPECT_NE(table.executable_destroy, nullptr);
  EXPECT_NE(table.error_message, nullptr);
  EXPECT_NE(table.error_destroy, nullptr);
}

TEST_P(BackendConformance, RejectsUnsupportedGraphCleanly) {
  // No backend knows the `test` dialect; the plugin must refuse the graph
  // with a status and a message, not crash or claim success.
  rt::Expected<KernelModule> module = buildKernelModule(R"mlir(
    func.func @kernel_0(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = "test.frobnicate"(%x) : (tensor<2xf32>) -> tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir");
  ASSERT_TRUE(module.ok()) << module.message();
  CompileOutcome outcome = compileBytes(module->bytecode);
  EXPECT_TRUE(outcome.status == NNC_UNSUPPORTED || outcome.status == NNC_ERROR)
      << "status " << outcome.status;
  EXPECT_FALSE(outcome.message.empty());
}

TEST_P(BackendConformance, RejectsMalformedBytecodeCleanly) {
  rt::Expected<KernelModule> module = buildKernelModule(R"mlir(
    func.func @kernel_0(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = nn.neg %x : tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir");
  ASSERT_TRUE(module.ok()) << module.message();
  const std::string &bytecode = module->bytecode;
  // The bytecode magic followed by junk, a real module cut short, nothing.
  std::string magicThenJunk = std::string("ML\xefR", 4) + "\x01\xff\xff junk";
  for (const std::string &bytes :
       {magicThenJunk, bytecode.substr(0, bytecode.size() / 2),
        std::string()}) {
    CompileOutcome outcome = compileBytes(bytes);
    EXPECT_NE(outcome.status, NNC_OK) << bytes.size() << " bytes";
  }
}

TEST_P(BackendConformance, GetKernelOutOfRangeIsAnError) {
  rt::Expected<KernelModule> module = buildKernelModule(R"mlir(
    func.func @kernel_0(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = nn.neg %x : tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir");
  ASSERT_TRUE(module.ok()) << module.message();
  skipUnlessSupported(*module);
  if (IsSkipped())
    return;

  nnc_compile_args args;
  std::memset(&args, 0, sizeof(args));
  args.struct_size = sizeof(args);
  args.bytecode = module->bytecode.data();
  args.bytecode_size = module->bytecode.size();
  nnc_error *error = nullptr;
  ASSERT_EQ(api().compile(&args, &error), NNC_OK);
  ASSERT_NE(args.executable, nullptr);
  EXPECT_EQ(args.num_kernels, 1);

  for (int64_t index : {int64_t{-1}, int64_t{1}, int64_t{1} << 40}) {
    nnc_kernel_info info;
    std::memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    error = nullptr;
    EXPECT_NE(api().get_kernel(args.executable, index, &info, &error), NNC_OK)
        << "kernel " << index;
    if (error)
      api().error_destroy(error);
  }
  api().executable_destroy(args.executable);
}

TEST_P(BackendConformance, GatherOutOfRangeIsAKernelError) {
  KernelRun out =
      runAllowingError(R"mlir(
    func.func @kernel_0(%t: tensor<3x2xf32>, %i: tensor<2xi32>) -> tensor<2x2xf32> {
      %e = nn.gather %t, %i : tensor<3x2xf32>, tensor<2xi32> -> tensor<2x2xf32>
      return %e : tensor<2x2xf32>
    })mlir",
                       {f32({3, 2}, {0, 1, 2, 3, 4, 5}), i32({2}, {0, 3})});
  if (out.state == KernelRun::State::NotRun)
    return;
  EXPECT_EQ(out.state, KernelRun::State::KernelError);
}

TEST_P(BackendConformance, GatherNegativeIndexIsAKernelError) {
  KernelRun out = runAllowingError(R"mlir(
    func.func @kernel_0(%t: tensor<3xf32>, %i: tensor<1xi64>) -> tensor<1xf32> {
      %e = nn.gather %t, %i : tensor<3xf32>, tensor<1xi64> -> tensor<1xf32>
      return %e : tensor<1xf32>
    })mlir",
                                   {f32({3}, {0, 1, 2}), i64({1}, {-1})});
  if (out.state == KernelRun::State::NotRun)
    return;
  EXPECT_EQ(out.state, KernelRun::State::KernelError);
}
