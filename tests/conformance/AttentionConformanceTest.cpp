//===- AttentionConformanceTest.cpp - scaled_dot_product_attention --------===//
//
// scaled_dot_product_attention and its gradient: a closed form (queries of
// zeros attend uniformly, so each output is a mean of value rows), and the
// definition in double precision at sizes around and across the cpu
// kernels' blocks, with and without a causal triangle or a mask that hides
// every key of some queries. The forward and the gradient run as separate
// kernels, as the planner makes them; the f64 cases run the same graphs in
// double precision.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>
#include <limits>

using namespace nnc;
using namespace nnc::conformance;

namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

/// One problem: `heads` independent heads of q [t, d], k [s, d], v [s, dv],
/// an optional additive mask [t, s] shared by every head.
struct Problem {
  int64_t heads = 1, queries = 1, keys = 1, depth = 1, valueDepth = 1;
  bool causal = false;
  std::vector<double> mask; // empty: none
};

/// Deterministic, irregular values in [-1.5, 1.5].
std::vector<double> wave(size_t count, double phase) {
  std::vector<double> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = 1.5 * std::sin(0.61 * double(i) + phase) *
                std::cos(0.17 * double(i * i) + phase);
  return values;
}

/// The forward result and the gradients of sum(out * dout), straight from
/// the definitions: whole score matrices, softmax rows, then the chain rule
/// through them.
struct Truth {
  std::vector<double> out, dq, dk, dv;
};

Truth truthOf(const Problem &p, const std::vector<double> &q,
              const std::vector<double> &k, const std::vector<double> &v,
              const std::vector<double> &dout) {
  int64_t t = p.queries, s = p.keys, d = p.depth, dv = p.valueDepth;
  double scale = 1 / std::sqrt(double(d));
  Truth r;
  r.out.assign(size_t(p.heads * t * dv), 0);
  r.dq.assign(q.size(), 0);
  r.dk.assign(k.size(), 0);
  r.dv.assign(v.size(), 0);
  for (int64_t h = 0; h < p.heads; ++h) {
    auto Q = [&](int64_t i, int64_t c) {
      return q[size_t((h * t + i) * d + c)];
    };
    auto K = [&](int64_t j, int64_t c) {
      return k[size_t((h * s + j) * d + c)];
    };
    auto V = [&](int64_t j, int64_t c) {
      return v[size_t((h * s + j) * dv + c)];
    };
    auto G = [&](int64_t i, int64_t c) {
      return dout[size_t((h * t + i) * dv + c)];
    };
    for (int64_t i = 0; i < t; ++i) {
      std::vector<double> prob(size_t(s), kMinusInf);
      double max = kMinusInf;
      for (int64_t j = 0; j < s; ++j) {
        if (p.causal && j > i)
          continue;
        double dot = 0;
        for (int64_t c = 0; c < d; ++c)
          dot += Q(i, c) * K(j, c);
        prob[size_t(j)] =
            scale * dot + (p.mask.empty() ? 0 : p.mask[size_t(i * s + j)]);
        max = std::max(max, prob[size_t(j)]);
      }
      if (max == kMinusInf)
        continue; // every key hidden: out 0, no gradient
      double sum = 0;
      for (double &x : prob)
        sum += x = std::exp(x - max);
      for (double &x : prob)
        x /= sum;
      for (int64_t c = 0; c < dv; ++c)
        for (int64_t j = 0; j < s; ++j)
          r.out[size_t((h * t + i) * dv + c)] += prob[size_t(j)] * V(j, c);
      // dP_j = dout_i . v_j; dS_j = P_j (dP_j - sum_l P_l dP_l).
      std::vector<double> dp(size_t(s), 0);
      double weighted = 0;
      for (int64_t j = 0; j < s; ++j) {
        for (int64_t c = 0; c < dv; ++c)
          dp[size_t(j)] += G(i, c) * V(j, c);
        weighted += prob[size_t(j)] * dp[size_t(j)];
      }
      for (int64_t j = 0; j < s; ++j) {
        double ds = prob[size_t(j)] * (dp[size_t(j)] - weighted) * scale;
        for (int64_t c = 0; c < d; ++c) {
          r.dq[size_t((h * t + i) * d + c)] += ds * K(j, c);
          r.dk[size_t((h * s + j) * d + c)] += ds * Q(i, c);
        }
        for (int64_t c = 0; c < dv; ++c)
          r.dv[size_t((h * s + j) * dv + c)] += prob[size_t(j)] * G(i, c);
      }
    }
  }
  return r;
}

std::string dims(std::initializer_list<int64_t> extents, const char *element) {
  std::string text = "tensor<";
  for (int64_t e : extents)
    text += std::to_string(e) + "x";
  return text + element + ">";
}

/// Kernel 0: the forward op; kernel 1: its gradient, alone.
std::string attentionGraph(const Problem &p, const char *element) {
  std::string q = dims({p.heads, p.queries, p.depth}, element);
  std::string k = dims({p.heads, p.keys, p.depth}, element);
  std::string v = dims({p.heads, p.keys, p.valueDepth}, element);
  std::string o = dims({p.heads, p.queries, p.valueDepth}, element);
  std::string m = dims({p.queries, p.keys}, element);
  bool masked = !p.mask.empty();
  std::string maskArg = masked ? ", %m: " + m : "";
  std::string maskUse = masked ? ", %m" : "";
  std::string maskType = masked ? ", " + m : "";
  std::string causal = p.causal ? " causal true" : "";
  return "func.func @kernel_0(%q: " + q + ", %k: " + k + ", %v: " + v +
         maskArg + ") -> " + o +
         " {\n  %y = nn.scaled_dot_product_attention %q, %k, %v" + maskUse +
         causal + " : " + q + ", " + k + ", " + v + maskType + " -> " + o +
         "\n  return %y : " + o + "\n}\nfunc.func @kernel_1(%q: " + q +
         ", %k: " + k + ", %v: " + v + ", %y: " + o + ", %dy: " + o + maskArg +
         ") -> (" + q + ", " + k + ", " + v +
         ") {\n  %dq, %dk, %dv = nn.scaled_dot_product_attention_grad %q, %k, "
         "%v, %y, %dy" +
         maskUse + causal + " : " + q + ", " + k + ", " + v + ", " + o + ", " +
         o + maskType + "\n  return %dq, %dk, %dv : " + q + ", " + k + ", " +
         v + "\n}";
}

