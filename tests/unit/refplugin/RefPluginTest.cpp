//===- RefPluginTest.cpp - The ref plugin's table, statuses, messages -----===//
//
// The conformance suite checks what every backend must do; these tests pin
// what the ref plugin promises on top: every op of the dialect, and which
// status and message each kind of failure gets.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/KernelModule.h"
#include "tests/conformance/PluginUnderTest.h"

#include "ir/NNDialect.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace nnc;
using namespace nnc::conformance;

namespace {

/// MLIR bytecode of `text`, for graphs buildKernelModule refuses.
std::string bytecodeOf(const std::string &text) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text,
                                              mlir::ParserConfig(&context));
  EXPECT_TRUE(module) << "bad test graph";
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (module)
    EXPECT_TRUE(mlir::succeeded(mlir::writeBytecodeToFile(*module, os)));
  os.flush();
  return bytes;
}

class RefPluginTest : public ::testing::Test {
protected:
  void SetUp() override {
    rt::Expected<const PluginUnderTest *> loaded = loadPlugin(NNC_REF_PLUGIN);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    plugin = *loaded;
  }

  /// Compiles `bytes`; returns the status and sets `message`.
  nnc_status compile(const std::string &bytes, std::string &message,
                     nnc_executable **executable = nullptr) {
    nnc_compile_args args;
    std::memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.bytecode = bytes.data();
    args.bytecode_size = bytes.size();
    nnc_error *error = nullptr;
    nnc_status status = plugin->api->compile(&args, &error);
    message = error ? plugin->api->error_message(error) : "";
    if (error)
      plugin->api->error_destroy(error);
    if (executable)
      *executable = args.executable;
    else if (args.executable)
      plugin->api->executable_destroy(args.executable);
    return status;
  }

  /// Compiles the MLIR text `graph`.
  nnc_status compileText(const std::string &graph, std::string &message,
                         nnc_executable **executable = nullptr) {
    rt::Expected<KernelModule> module = buildKernelModule(graph);
    EXPECT_TRUE(module.ok()) << module.message();
    if (!module.ok())
      return NNC_ERROR;
    return compile(module->bytecode, message, executable);
  }

  const PluginUnderTest *plugin = nullptr;
};

TEST_F(RefPluginTest, TableDescribesTheOracle) {
  EXPECT_STREQ(plugin->api->name, "ref");
  EXPECT_STREQ(plugin->api->description,
               "reference interpreter: the correctness oracle");
  EXPECT_EQ(plugin->api->abi_major, 1u);
  EXPECT_EQ(plugin->api->abi_minor, 6u);
  // ABI 1.1: the serialize extension heads the chain (compiled artifacts);
  // ABI 1.4: the profile extension follows it.
  const nnc_extension_base *extension = plugin->api->extensions;
  ASSERT_NE(extension, nullptr);
  EXPECT_EQ(extension->type, static_cast<uint32_t>(NNC_EXTENSION_SERIALIZE));
  EXPECT_EQ(extension->struct_size, sizeof(nnc_serialize_extension));
  extension = extension->next;
  ASSERT_NE(extension, nullptr);
  EXPECT_EQ(extension->type, static_cast<uint32_t>(NNC_EXTENSION_PROFILE));
  EXPECT_EQ(extension->struct_size, sizeof(nnc_profile_extension));
  EXPECT_EQ(extension->next, nullptr);
}

TEST_F(RefPluginTest, ProfileExtensionDescribesEachKernel) {
  nnc_executable *executable = nullptr;
  std::string message;
  ASSERT_EQ(compileText(R"mlir(
    func.func @kernel_0(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>,
                        %c: tensor<4xf32>) -> tensor<2x4xf32> {
      %p = nn.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
      %s = nn.add %p, %c : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
      %r = nn.relu %s : tensor<2x4xf32>
      return %r : tensor<2x4xf32>
    }
    func.func @kernel_1(%a: tensor<3xf32>) -> tensor<3xf32> {
      %t = nn.tanh %a : tensor<3xf32>
      return %t : tensor<3xf32>
    })mlir",
                        message, &executable),
            NNC_OK)
      << message;
  const auto *profile = reinterpret_cast<const nnc_profile_extension *>(
      plugin->api->extensions->next);
  auto describe = [&](int64_t index, nnc_status expected) {
    nnc_kernel_description description;
    std::memset(&description, 0, sizeof(description));
    description.struct_size = sizeof(description);
    nnc_error *error = nullptr;
    EXPECT_EQ(profile->describe_kernel(executable, index, &description, &error),
              expected);
    if (error)
      plugin->api->error_destroy(error);
    return std::string(description.summary ? description.summary : "");
  };
  EXPECT_EQ(describe(0, NNC_OK),
            "interpreted: 3 steps (matmul, add, relu), 2 temporaries");
  EXPECT_EQ(describe(1, NNC_OK), "interpreted: 1 step (tanh), 0 temporaries");
  EXPECT_EQ(describe(2, NNC_ERROR), "");
  EXPECT_EQ(describe(-1, NNC_ERROR), "");
  plugin->api->executable_destroy(executable);
}

