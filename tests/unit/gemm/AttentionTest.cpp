//===- AttentionTest.cpp - Fused attention against naive double loops -----===//
//
// The forward and backward kernels of Attention.h against a plain
// double-precision attention (scores, softmax, output, and the closed-form
// gradients), whose gradients are in turn checked against central finite
// differences; plus the bitwise independence of how heads are split.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/Attention.h"
#include "backends/cpu/gemm/GemmJit.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

using namespace nnc::cpu;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// How the additive mask is laid out.
enum class MaskKind {
  None,
  /// [queries, keys] shared by all heads, random with some -inf entries and,
  /// with at least three queries, one fully masked row (queries / 2).
  Broadcast,
  /// [heads, keys] broadcast over queries: head h masks its last
  /// h * (keys / 2 + 1) keys, so head 0 masks none and head 2 all.
  KeyPadding,
  /// Broadcast's kind of values stored as [keys, queries] (column stride
  /// queries), which the kernels read with a stride.
  Transposed,
};

struct Size {
  int64_t heads, queries, keys, depth, valueDepth;
};

/// One attention problem with its operands and an output gradient.
struct Problem {
  AttentionShape shape;
  std::vector<float> q, k, v, mask, dout;

  const float *maskData() const { return mask.empty() ? nullptr : mask.data(); }
};

std::string describe(const Size &z, bool causal, MaskKind kind) {
  const char *masks[] = {"no mask", "broadcast mask", "key padding",
                         "transposed mask"};
  return std::to_string(z.heads) + "x" + std::to_string(z.queries) + "x" +
         std::to_string(z.keys) + " depth " + std::to_string(z.depth) + "/" +
         std::to_string(z.valueDepth) + (causal ? " causal " : " ") +
         masks[int(kind)];
}

float randomMaskValue(int64_t i, int64_t j, uint32_t seed) {
  if ((i * 31 + j * 17 + seed) % 5 == 0)
    return -kInf;
  return float((i * 7 + j * 13 + seed) % 11) / 5.0f - 1.0f;
}

Problem makeProblem(const Size &z, bool causal, MaskKind kind,
                    uint32_t seed = 1) {
  Problem p;
  AttentionShape &s = p.shape;
  s.heads = z.heads;
  s.queries = z.queries;
  s.keys = z.keys;
  s.depth = z.depth;
  s.valueDepth = z.valueDepth;
  s.scale = 1.0f / std::sqrt(float(z.depth));
  s.causal = causal;
  p.q = test_data::randomFloats(z.heads * z.queries * z.depth, seed);
  p.k = test_data::randomFloats(z.heads * z.keys * z.depth, seed + 1);
  p.v = test_data::randomFloats(z.heads * z.keys * z.valueDepth, seed + 2);
  p.dout =
      test_data::randomFloats(z.heads * z.queries * z.valueDepth, seed + 3);
  switch (kind) {
  case MaskKind::None:
    break;
  case MaskKind::Broadcast:
    p.mask.resize(size_t(z.queries * z.keys));
    for (int64_t i = 0; i < z.queries; ++i)
      for (int64_t j = 0; j < z.keys; ++j)
        p.mask[size_t(i * z.keys + j)] = z.queries >= 3 && i == z.queries / 2
                                             ? -kInf
                                             : randomMaskValue(i, j, seed);
    s.maskHeadOffset.assign(size_t(z.heads), 0);
    s.maskRowStride = z.keys;
    s.maskColumnStride = 1;
    break;
  case MaskKind::KeyPadding:
    p.mask.resize(size_t(z.heads * z.keys));
    for (int64_t h = 0; h < z.heads; ++h) {
      for (int64_t j = 0; j < z.keys; ++j)
        p.mask[size_t(h * z.keys + j)] =
            j >= z.keys - h * (z.keys / 2 + 1) ? -kInf : 0.0f;
      s.maskHeadOffset.push_back(h * z.keys);
    }
    s.maskRowStride = 0;
    s.maskColumnStride = 1;
    break;
  case MaskKind::Transposed:
    p.mask.resize(size_t(z.queries * z.keys));
    for (int64_t i = 0; i < z.queries; ++i)
      for (int64_t j = 0; j < z.keys; ++j)
        p.mask[size_t(j * z.queries + i)] = randomMaskValue(i, j, seed);
    s.maskHeadOffset.assign(size_t(z.heads), 0);
    s.maskRowStride = 1;
    s.maskColumnStride = z.queries;
    break;
  }
  return p;
}

