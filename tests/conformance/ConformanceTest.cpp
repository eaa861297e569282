//===- ConformanceTest.cpp - The backend conformance fixture --------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>
#include <cstring>
#include <memory>

using namespace nnc;
using namespace nnc::conformance;

namespace {

/// Takes ownership of a plugin error: its message, then destroys it.
std::string takeMessage(const nnc_plugin_api &api, nnc_error *error) {
  if (!error)
    return "";
  const char *text = api.error_message(error);
  std::string message = text ? text : "";
  api.error_destroy(error);
  return message;
}

/// Destroys an executable through the table that made it.
struct ExecutableDeleter {
  const nnc_plugin_api *api;
  void operator()(nnc_executable *executable) const {
    api->executable_destroy(executable);
  }
};
using ExecutablePtr = std::unique_ptr<nnc_executable, ExecutableDeleter>;

bool sameType(const Tensor &tensor, const BufferType &type) {
  return tensor.dtype() == type.dtype && tensor.shape() == type.shape;
}

} // namespace

void BackendConformance::SetUp() {
  rt::Expected<const PluginUnderTest *> plugin = loadPlugin(GetParam());
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  loaded = *plugin;
}

void BackendConformance::skipUnlessSupported(const KernelModule &module) {
  for (const std::string &op : module.opNames)
    if (!plugin().supports(op))
      GTEST_SKIP() << "unsupported by " << plugin().name << ": " << op;
}

CompileOutcome BackendConformance::compileBytes(const std::string &bytes) {
  nnc_compile_args args;
  std::memset(&args, 0, sizeof(args));
  args.struct_size = sizeof(args);
  args.bytecode = bytes.data();
  args.bytecode_size = bytes.size();
  nnc_error *error = nullptr;
  CompileOutcome outcome;
  outcome.status = api().compile(&args, &error);
  outcome.message = takeMessage(api(), error);
  outcome.numKernels = args.num_kernels;
  if (args.executable)
    api().executable_destroy(args.executable);
  return outcome;
}

KernelRun
BackendConformance::runAllowingError(const std::string &mlirText,
                                     const std::vector<TensorData> &data,
                                     const RunOptions &options) {
  KernelRun run;
  std::vector<Tensor> inputs;
  for (const TensorData &tensor : data) {
    rt::Expected<Tensor> input = Tensor::create(tensor.dtype, tensor.shape);
    if (!input || input->byteSize() != tensor.bytes.size()) {
      ADD_FAILURE() << "bad test input "
                    << rt::typeToString(tensor.dtype, tensor.shape) << ": "
                    << input.message();
      return run;
    }
    if (!tensor.bytes.empty())
      std::memcpy(input->rawData(), tensor.bytes.data(), tensor.bytes.size());
    inputs.push_back(std::move(input).value());
  }
  rt::Expected<KernelModule> module = buildKernelModule(mlirText);
  if (!module) {
    ADD_FAILURE() << "bad test graph: " << module.message();
    return run;
  }
  skipUnlessSupported(*module);
  if (IsSkipped())
    return run;

  const auto kernel = static_cast<size_t>(options.kernel);
  if (kernel >= module->kernels.size()) {
    ADD_FAILURE() << "test graph has no @kernel_" << options.kernel;
    return run;
  }
  const KernelSignature &signature = module->kernels[kernel];
  if (inputs.size() != signature.arguments.size()) {
    ADD_FAILURE() << "test passes " << inputs.size() << " inputs to a kernel "
                  << "of " << signature.arguments.size() << " arguments";
    return run;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!sameType(inputs[i], signature.arguments[i])) {
      ADD_FAILURE() << "test input " << i << " is "
                    << rt::typeToString(inputs[i].dtype(), inputs[i].shape())
                    << ", the kernel wants "
                    << rt::typeToString(signature.arguments[i].dtype,
                                        signature.arguments[i].shape);
      return run;
    }
  }

  // Compile.
  nnc_compile_args args;
  std::memset(&args, 0, sizeof(args));
  args.struct_size = sizeof(args);
  args.bytecode = module->bytecode.data();
  args.bytecode_size = module->bytecode.size();
  nnc_error *error = nullptr;
  nnc_status status = api().compile(&args, &error);
  std::string message = takeMessage(api(), error);
  ExecutablePtr executable(args.executable, ExecutableDeleter{&api()});
  if (status != NNC_OK) {
    ADD_FAILURE() << plugin().name << " failed to compile a graph of ops it "
                  << "supports (status " << status << "): " << message;
    return run;
  }
  if (!executable) {
    ADD_FAILURE() << "compile returned NNC_OK without an executable";
    return run;
  }
  EXPECT_EQ(args.num_kernels, static_cast<int64_t>(module->kernels.size()));

  nnc_kernel_info info;
  std::memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  status = api().get_kernel(executable.get(), options.kernel, &info, &error);
  message = takeMessage(api(), error);
  if (status != NNC_OK || !info.fn) {
    ADD_FAILURE() << "get_kernel(" << options.kernel << ") failed: " << message;
    return run;
  }
  if (info.range < 1 || info.min_grain < 1) {
    ADD_FAILURE() << "kernel range " << info.range << " and min_grain "
                  << info.min_grain << " must be at least 1";
    return run;
  }

  // Buffers: the arguments, then the results (fresh, or an argument's
  // buffer when the case runs in place).
  std::vector<void *> buffers;
  for (Tensor &input : inputs)
    buffers.push_back(input.rawData());
  std::vector<Tensor> outputs;
  for (const BufferType &type : signature.results) {
    rt::Expected<Tensor> output = Tensor::create(type.dtype, type.shape);
    if (!output) {
      ADD_FAILURE() << output.message();
      return run;
    }
    // Garbage in the outputs, so a kernel that skips an element is caught.
    if (output->byteSize() > 0)
      std::memset(output->rawData(), 0x7f, output->byteSize());
    buffers.push_back(output->rawData());
    outputs.push_back(std::move(output).value());
  }
  for (auto [result, argument] : options.resultIntoArgument)
    buffers[inputs.size() + result] = inputs.at(argument).rawData();

  for (int64_t i = 0; i < info.range; ++i) {
    nnc_error *kernelError = nullptr;
    status = info.fn(info.state, buffers.data(), i, i + 1, &kernelError);
    std::string kernelMessage = takeMessage(api(), kernelError);
    if (status != NNC_OK) {
      run.state = KernelRun::State::KernelError;
      run.error = kernelMessage;
      if (status != NNC_ERROR)
        ADD_FAILURE() << "a kernel fails with NNC_ERROR, got status " << status;
      if (kernelMessage.empty())
        ADD_FAILURE() << "a failing kernel must say why";
      return run;
    }
  }

  for (auto [result, argument] : options.resultIntoArgument) {
    rt::Expected<Tensor> copy = inputs.at(argument).clone();
    if (!copy) {
      ADD_FAILURE() << copy.message();
      return run;
    }
    outputs.at(result) = std::move(copy).value();
  }
  run.state = KernelRun::State::Ok;
  run.outputs = std::move(outputs);
  return run;
}

