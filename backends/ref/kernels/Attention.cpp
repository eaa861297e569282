//===- Attention.cpp - Reference scaled dot-product attention -------------===//

#include "backends/ref/kernels/Attention.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

namespace nnc::ref {

using namespace detail;

namespace {

constexpr const char *kOp = "scaled_dot_product_attention";
constexpr const char *kGradOp = "scaled_dot_product_attention_grad";

/// The sizes of one problem: q [heads, t, d], k [heads, s, d], v [heads, s,
/// dv], with the mask's strides over [heads..., t, s] when there is one.
struct Layout {
  int64_t heads = 1, queries = 0, keys = 0, depth = 0, valueDepth = 0;
  double scale = 1;
  bool causal = false;
  /// The scores' shape [..., t, s] and the mask's strides over it.
  Shape scores;
  std::vector<int64_t> maskStrides;
};

Expected<Layout> checkLayout(const char *op, ConstTensorView q,
                             ConstTensorView k, ConstTensorView v,
                             std::optional<ConstTensorView> mask,
                             const AttentionAttrs &attrs) {
  for (auto [what, t] : {std::pair{"k", k}, std::pair{"v", v}})
    if (Error e = checkDType(op, what, t, q.dtype()); !e.ok())
      return e;
  int64_t rank = q.rank();
  if (rank < 2 || k.rank() != rank || v.rank() != rank)
    return opError(op, "q, k and v need one rank, at least 2");
  Layout layout;
  for (int64_t i = 0; i < rank - 2; ++i) {
    if (k.dim(i) != q.dim(i) || v.dim(i) != q.dim(i))
      return opError(op, "q " + rt::shapeToString(q.shape()) + ", k " +
                             rt::shapeToString(k.shape()) + " and v " +
                             rt::shapeToString(v.shape()) +
                             " must have the same leading axes");
    layout.heads *= q.dim(i);
  }
  layout.queries = q.dim(rank - 2);
  layout.depth = q.dim(rank - 1);
  layout.keys = k.dim(rank - 2);
  layout.valueDepth = v.dim(rank - 1);
  if (k.dim(rank - 1) != layout.depth || v.dim(rank - 2) != layout.keys)
    return opError(op, "k " + rt::shapeToString(k.shape()) + " and v " +
                           rt::shapeToString(v.shape()) + " do not fit q " +
                           rt::shapeToString(q.shape()));
  layout.scale = attrs.scale != 0
                     ? attrs.scale
                     : 1.0 / std::sqrt(static_cast<double>(layout.depth));
  layout.causal = attrs.causal;
  layout.scores.assign(q.shape().begin(), q.shape().end() - 1);
  layout.scores.push_back(layout.keys);
  if (mask) {
    if (Error e = checkDType(op, "mask", *mask, q.dtype()); !e.ok())
      return e;
    Expected<Shape> both = broadcastShapes(op, mask->shape(), layout.scores);
    if (!both.ok())
      return both.takeError();
    if (*both != layout.scores)
      return opError(op, "mask " + rt::shapeToString(mask->shape()) +
                             " does not broadcast to the scores " +
                             rt::shapeToString(layout.scores));
    layout.maskStrides = broadcastStrides(mask->shape(), layout.scores);
  }
  return layout;
}

/// The probabilities of one head, [t, s], and whether each row has a key
/// to see (a row whose keys are all hidden has none and counts as 0).
template <typename T>
void probabilities(const Layout &l, const T *q, const T *k, const T *mask,
                   int64_t head, std::vector<double> &p,
                   std::vector<bool> &seen) {
  const double minusInf = -std::numeric_limits<double>::infinity();
  p.assign(static_cast<size_t>(l.queries * l.keys), 0.0);
  seen.assign(static_cast<size_t>(l.queries), false);
  const T *qh = q + head * l.queries * l.depth;
  const T *kh = k + head * l.keys * l.depth;
  for (int64_t i = 0; i < l.queries; ++i) {
    double *row = p.data() + i * l.keys;
    double max = minusInf;
    for (int64_t j = 0; j < l.keys; ++j) {
      double s = minusInf;
      if (!l.causal || j <= i) {
        double dot = 0;
        for (int64_t c = 0; c < l.depth; ++c)
          dot += static_cast<double>(qh[i * l.depth + c]) *
                 static_cast<double>(kh[j * l.depth + c]);
        s = l.scale * dot;
        if (mask) {
          int64_t flat = (head * l.queries + i) * l.keys + j;
          s += static_cast<double>(
              mask[offsetOf(flat, l.scores, l.maskStrides)]);
        }
      }
      row[j] = s;
      max = std::max(max, s);
    }
    if (max == minusInf) {
      std::fill(row, row + l.keys, 0.0);
      continue;
    }
    seen[static_cast<size_t>(i)] = true;
    double sum = 0;
    for (int64_t j = 0; j < l.keys; ++j)
      sum += row[j] = std::exp(row[j] - max);
    for (int64_t j = 0; j < l.keys; ++j)
      row[j] /= sum;
  }
}

/// out = a b for a [rows, inner] in double and b [inner, cols], summed in
/// double and rounded once.
template <typename T>
void multiply(const std::vector<double> &a, const T *b, int64_t rows,
              int64_t inner, int64_t cols, T *out) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < cols; ++c) {
      double sum = 0;
      for (int64_t j = 0; j < inner; ++j)
        sum += a[static_cast<size_t>(i * inner + j)] *
               static_cast<double>(b[j * cols + c]);
      out[i * cols + c] = static_cast<T>(sum);
    }
}