/// The additive mask plus the causal rule at (h, i, j), as the header
/// defines them.
double maskAt(const Problem &p, int64_t h, int64_t i, int64_t j) {
  const AttentionShape &s = p.shape;
  if (s.causal && j > i)
    return -INFINITY;
  if (s.maskHeadOffset.empty())
    return 0.0;
  return p.mask[size_t(s.maskHeadOffset[size_t(h)] + i * s.maskRowStride +
                       j * s.maskColumnStride)];
}

/// Output and gradients of the naive attention, in double.
struct Reference {
  std::vector<double> out, dq, dk, dv;
};

/// Softmax attention row by row over double copies of q, k and v; the
/// backward pass by the closed forms dP = dout v^T, D = rowsum(P * dP),
/// dS = P * (dP - D), dq = scale dS k, dk = scale dS^T q, dv = P^T dout. A
/// row whose every score is -inf has P = 0.
Reference referenceAttention(const Problem &p, const std::vector<double> &q,
                             const std::vector<double> &k,
                             const std::vector<double> &v) {
  const AttentionShape &s = p.shape;
  const int64_t nq = s.queries, nk = s.keys, d = s.depth, dv = s.valueDepth;
  Reference r;
  r.out.assign(size_t(s.heads * nq * dv), 0.0);
  r.dq.assign(size_t(s.heads * nq * d), 0.0);
  r.dk.assign(size_t(s.heads * nk * d), 0.0);
  r.dv.assign(size_t(s.heads * nk * dv), 0.0);
  std::vector<double> prob(static_cast<size_t>(nk)),
      dprob(static_cast<size_t>(nk));
  for (int64_t h = 0; h < s.heads; ++h) {
    auto qAt = [&](int64_t i, int64_t c) {
      return q[size_t((h * nq + i) * d + c)];
    };
    auto kAt = [&](int64_t j, int64_t c) {
      return k[size_t((h * nk + j) * d + c)];
    };
    auto vAt = [&](int64_t j, int64_t c) {
      return v[size_t((h * nk + j) * dv + c)];
    };
    for (int64_t i = 0; i < nq; ++i) {
      double rowMax = -INFINITY;
      for (int64_t j = 0; j < nk; ++j) {
        double dot = 0.0;
        for (int64_t c = 0; c < d; ++c)
          dot += qAt(i, c) * kAt(j, c);
        prob[size_t(j)] = double(s.scale) * dot + maskAt(p, h, i, j);
        rowMax = std::max(rowMax, prob[size_t(j)]);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < nk; ++j) {
        prob[size_t(j)] =
            rowMax == -INFINITY ? 0.0 : std::exp(prob[size_t(j)] - rowMax);
        sum += prob[size_t(j)];
      }
      for (int64_t j = 0; j < nk; ++j)
        prob[size_t(j)] = sum > 0.0 ? prob[size_t(j)] / sum : 0.0;

      const float *g = p.dout.data() + (h * nq + i) * dv;
      double dotD = 0.0;
      for (int64_t j = 0; j < nk; ++j) {
        double dp = 0.0;
        for (int64_t c = 0; c < dv; ++c) {
          r.out[size_t((h * nq + i) * dv + c)] += prob[size_t(j)] * vAt(j, c);
          dp += double(g[c]) * vAt(j, c);
          r.dv[size_t((h * nk + j) * dv + c)] += prob[size_t(j)] * g[c];
        }
        dprob[size_t(j)] = dp;
        dotD += prob[size_t(j)] * dp;
      }
      for (int64_t j = 0; j < nk; ++j) {
        double ds =
            double(s.scale) * prob[size_t(j)] * (dprob[size_t(j)] - dotD);
        for (int64_t c = 0; c < d; ++c) {
          r.dq[size_t((h * nq + i) * d + c)] += ds * kAt(j, c);
          r.dk[size_t((h * nk + j) * d + c)] += ds * qAt(i, c);
        }
      }
    }
  }
  return r;
}

std::vector<double> toDouble(const std::vector<float> &x) {
  return std::vector<double>(x.begin(), x.end());
}