KernelRun BackendConformance::run(const std::string &mlirText,
                                  const std::vector<TensorData> &inputs,
                                  const RunOptions &options) {
  KernelRun result = runAllowingError(mlirText, inputs, options);
  if (result.state == KernelRun::State::KernelError) {
    ADD_FAILURE() << "kernel failed: " << result.error;
    result.state = KernelRun::State::NotRun;
  }
  return result;
}

namespace {
template <typename T>
TensorData tensorData(Shape shape, const std::vector<T> &values) {
  TensorData data;
  data.dtype = rt::dtypeOf<T>();
  data.shape = std::move(shape);
  EXPECT_EQ(rt::elementCount(data.shape), static_cast<int64_t>(values.size()))
      << "value count does not match the shape "
      << rt::shapeToString(data.shape);
  data.bytes.resize(values.size() * sizeof(T));
  if (!values.empty())
    std::memcpy(data.bytes.data(), values.data(), data.bytes.size());
  return data;
}
} // namespace

TensorData nnc::conformance::f32(Shape shape,
                                 const std::vector<float> &values) {
  return tensorData(std::move(shape), values);
}

TensorData nnc::conformance::f64(Shape shape,
                                 const std::vector<double> &values) {
  return tensorData(std::move(shape), values);
}

TensorData nnc::conformance::i32(Shape shape,
                                 const std::vector<int32_t> &values) {
  return tensorData(std::move(shape), values);
}

TensorData nnc::conformance::i64(Shape shape,
                                 const std::vector<int64_t> &values) {
  return tensorData(std::move(shape), values);
}

std::vector<double> nnc::conformance::valuesOf(const Tensor &tensor) {
  std::vector<double> values;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    if (tensor.dtype() == DType::F32)
      values.push_back(tensor.at<float>(i));
    else if (tensor.dtype() == DType::F64)
      values.push_back(tensor.at<double>(i));
    else
      ADD_FAILURE() << "valuesOf wants a float tensor";
  }
  return values;
}

std::vector<float> nnc::conformance::everySixtyFourthOverPlusMinusTwelve() {
  std::vector<float> xs;
  for (int i = -768; i <= 768; ++i)
    xs.push_back(static_cast<float>(i) / 64);
  return xs;
}

void nnc::conformance::expectMapOf(
    const Tensor &actual, const std::vector<float> &xs,
    const std::function<double(double)> &expected,
    const std::function<double(double)> &tolerance) {
  std::vector<double> values = valuesOf(actual);
  ASSERT_EQ(values.size(), xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    double x = xs[i];
    EXPECT_NEAR(values[i], expected(x), tolerance(x)) << "at x = " << x;
  }
}

void nnc::conformance::expectClose(const Tensor &actual, const Shape &shape,
                                   const std::vector<double> &expected,
                                   double tolerance) {
  ASSERT_EQ(actual.shape(), shape);
  ASSERT_TRUE(rt::isFloat(actual.dtype())) << rt::dtypeName(actual.dtype());
  std::vector<double> values = valuesOf(actual);
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(values[i])) << "element " << i;
      continue;
    }
    EXPECT_NEAR(values[i], expected[i],
                tolerance * (1.0 + std::fabs(expected[i])))
        << "element " << i;
  }
}

void nnc::conformance::expectInts(const Tensor &actual, const Shape &shape,
                                  const std::vector<int64_t> &expected) {
  ASSERT_EQ(actual.shape(), shape);
  ASSERT_EQ(actual.numElements(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    auto index = static_cast<int64_t>(i);
    int64_t value = 0;
    if (actual.dtype() == DType::I32)
      value = actual.at<int32_t>(index);
    else if (actual.dtype() == DType::I64)
      value = actual.at<int64_t>(index);
    else
      FAIL() << "expectInts wants an i32 or i64 tensor";
    EXPECT_EQ(value, expected[i]) << "element " << i;
  }
}

/// One instantiation per plugin file; names come from the file names.
INSTANTIATE_TEST_SUITE_P(Plugins, BackendConformance,
                         ::testing::ValuesIn(findPluginPaths()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return pluginLabel(info.param);
                         });
// A build without plugins has nothing to instantiate; that is not an error.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendConformance);
