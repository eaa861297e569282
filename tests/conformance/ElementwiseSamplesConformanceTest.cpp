//===- ElementwiseSamplesConformanceTest.cpp - Every elementwise op -------===//
//
// Every op the dialect declares elementwise, found through ir/NNOpFacts.h
// rather than a list here, computes the closed-form values its ODS
// declaration gives (nnSamples) on every backend that lists it. A backend
// that lists every compiled op but lacks an op's lowering fails here, by
// the op's name, so no op can be declared elementwise and silently left out
// of a backend.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include "ir/NNOpFacts.h"

using namespace nnc::conformance;

namespace {

/// The kernel applying `op` to tensors of `type`, `arity` of them.
std::string elementwiseGraph(const std::string &op, int arity,
                             const std::string &type) {
  if (arity == 1)
    return "func.func @kernel_0(%x: " + type + ") -> " + type + " {\n" +
           "  %y = " + op + " %x : " + type + "\n  return %y : " + type + "\n}";
  return "func.func @kernel_0(%a: " + type + ", %b: " + type + ") -> " + type +
         " {\n  %r = " + op + " %a, %b : " + type + ", " + type + " -> " +
         type + "\n  return %r : " + type + "\n}";
}

} // namespace

TEST_P(BackendConformance, EveryElementwiseOpMatchesItsSamples) {
  int checked = 0;
  for (const nnc::nn::OpFacts &facts : nnc::nn::allOpFacts()) {
    if (facts.elementwiseArity == 0)
      continue;
    SCOPED_TRACE(facts.name);
    auto samples = facts.sampleValues();
    ASSERT_FALSE(samples.empty()) << facts.name << " declares no samples";
    int64_t n = static_cast<int64_t>(samples.size());
    std::vector<std::vector<float>> operands(facts.elementwiseArity);
    std::vector<double> expected;
    for (const nnc::nn::OpSample &sample : samples) {
      for (int i = 0; i < facts.elementwiseArity; ++i)
        operands[i].push_back(static_cast<float>(sample.operands[i]));
      expected.push_back(sample.result);
    }
    std::vector<TensorData> inputs;
    for (const std::vector<float> &values : operands)
      inputs.push_back(f32({n}, values));
    std::string type = "tensor<" + std::to_string(n) + "xf32>";
    KernelRun out =
        run(elementwiseGraph(facts.name, facts.elementwiseArity, type), inputs);
    if (IsSkipped())
      return;
    if (!out)
      continue;
    expectClose(out[0], {n}, expected);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}
