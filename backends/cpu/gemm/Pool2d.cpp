//===- Pool2d.cpp - Native max_pool2d and its gradient --------------------===//
//
// One image plane at a time. The common 2x2 window with stride 2 and no
// padding has branch-free loops the compiler vectorises; other windows take
// a general loop over the real taps of each window. The gradient of
// non-overlapping windows (stride >= kernel) stores each window's dy once,
// as 0 + dy, which is what ref's f64 sum rounds to; overlapping windows sum
// in a per-thread f64 plane in window order, as ref does.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/Pool2d.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <vector>

namespace nnc::cpu {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

/// The real taps [begin, end) of the window at output position `out` along
/// one axis, and the input index of tap 0 (`start`, maybe negative).
struct Taps {
  int64_t start, begin, end;
};

Taps tapsOf(int64_t out, int64_t stride, int64_t pad, int64_t kernel,
            int64_t extent) {
  int64_t start = out * stride - pad;
  return {start, std::max<int64_t>(0, -start),
          std::min<int64_t>(kernel, extent - start)};
}

/// True when `v` replaces `best` as the first maximum: ref's rule, where a
/// NaN best stays and a NaN or a greater value takes over.
inline bool takes(float v, float best) { return best == best && !(v <= best); }

bool isTwoByTwo(const Conv2dShape &s) {
  return s.kernelH == 2 && s.kernelW == 2 && s.strideH == 2 && s.strideW == 2 &&
         s.padH == 0 && s.padW == 0;
}

void maxPlaneTwoByTwo(const Conv2dShape &s, const float *in, float *out) {
  int64_t outH = s.outHeight(), outW = s.outWidth(), width = s.width;
  for (int64_t oh = 0; oh < outH; ++oh) {
    const float *r0 = in + 2 * oh * width, *r1 = r0 + width;
    float *o = out + oh * outW;
    for (int64_t ow = 0; ow < outW; ++ow) {
      float a = r0[2 * ow], b = r0[2 * ow + 1];
      float c = r1[2 * ow], d = r1[2 * ow + 1];
      float m = std::max(std::max(a, b), std::max(c, d));
      bool nan = (a != a) | (b != b) | (c != c) | (d != d);
      o[ow] = nan ? kNaN : m;
    }
  }
}

void maxPlane(const Conv2dShape &s, const float *in, float *out) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  for (int64_t oh = 0; oh < outH; ++oh) {
    Taps th = tapsOf(oh, s.strideH, s.padH, s.kernelH, s.height);
    for (int64_t ow = 0; ow < outW; ++ow) {
      Taps tw = tapsOf(ow, s.strideW, s.padW, s.kernelW, s.width);
      float m = kMinusInf;
      bool nan = false;
      for (int64_t kh = th.begin; kh < th.end; ++kh) {
        const float *row = in + (th.start + kh) * s.width + tw.start;
        for (int64_t kw = tw.begin; kw < tw.end; ++kw) {
          float v = row[kw];
          nan |= v != v;
          m = v > m ? v : m;
        }
      }
      out[oh * outW + ow] = nan ? kNaN : m;
    }
  }
}

/// The flat plane index of the first maximum of window (oh, ow).
int64_t firstMaximum(const Conv2dShape &s, const float *in, int64_t oh,
                     int64_t ow) {
  Taps th = tapsOf(oh, s.strideH, s.padH, s.kernelH, s.height);
  Taps tw = tapsOf(ow, s.strideW, s.padW, s.kernelW, s.width);
  int64_t best = (th.start + th.begin) * s.width + tw.start + tw.begin;
  for (int64_t kh = th.begin; kh < th.end; ++kh)
    for (int64_t kw = tw.begin; kw < tw.end; ++kw) {
      int64_t at = (th.start + kh) * s.width + tw.start + kw;
      if (takes(in[at], in[best]))
        best = at;
    }
  return best;
}

/// Four floats and four lane masks (all ones or zero), as GCC and Clang
/// vector extensions: the 2x2 gradient's rows of windows are too short (a
/// LeNet plane has 12 or 4 windows a row) for the loop vectoriser, and the
/// scalar selects compile to mispredicted branches.
typedef float Float4 __attribute__((vector_size(16)));
typedef int32_t Mask4 __attribute__((vector_size(16)));