Reference referenceAttention(const Problem &p) {
  return referenceAttention(p, toDouble(p.q), toDouble(p.k), toDouble(p.v));
}

/// The kernels' output and gradients.
struct Result {
  std::vector<float> out, dq, dk, dv;
};

/// Runs forward then backward over the heads [headBegin, headEnd) into
/// `r`, whose arrays must already be sized.
void runHeads(const Problem &p, Result &r, int64_t headBegin, int64_t headEnd,
              const GemmKernels &kernels = hostGemm()) {
  attentionForward(kernels, p.shape, p.q.data(), p.k.data(), p.v.data(),
                   p.maskData(), r.out.data(), headBegin, headEnd);
  attentionBackward(kernels, p.shape, p.q.data(), p.k.data(), p.v.data(),
                    p.maskData(), r.out.data(), p.dout.data(), r.dq.data(),
                    r.dk.data(), r.dv.data(), headBegin, headEnd);
}

/// Result arrays for `p`, filled with NaN so that unwritten elements show.
Result sentinelResult(const Problem &p) {
  const AttentionShape &s = p.shape;
  float nan = std::numeric_limits<float>::quiet_NaN();
  Result r;
  r.out.assign(size_t(s.heads * s.queries * s.valueDepth), nan);
  r.dq.assign(size_t(s.heads * s.queries * s.depth), nan);
  r.dk.assign(size_t(s.heads * s.keys * s.depth), nan);
  r.dv.assign(size_t(s.heads * s.keys * s.valueDepth), nan);
  return r;
}

Result runAll(const Problem &p, const GemmKernels &kernels = hostGemm()) {
  Result r = sentinelResult(p);
  runHeads(p, r, 0, p.shape.heads, kernels);
  return r;
}

/// Every element within tolerance * (1 + |want|), and the largest error
/// within tolerance * the largest |want| (gradients spread over hundreds of
/// keys are small, and the first bound alone is loose there); NaN fails.
void expectClose(const std::vector<float> &got, const std::vector<double> &want,
                 const char *what, double tolerance = 1e-4) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double largestError = 0.0, largest = 0.0;
  int failures = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double error = std::fabs(got[i] - want[i]);
    largestError = std::max(largestError, error);
    largest = std::max(largest, std::fabs(want[i]));
    if (error <= tolerance * (1.0 + std::fabs(want[i])) || failures >= 5)
      continue;
    ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want "
                  << want[i];
    ++failures;
  }
  EXPECT_LE(largestError, tolerance * largest)
      << what << ": largest error against largest magnitude";
}

void checkAgainstReference(const Size &z, bool causal, MaskKind kind) {
  SCOPED_TRACE(describe(z, causal, kind));
  Problem p = makeProblem(z, causal, kind);
  Reference want = referenceAttention(p);
  Result got = runAll(p);
  expectClose(got.out, want.out, "out");
  expectClose(got.dq, want.dq, "dq");
  expectClose(got.dk, want.dk, "dk");
  expectClose(got.dv, want.dv, "dv");
}

TEST(AttentionTest, MatchesNaiveDouble) {
  const Size sizes[] = {{1, 1, 1, 1, 1},
                        {2, 3, 3, 4, 4},
                        {3, 17, 17, 8, 5},
                        {2, 127, 127, 32, 32},
                        {2, 17, 40, 16, 8},
                        {2, 40, 17, 8, 8},
                        {3, 64, 64, 32, 32},
                        {1, 130, 300, 8, 24},
                        // More than 512 keys: the backward pass recomputes the
                        // log-sum-exp over key blocks.
                        {3, 70, 600, 16, 8}};
  for (const Size &z : sizes)
    for (bool causal : {false, true})
      for (MaskKind kind : {MaskKind::None, MaskKind::Broadcast,
                            MaskKind::KeyPadding, MaskKind::Transposed})
        checkAgainstReference(z, causal, kind);
}