template <typename T> const T *maskData(std::optional<ConstTensorView> mask) {
  return mask ? mask->data<T>() : nullptr;
}

} // namespace

Error attention(ConstTensorView q, ConstTensorView k, ConstTensorView v,
                std::optional<ConstTensorView> mask,
                const AttentionAttrs &attrs, TensorView out) {
  Expected<Layout> layout = checkLayout(kOp, q, k, v, mask, attrs);
  if (!layout.ok())
    return layout.takeError();
  const Layout &l = *layout;
  Shape outShape(q.shape().begin(), q.shape().end() - 1);
  outShape.push_back(l.valueDepth);
  if (Error e = checkDType(kOp, "result", out, q.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(kOp, "result", out, outShape); !e.ok())
    return e;
  return dispatchFloat(kOp, q.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T *vd = v.data<T>();
    T *o = out.data<T>();
    std::vector<double> p;
    std::vector<bool> seen;
    for (int64_t h = 0; h < l.heads; ++h) {
      probabilities(l, q.data<T>(), k.data<T>(), maskData<T>(mask), h, p, seen);
      multiply(p, vd + h * l.keys * l.valueDepth, l.queries, l.keys,
               l.valueDepth, o + h * l.queries * l.valueDepth);
    }
    return Error::success();
  });
}

Error attentionGrad(ConstTensorView q, ConstTensorView k, ConstTensorView v,
                    ConstTensorView out, ConstTensorView dout,
                    std::optional<ConstTensorView> mask,
                    const AttentionAttrs &attrs, TensorView dq, TensorView dk,
                    TensorView dv) {
  Expected<Layout> layout = checkLayout(kGradOp, q, k, v, mask, attrs);
  if (!layout.ok())
    return layout.takeError();
  const Layout &l = *layout;
  Shape outShape(q.shape().begin(), q.shape().end() - 1);
  outShape.push_back(l.valueDepth);
  std::pair<const char *, ConstTensorView> given[] = {{"out", out},
                                                      {"dout", dout}};
  for (auto [what, t] : given) {
    if (Error e = checkDType(kGradOp, what, t, q.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(kGradOp, what, t, outShape); !e.ok())
      return e;
  }
  std::tuple<const char *, TensorView, ConstTensorView> results[] = {
      {"dq", dq, q}, {"dk", dk, k}, {"dv", dv, v}};
  for (auto [what, t, like] : results) {
    if (Error e = checkDType(kGradOp, what, t, q.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(kGradOp, what, t, like.shape()); !e.ok())
      return e;
  }
  return dispatchFloat(kGradOp, q.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T *qd = q.data<T>(), *kd = k.data<T>(), *vd = v.data<T>();
    const T *od = out.data<T>(), *gd = dout.data<T>();
    T *dqd = dq.data<T>(), *dkd = dk.data<T>(), *dvd = dv.data<T>();
    std::vector<double> p, ds, dkh, dvh;
    std::vector<bool> seen;
    for (int64_t h = 0; h < l.heads; ++h) {
      probabilities(l, qd, kd, maskData<T>(mask), h, p, seen);
      const T *qh = qd + h * l.queries * l.depth;
      const T *kh = kd + h * l.keys * l.depth;
      const T *vh = vd + h * l.keys * l.valueDepth;
      const T *oh = od + h * l.queries * l.valueDepth;
      const T *gh = gd + h * l.queries * l.valueDepth;
      ds.assign(p.size(), 0.0);
      for (int64_t i = 0; i < l.queries; ++i) {
        if (!seen[static_cast<size_t>(i)])
          continue;
        // D = rowsum(dout * out) = rowsum(P * dP).
        double rowDot = 0;
        for (int64_t c = 0; c < l.valueDepth; ++c)
          rowDot += static_cast<double>(gh[i * l.valueDepth + c]) *
                    static_cast<double>(oh[i * l.valueDepth + c]);
        for (int64_t j = 0; j < l.keys; ++j) {
          double dp = 0;
          for (int64_t c = 0; c < l.valueDepth; ++c)
            dp += static_cast<double>(gh[i * l.valueDepth + c]) *
                  static_cast<double>(vh[j * l.valueDepth + c]);
          size_t at = static_cast<size_t>(i * l.keys + j);
          ds[at] = l.scale * p[at] * (dp - rowDot);
        }
      }
      multiply(ds, kh, l.queries, l.keys, l.depth,
               dqd + h * l.queries * l.depth);
      dkh.assign(static_cast<size_t>(l.keys * l.depth), 0.0);
      dvh.assign(static_cast<size_t>(l.keys * l.valueDepth), 0.0);
      for (int64_t i = 0; i < l.queries; ++i)
        for (int64_t j = 0; j < l.keys; ++j) {
          size_t at = static_cast<size_t>(i * l.keys + j);
          for (int64_t c = 0; c < l.depth; ++c)
            dkh[static_cast<size_t>(j * l.depth + c)] +=
                ds[at] * static_cast<double>(qh[i * l.depth + c]);
          for (int64_t c = 0; c < l.valueDepth; ++c)
            dvh[static_cast<size_t>(j * l.valueDepth + c)] +=
                p[at] * static_cast<double>(gh[i * l.valueDepth + c]);
        }
      for (size_t e = 0; e < dkh.size(); ++e)
        dkd[h * l.keys * l.depth + static_cast<int64_t>(e)] =
            static_cast<T>(dkh[e]);
      for (size_t e = 0; e < dvh.size(); ++e)
        dvd[h * l.keys * l.valueDepth + static_cast<int64_t>(e)] =
            static_cast<T>(dvh[e]);
    }
    return Error::success();
  });
}

} // namespace nnc::ref