inline Float4 load4(const float *p) {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(float *p, Float4 v) { std::memcpy(p, &v, sizeof v); }

inline Float4 select4(Mask4 mask, Float4 yes) {
  Mask4 bits;
  std::memcpy(&bits, &yes, sizeof bits);
  bits &= mask;
  Float4 out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

inline Float4 max4(Float4 x, Float4 y) { return x < y ? y : x; }

/// The gradient of four adjacent 2x2 windows at row pair r0/r1 into d0/d1:
/// the first NaN of each window if it has one, else its first element
/// equal to the maximum, gets 0 + dy; its other elements get 0.
inline void gradFourWindows(const float *r0, const float *r1, const float *g,
                            float *d0, float *d1) {
  Float4 t0 = load4(r0), t1 = load4(r0 + 4);
  Float4 b0 = load4(r1), b1 = load4(r1 + 4);
  Float4 a = __builtin_shufflevector(t0, t1, 0, 2, 4, 6);
  Float4 b = __builtin_shufflevector(t0, t1, 1, 3, 5, 7);
  Float4 c = __builtin_shufflevector(b0, b1, 0, 2, 4, 6);
  Float4 d = __builtin_shufflevector(b0, b1, 1, 3, 5, 7);
  Mask4 na = a != a, nb = b != b, nc = c != c, nd = d != d;
  Mask4 nan = na | nb | nc | nd;
  Float4 m = max4(max4(a, b), max4(c, d));
  Mask4 ea = (nan & na) | (~nan & (a == m));
  Mask4 eb = (nan & nb) | (~nan & (b == m));
  Mask4 ec = (nan & nc) | (~nan & (c == m));
  Float4 value = Float4{0.0f, 0.0f, 0.0f, 0.0f} + load4(g);
  Float4 sa = select4(ea, value);
  Float4 sb = select4(eb & ~ea, value);
  Float4 sc = select4(ec & ~(ea | eb), value);
  Float4 sd = select4(~(ea | eb | ec), value);
  store4(d0, __builtin_shufflevector(sa, sb, 0, 4, 1, 5));
  store4(d0 + 4, __builtin_shufflevector(sa, sb, 2, 6, 3, 7));
  store4(d1, __builtin_shufflevector(sc, sd, 0, 4, 1, 5));
  store4(d1 + 4, __builtin_shufflevector(sc, sd, 2, 6, 3, 7));
}

void gradPlaneTwoByTwo(const Conv2dShape &s, const float *in, const float *dy,
                       float *dx) {
  int64_t outH = s.outHeight(), outW = s.outWidth(), width = s.width;
  for (int64_t oh = 0; oh < outH; ++oh) {
    const float *r0 = in + 2 * oh * width, *r1 = r0 + width;
    float *d0 = dx + 2 * oh * width, *d1 = d0 + width;
    const float *g = dy + oh * outW;
    int64_t ow = 0;
    for (; ow + 4 <= outW; ow += 4)
      gradFourWindows(r0 + 2 * ow, r1 + 2 * ow, g + ow, d0 + 2 * ow,
                      d1 + 2 * ow);
    for (; ow < outW; ++ow) {
      int64_t best = firstMaximum(s, in, oh, ow);
      float value = 0.0f + g[ow];
      for (int64_t k = 0; k < 2; ++k) {
        d0[2 * ow + k] = best == 2 * oh * width + 2 * ow + k ? value : 0.0f;
        d1[2 * ow + k] =
            best == (2 * oh + 1) * width + 2 * ow + k ? value : 0.0f;
      }
    }
    // An odd width leaves a last column no window covers.
    for (int64_t iw = 2 * outW; iw < width; ++iw)
      d0[iw] = d1[iw] = 0.0f;
  }
  // And an odd height a last row.
  std::fill(dx + 2 * outH * width, dx + s.height * width, 0.0f);
}

void gradPlaneDisjoint(const Conv2dShape &s, const float *in, const float *dy,
                       float *dx) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  std::fill(dx, dx + s.height * s.width, 0.0f);
  for (int64_t oh = 0; oh < outH; ++oh)
    for (int64_t ow = 0; ow < outW; ++ow)
      dx[firstMaximum(s, in, oh, ow)] = 0.0f + dy[oh * outW + ow];
}

void gradPlaneOverlapping(const Conv2dShape &s, const float *in,
                          const float *dy, float *dx) {
  thread_local std::vector<double> sums;
  size_t plane = static_cast<size_t>(s.height * s.width);
  sums.assign(plane, 0.0);
  int64_t outH = s.outHeight(), outW = s.outWidth();
  for (int64_t oh = 0; oh < outH; ++oh)
    for (int64_t ow = 0; ow < outW; ++ow)
      sums[static_cast<size_t>(firstMaximum(s, in, oh, ow))] +=
          static_cast<double>(dy[oh * outW + ow]);
  for (size_t i = 0; i < plane; ++i)
    dx[i] = static_cast<float>(sums[i]);
}

} // namespace

bool validPool2d(const Conv2dShape &s) {
  if (!s.valid() || s.filters != s.channels || s.groups != 1 ||
      s.dilationH != 1 || s.dilationW != 1)
    return false;
  return 2 * s.padH <= s.kernelH && 2 * s.padW <= s.kernelW;
}

void maxPool2dForward(const Conv2dShape &s, const float *x, float *y,
                      int64_t batchBegin, int64_t batchEnd) {
  assert(validPool2d(s) && "invalid pooling window");
  int64_t planeIn = s.height * s.width;
  int64_t planeOut = s.outHeight() * s.outWidth();
  bool twoByTwo = isTwoByTwo(s);
  for (int64_t p = batchBegin * s.channels; p < batchEnd * s.channels; ++p) {
    if (twoByTwo)
      maxPlaneTwoByTwo(s, x + p * planeIn, y + p * planeOut);
    else
      maxPlane(s, x + p * planeIn, y + p * planeOut);
  }
}

void maxPool2dGrad(const Conv2dShape &s, const float *x, const float *dy,
                   float *dx, int64_t batchBegin, int64_t batchEnd) {
  assert(validPool2d(s) && "invalid pooling window");
  int64_t planeIn = s.height * s.width;
  int64_t planeOut = s.outHeight() * s.outWidth();
  bool twoByTwo = isTwoByTwo(s);
  bool disjoint = s.strideH >= s.kernelH && s.strideW >= s.kernelW;
  for (int64_t p = batchBegin * s.channels; p < batchEnd * s.channels; ++p) {
    const float *in = x + p * planeIn;
    const float *g = dy + p * planeOut;
    float *out = dx + p * planeIn;
    if (twoByTwo)
      gradPlaneTwoByTwo(s, in, g, out);
    else if (disjoint)
      gradPlaneDisjoint(s, in, g, out);
    else
      gradPlaneOverlapping(s, in, g, out);
  }
}

} // namespace nnc::cpu