/// The kernels only call the GEMM, so any micro-kernel set serves.
TEST(AttentionTest, EveryGemmIsa) {
  for (GemmIsa isa : {GemmIsa::Avx2, GemmIsa::Sse, GemmIsa::Portable}) {
    std::shared_ptr<const GemmKernels> kernels =
        createGemmKernels(isa, nullptr);
    if (!kernels)
      continue; // The host cannot run this ISA.
    SCOPED_TRACE(gemmKernelsDescription(*kernels));
    Problem p = makeProblem({2, 17, 40, 16, 8}, true, MaskKind::Broadcast);
    Reference want = referenceAttention(p);
    Result got = runAll(p, *kernels);
    expectClose(got.out, want.out, "out");
    expectClose(got.dq, want.dq, "dq");
    expectClose(got.dk, want.dk, "dk");
    expectClose(got.dv, want.dv, "dv");
  }
}

/// Scores in the hundreds: exp must not overflow, and a later key block
/// with a larger max must rescale what the earlier ones accumulated.
TEST(AttentionTest, LargeScoresStayFinite) {
  for (bool causal : {false, true}) {
    Problem p = makeProblem({2, 20, 300, 8, 8}, causal, MaskKind::None);
    p.shape.scale = 30.0f;
    // Make the last keys the strongest, so the max grows block by block.
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t j = 250; j < 300; ++j)
        for (int64_t c = 0; c < 8; ++c)
          p.k[size_t((h * 300 + j) * 8 + c)] *= 3.0f;
    Reference want = referenceAttention(p);
    Result got = runAll(p);
    SCOPED_TRACE(causal ? "causal" : "not causal");
    expectClose(got.out, want.out, "out");
    expectClose(got.dq, want.dq, "dq", 1e-3);
    expectClose(got.dk, want.dk, "dk", 1e-3);
    expectClose(got.dv, want.dv, "dv");
  }
}

/// The forward pass to a few float roundings, which a polynomial exp off by
/// 1e-5 would miss under the tolerance of the other tests.
TEST(AttentionTest, ForwardIsAccurate) {
  for (const Size &z : {Size{2, 17, 40, 16, 8}, Size{2, 64, 64, 8, 32}})
    for (bool causal : {false, true}) {
      SCOPED_TRACE(describe(z, causal, MaskKind::None));
      Problem p = makeProblem(z, causal, MaskKind::None);
      // Scores over several units, yet small enough that their rounding
      // (|s| times 2^-24) stays below 1e-6.
      p.shape.scale = 1.0f;
      expectClose(runAll(p).out, referenceAttention(p).out, "out", 3e-6);
    }
}

/// Masked keys contribute exactly nothing, whatever their keys and values
/// hold (padding is often garbage): P is 0, not e^-87.
TEST(AttentionTest, MaskedKeysContributeNothing) {
  for (bool causal : {false, true}) {
    SCOPED_TRACE(causal ? "causal" : "not causal");
    Size z{3, 20, 50, 8, 8};
    Problem p = makeProblem(z, causal, MaskKind::KeyPadding);
    auto padded = [&](int64_t h, int64_t j) {
      return p.mask[size_t(h * z.keys + j)] == -kInf;
    };
    for (int64_t h = 0; h < z.heads; ++h)
      for (int64_t j = 0; j < z.keys; ++j)
        if (padded(h, j)) {
          for (int64_t c = 0; c < z.depth; ++c)
            p.k[size_t((h * z.keys + j) * z.depth + c)] = 1e3f;
          for (int64_t c = 0; c < z.valueDepth; ++c)
            p.v[size_t((h * z.keys + j) * z.valueDepth + c)] = 1e37f;
        }
    Result got = runAll(p);
    Reference want = referenceAttention(p);
    expectClose(got.out, want.out, "out");
    expectClose(got.dq, want.dq, "dq");
    for (int64_t h = 0; h < z.heads; ++h)
      for (int64_t j = 0; j < z.keys; ++j)
        if (padded(h, j)) {
          for (int64_t c = 0; c < z.depth; ++c)
            EXPECT_EQ(got.dk[size_t((h * z.keys + j) * z.depth + c)], 0.0f);
          for (int64_t c = 0; c < z.valueDepth; ++c)
            EXPECT_EQ(got.dv[size_t((h * z.keys + j) * z.valueDepth + c)],
                      0.0f);
        }
  }
}