TensorData tensorOf(bool f64Data, Shape shape,
                    const std::vector<double> &values) {
  if (f64Data)
    return f64(std::move(shape), values);
  return f32(std::move(shape),
             std::vector<float>(values.begin(), values.end()));
}

} // namespace

TEST_P(BackendConformance, AttentionWithZeroQueriesAveragesValues) {
  // Every score is 0: each query weighs the keys it sees alike, so out is
  // the mean of v's rows, or with `causal`, of the first i + 1 of them.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%q: tensor<1x3x2xf32>, %k: tensor<1x3x2xf32>, %v: tensor<1x3x1xf32>) -> (tensor<1x3x1xf32>, tensor<1x3x1xf32>) {
      %a = nn.scaled_dot_product_attention %q, %k, %v : tensor<1x3x2xf32>, tensor<1x3x2xf32>, tensor<1x3x1xf32> -> tensor<1x3x1xf32>
      %c = nn.scaled_dot_product_attention %q, %k, %v causal true : tensor<1x3x2xf32>, tensor<1x3x2xf32>, tensor<1x3x1xf32> -> tensor<1x3x1xf32>
      return %a, %c : tensor<1x3x1xf32>, tensor<1x3x1xf32>
    })mlir",
          {f32({1, 3, 2}, {0, 0, 0, 0, 0, 0}),
           f32({1, 3, 2}, {1, 2, 3, 4, 5, 6}), f32({1, 3, 1}, {3, 6, 12})});
  if (!out)
    return;
  expectClose(out[0], {1, 3, 1}, {7, 7, 7});
  expectClose(out[1], {1, 3, 1}, {3, 4.5, 7});
}

TEST_P(BackendConformance, AttentionMatchesItsDefinition) {
  // Query counts 1, 3, 17 and 127 (127: not a multiple of any block), keys
  // other than queries, values narrower than keys; with a causal triangle,
  // and with a mask that hides key 0 from every query and key 1 too from
  // query 0, so that with `causal` query 0 sees nothing (out 0, no
  // gradient).
  for (bool f64Data : {false, true})
    for (int64_t queries : {1, 3, 17, 127})
      for (int variant = 0; variant < 3; ++variant) {
        Problem p;
        p.heads = 3;
        p.queries = queries;
        p.keys = queries == 127 ? 127 : queries + 2;
        p.depth = 8;
        p.valueDepth = 5;
        p.causal = variant != 0;
        if (variant == 2) {
          p.mask.assign(size_t(p.queries * p.keys), 0.0);
          for (int64_t i = 0; i < p.queries; ++i)
            p.mask[size_t(i * p.keys)] = kMinusInf;
          if (p.keys > 1)
            p.mask[1] = kMinusInf;
        }
        SCOPED_TRACE(std::string(f64Data ? "f64" : "f32") + " queries " +
                     std::to_string(queries) + " variant " +
                     std::to_string(variant));
        auto values = [&](int64_t rows, int64_t cols, double phase) {
          return wave(size_t(p.heads * rows * cols), phase);
        };
        std::vector<double> q = values(p.queries, p.depth, 0.1),
                            k = values(p.keys, p.depth, 0.7),
                            v = values(p.keys, p.valueDepth, 1.3),
                            dout = values(p.queries, p.valueDepth, 2.1);
        Truth truth = truthOf(p, q, k, v, dout);
        const char *element = f64Data ? "f64" : "f32";
        std::string graph = attentionGraph(p, element);
        Shape qShape{p.heads, p.queries, p.depth},
            kShape{p.heads, p.keys, p.depth},
            vShape{p.heads, p.keys, p.valueDepth},
            oShape{p.heads, p.queries, p.valueDepth};
        std::vector<TensorData> inputs{tensorOf(f64Data, qShape, q),
                                       tensorOf(f64Data, kShape, k),
                                       tensorOf(f64Data, vShape, v)};
        std::optional<TensorData> mask;
        if (!p.mask.empty())
          mask = tensorOf(f64Data, {p.queries, p.keys}, p.mask);
        std::vector<TensorData> forwardInputs = inputs;
        if (mask)
          forwardInputs.push_back(*mask);
        KernelRun forward = run(graph, forwardInputs);
        if (!forward)
          return;
        expectClose(forward[0], oShape, truth.out, 1e-4);
        std::vector<TensorData> gradInputs = inputs;
        gradInputs.push_back(tensorOf(f64Data, oShape, truth.out));
        gradInputs.push_back(tensorOf(f64Data, oShape, dout));
        if (mask)
          gradInputs.push_back(*mask);
        RunOptions second;
        second.kernel = 1;
        KernelRun grad = run(graph, gradInputs, second);
        if (!grad)
          return;
        expectClose(grad[0], qShape, truth.dq, 1e-4);
        expectClose(grad[1], kShape, truth.dk, 1e-4);
        expectClose(grad[2], vShape, truth.dv, 1e-4);
      }
}