TEST_F(RefPluginTest, SupportsEveryOpOfTheDialect) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::vector<std::string> dialectOps;
  // nn.fusion and its terminator never reach a backend: the planner inlines
  // each group into a kernel function.
  for (mlir::RegisteredOperationName op : context.getRegisteredOperations())
    if (op.getDialectNamespace() == "nn" &&
        !op.hasTrait<mlir::OpTrait::IsIsolatedFromAbove>() &&
        !op.hasTrait<mlir::OpTrait::IsTerminator>())
      dialectOps.push_back(op.getStringRef().str());
  std::vector<std::string> supported = plugin->supportedOps;
  std::sort(dialectOps.begin(), dialectOps.end());
  std::sort(supported.begin(), supported.end());
  EXPECT_EQ(supported, dialectOps);
}

TEST_F(RefPluginTest, UnknownOpIsUnsupportedAndNamed) {
  std::string message;
  EXPECT_EQ(compileText(R"mlir(
    func.func @kernel_0(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = "test.frobnicate"(%x) : (tensor<2xf32>) -> tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir",
                        message),
            NNC_UNSUPPORTED);
  EXPECT_EQ(message,
            "op 'test.frobnicate' is not supported by the ref backend");
}

TEST_F(RefPluginTest, TextIsNotBytecode) {
  std::string message;
  EXPECT_EQ(compile("func.func @kernel_0() { return }", message), NNC_ERROR);
  EXPECT_EQ(message, "the graph is not MLIR bytecode");
}

TEST_F(RefPluginTest, FunctionsMustBeNamedKernels) {
  std::string message;
  EXPECT_EQ(compile(bytecodeOf(R"mlir(
    func.func @kernel_0(%x: tensor<2xf32>) -> tensor<2xf32> {
      return %x : tensor<2xf32>
    }
    func.func @kernel_2(%x: tensor<2xf32>) -> tensor<2xf32> {
      return %x : tensor<2xf32>
    })mlir"),
                    message),
            NNC_ERROR);
  EXPECT_EQ(message, "missing kernel function @kernel_1");
}

TEST_F(RefPluginTest, DynamicShapesAreAnError) {
  // The partitioner specialises the batch before any backend sees a graph.
  std::string message;
  EXPECT_EQ(compile(bytecodeOf(R"mlir(
    func.func @kernel_0(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
      %y = nn.neg %x : tensor<?x2xf32>
      return %y : tensor<?x2xf32>
    })mlir"),
                    message),
            NNC_ERROR);
  // Prefixed with the op's location ("file:line:col: "), which is the
  // model source when the graph came from the frontend.
  EXPECT_NE(message.find("ref backend needs static ranked tensors, got "
                         "'tensor<?x2xf32>'"),
            std::string::npos)
      << message;
}

TEST_F(RefPluginTest, KernelErrorsNameTheKernelAndOp) {
  nnc_executable *executable = nullptr;
  std::string message;
  ASSERT_EQ(compileText(R"mlir(
    func.func @kernel_0(%t: tensor<3xf32>, %i: tensor<1xi32>) -> tensor<1xf32> {
      %e = nn.gather %t, %i : tensor<3xf32>, tensor<1xi32> -> tensor<1xf32>
      return %e : tensor<1xf32>
    })mlir",
                        message, &executable),
            NNC_OK)
      << message;
  nnc_kernel_info info;
  std::memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  nnc_error *error = nullptr;
  ASSERT_EQ(plugin->api->get_kernel(executable, 0, &info, &error), NNC_OK);
  EXPECT_EQ(info.range, 1);

  float table[3] = {1, 2, 3};
  int32_t index[1] = {3};
  float out[1] = {0};
  void *buffers[3] = {table, index, out};
  ASSERT_EQ(info.fn(info.state, buffers, 0, 1, &error), NNC_ERROR);
  ASSERT_NE(error, nullptr);
  std::string text = plugin->api->error_message(error);
  plugin->api->error_destroy(error);
  EXPECT_EQ(text.rfind("kernel_0: gather: ", 0), 0u) << text;

  // An empty range does nothing; a range beyond [0, 1) is refused.
  index[0] = 1;
  EXPECT_EQ(info.fn(info.state, buffers, 0, 0, &error), NNC_OK);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(info.fn(info.state, buffers, 0, 2, &error), NNC_ERROR);
  if (error)
    plugin->api->error_destroy(error);
  EXPECT_EQ(info.fn(info.state, buffers, 0, 1, &error), NNC_OK);
  EXPECT_EQ(out[0], 2);
  plugin->api->executable_destroy(executable);
}

} // namespace