/// A query row whose keys are all masked has output 0 and contributes
/// exactly nothing to any gradient; nothing is NaN.
TEST(AttentionTest, FullyMaskedRowIsZero) {
  for (bool causal : {false, true}) {
    Size z{2, 9, 150, 8, 4};
    Problem p = makeProblem(z, causal, MaskKind::Broadcast);
    const int64_t masked = z.queries / 2;
    // Any dout on the masked row must not matter.
    for (int64_t h = 0; h < z.heads; ++h)
      for (int64_t c = 0; c < z.valueDepth; ++c)
        p.dout[size_t((h * z.queries + masked) * z.valueDepth + c)] = 1e6f;
    Result got = runAll(p);
    for (int64_t h = 0; h < z.heads; ++h) {
      for (int64_t c = 0; c < z.valueDepth; ++c)
        EXPECT_EQ(got.out[size_t((h * z.queries + masked) * z.valueDepth + c)],
                  0.0f);
      for (int64_t c = 0; c < z.depth; ++c)
        EXPECT_EQ(got.dq[size_t((h * z.queries + masked) * z.depth + c)], 0.0f);
    }
    for (const std::vector<float> *x : {&got.out, &got.dq, &got.dk, &got.dv})
      for (float value : *x)
        ASSERT_FALSE(std::isnan(value));
    Reference want = referenceAttention(p);
    expectClose(got.dk, want.dk, "dk");
    expectClose(got.dv, want.dv, "dv");
  }
}

/// The backward kernel against central differences of sum(out * dout) over
/// the double reference forward: truth that shares no formula with either.
TEST(AttentionTest, BackwardMatchesFiniteDifferences) {
  for (bool causal : {false, true}) {
    SCOPED_TRACE(causal ? "causal" : "not causal");
    Problem p = makeProblem({2, 3, 4, 3, 2}, causal, MaskKind::Broadcast, 7);
    p.mask[1] = -kInf; // Row 0 loses key 1 as well.
    Result got = runAll(p);
    std::vector<double> q = toDouble(p.q), k = toDouble(p.k), v = toDouble(p.v);
    auto loss = [&]() {
      Reference r = referenceAttention(p, q, k, v);
      double sum = 0.0;
      for (size_t i = 0; i < r.out.size(); ++i)
        sum += r.out[i] * double(p.dout[i]);
      return sum;
    };
    auto differences = [&](std::vector<double> &x) {
      const double step = 1e-5;
      std::vector<double> grad(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        double saved = x[i];
        x[i] = saved + step;
        double up = loss();
        x[i] = saved - step;
        double down = loss();
        x[i] = saved;
        grad[i] = (up - down) / (2 * step);
      }
      return grad;
    };
    expectClose(got.dq, differences(q), "dq");
    expectClose(got.dk, differences(k), "dk");
    expectClose(got.dv, differences(v), "dv");
  }
}

/// Any split of the heads, on any thread and after any earlier problem
/// left its scratch behind, gives bitwise the same results, and writes
/// nothing outside its heads.
TEST(AttentionTest, HeadSplitsAreBitwiseIdentical) {
  for (bool causal : {false, true}) {
    SCOPED_TRACE(causal ? "causal" : "not causal");
    for (Size z : {Size{5, 70, 150, 16, 8}, Size{4, 30, 700, 8, 12}}) {
      Problem p = makeProblem(z, causal, MaskKind::KeyPadding);
      Result whole = runAll(p);

      // A larger problem first fills this thread's scratch with other data.
      runAll(makeProblem({2, 100, 200, 32, 32}, false, MaskKind::None, 9));
      Result split = sentinelResult(p);
      runHeads(p, split, 1, 3);
      for (int64_t h : {int64_t(0), z.heads - 1}) {
        float out = split.out[size_t(h * z.queries * z.valueDepth)];
        float dk = split.dk[size_t(h * z.keys * z.depth)];
        EXPECT_TRUE(std::isnan(out) && std::isnan(dk))
            << "head " << h << " outside [1, 3) was written";
      }
      runHeads(p, split, 0, 1);
      std::thread other([&] { runHeads(p, split, 3, z.heads); });
      other.join();

      for (auto [a, b] :
           {std::pair(&whole.out, &split.out), std::pair(&whole.dq, &split.dq),
            std::pair(&whole.dk, &split.dk), std::pair(&whole.dv, &split.dv)})
        EXPECT_EQ(0,
                  std::memcmp(a->data(), b->data(), a->size() * sizeof(float)));
    }
  }
}

} // namespace

namespace {

/// [groups, rows, headsPerGroup, columns] with `padding` unused floats after
/// each row: the sequence-major layout a transpose of q's two middle axes
/// reads, with gaps that must stay untouched.
HeadLayout sequenceMajor(int64_t groups, int64_t headsPerGroup, int64_t rows,
                         int64_t columns, int64_t padding) {
  HeadLayout layout;
  layout.rowStride = headsPerGroup * columns + padding;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t h = 0; h < headsPerGroup; ++h)
      layout.headOffset.push_back(g * rows * layout.rowStride + h * columns);
  return layout;
}

/// The dense [heads, rows, columns] tensor `dense` laid out by `layout` in
/// a buffer of `extent` floats, NaN in between.
std::vector<float> scatter(const std::vector<float> &dense,
                           const HeadLayout &layout, int64_t heads,
                           int64_t rows, int64_t columns, int64_t extent) {
  std::vector<float> out(size_t(extent),
                         std::numeric_limits<float>::quiet_NaN());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < columns; ++c)
        out[size_t(layout.headOffset[size_t(h)] + r * layout.rowStride + c)] =
            dense[size_t((h * rows + r) * columns + c)];
  return out;
}

} // namespace

/// Every operand read or written through a strided layout gives bitwise
/// the dense results (the GEMMs sum in the same order whatever the leading
/// dimensions), and the gaps between rows stay untouched.
TEST(AttentionTest, StridedLayoutsGiveTheDenseResultsBitwise) {
  using O = AttentionOperand;
  for (bool causal : {false, true}) {
    SCOPED_TRACE(causal ? "causal" : "not causal");
    const int64_t groups = 2, perGroup = 3;
    Size z{groups * perGroup, 19, 19, 8, 4};
    Problem dense = makeProblem(z, causal, MaskKind::KeyPadding);
    Result want = runAll(dense);

    AttentionShape strided = dense.shape;
    for (int o = 0; o < kAttentionOperands; ++o) {
      O operand = static_cast<O>(o);
      strided.layouts[o] =
          sequenceMajor(groups, perGroup, strided.rowsOf(operand),
                        strided.columnsOf(operand), /*padding=*/o % 3);
    }
    auto laidOut = [&](const std::vector<float> &x, O operand) {
      return scatter(x, strided.layout(operand), z.heads,
                     strided.rowsOf(operand), strided.columnsOf(operand),
                     strided.extentOf(operand));
    };
    auto fresh = [&](O operand) {
      return std::vector<float>(size_t(strided.extentOf(operand)),
                                std::numeric_limits<float>::quiet_NaN());
    };
    std::vector<float> q = laidOut(dense.q, O::Q), k = laidOut(dense.k, O::K),
                       v = laidOut(dense.v, O::V),
                       dout = laidOut(dense.dout, O::DOut);
    std::vector<float> out = fresh(O::Out), dq = fresh(O::DQ),
                       dk = fresh(O::DK), dv = fresh(O::DV);
    attentionForward(hostGemm(), strided, q.data(), k.data(), v.data(),
                     dense.maskData(), out.data(), 0, z.heads);
    // The backward reads the forward's output through the layout it was
    // written by.
    attentionBackward(hostGemm(), strided, q.data(), k.data(), v.data(),
                      dense.maskData(), out.data(), dout.data(), dq.data(),
                      dk.data(), dv.data(), 0, z.heads);

    auto expectLaidOut = [&](const std::vector<float> &got,
                             const std::vector<float> &denseWant, O operand,
                             const char *what) {
      std::vector<float> expected = laidOut(denseWant, operand);
      ASSERT_EQ(got.size(), expected.size()) << what;
      for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(expected[i]))
          ASSERT_TRUE(std::isnan(got[i]))
              << what << ": gap " << i << " written";
        else
          ASSERT_EQ(got[i], expected[i]) << what << "[" << i << "]";
      }
    };
    expectLaidOut(out, want.out, O::Out, "out");
    expectLaidOut(dq, want.dq, O::DQ, "dq");
    expectLaidOut(dk, want.dk, O::DK, "dk");
    expectLaidOut(dv, want.dv, O::DV, "dv");
  }
}
