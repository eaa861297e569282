//===- Conv2d.cpp - conv2d and its gradients through the GEMM -------------===//
//
// For one image and one group, with K = channels/groups * kernelH * kernelW
// and P = outHeight * outWidth, and col = im2col(x) [K, P]:
//   forward:     y [Fg, P]  = W [Fg, K] * col
//   grad input:  dcol [K, P] = W^T * dy [Fg, P], then dx = col2im(dcol)
//   grad weight: dW [Fg, K] += dy [Fg, P] * col^T, over the images in order,
//                with col^T built as such ([P, K]) rather than transposed
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/Conv2d.h"

#include "backends/cpu/gemm/Conv2dDirect.h"
#include "backends/cpu/gemm/GemmScratch.h"
#include "backends/cpu/gemm/MicroKernel.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

namespace nnc::cpu {

using namespace detail;

namespace {

/// Per-group sizes derived from a Conv2dShape.
struct GroupDims {
  int64_t channels; ///< Input channels per group.
  int64_t filters;  ///< Filters per group.
  int64_t depth;    ///< GEMM K: channels * kernelH * kernelW.
  int64_t pixels;   ///< Output pixels: outHeight * outWidth.
  int64_t image;    ///< Input pixels: height * width.
  bool direct;      ///< 1x1, stride 1, no padding: col is x itself.
};

GroupDims groupDims(const Conv2dShape &s) {
  assert(s.valid() && "invalid conv2d shape");
  GroupDims d;
  d.channels = s.channels / s.groups;
  d.filters = s.filters / s.groups;
  d.depth = d.channels * s.kernelH * s.kernelW;
  d.pixels = s.outHeight() * s.outWidth();
  d.image = s.height * s.width;
  d.direct = s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 &&
             s.strideW == 1 && s.padH == 0 && s.padW == 0;
  return d;
}

/// The output columns [begin, end) of kernel column `kw` whose input column
/// (offset + ow * strideW) lies inside the image; `offset` is the input
/// column of output column 0.
struct ColumnSpan {
  int64_t offset, begin, end;
};

ColumnSpan insideColumns(const Conv2dShape &s, int64_t kw, int64_t outW) {
  ColumnSpan span;
  span.offset = kw * s.dilationW - s.padW;
  span.begin = span.offset >= 0
                   ? 0
                   : std::clamp<int64_t>(
                         (-span.offset + s.strideW - 1) / s.strideW, 0, outW);
  span.end = std::clamp<int64_t>(
      (s.width - span.offset + s.strideW - 1) / s.strideW, span.begin, outW);
  return span;
}

/// insideColumns of every kernel column of `s`, in storage of the calling
/// thread that only grows, so that a kernel's steady state allocates
/// nothing. Valid until the thread's next call.
const ColumnSpan *columnSpans(const Conv2dShape &s) {
  thread_local std::vector<ColumnSpan> spans;
  spans.clear();
  for (int64_t kw = 0; kw < s.kernelW; ++kw)
    spans.push_back(insideColumns(s, kw, s.outWidth()));
  return spans.data();
}

/// Output columns [begin, end) of one tap's row of col: input column
/// ow * strideW of `in` for ow in [copyBegin, copyEnd) (within [begin,
/// end); `in` is read only there), 0 elsewhere. Runs are a few floats
/// (LeNet: 8 to 28): loops the compiler inlines beat calls to memcpy.
void writeTapRun(const float *in, int64_t strideW, float *out, int64_t begin,
                 int64_t copyBegin, int64_t copyEnd, int64_t end) {
  std::fill(out + begin, out + copyBegin, 0.0f);
  if (strideW == 1)
    for (int64_t ow = copyBegin; ow < copyEnd; ++ow)
      out[ow] = in[ow];
  else
    for (int64_t ow = copyBegin; ow < copyEnd; ++ow)
      out[ow] = in[ow * strideW];
  std::fill(out + copyEnd, out + end, 0.0f);
}

/// col [depth, pixels] of the `d.channels` input planes at `x`, its rows
/// `ldcol` floats apart (d.pixels for one image alone).
void im2col(const Conv2dShape &s, const GroupDims &d, const float *x,
            float *col, int64_t ldcol) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  for (int64_t c = 0; c < d.channels; ++c) {
    const float *plane = x + c * d.image;
    for (int64_t kh = 0; kh < s.kernelH; ++kh) {
      for (int64_t kw = 0; kw < s.kernelW; ++kw) {
        float *row = col + ((c * s.kernelH + kh) * s.kernelW + kw) * ldcol;
        auto [offsetW, owBegin, owEnd] = insideColumns(s, kw, outW);
        for (int64_t oh = 0; oh < outH; ++oh) {
          float *out = row + oh * outW;
          int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
          if (ih < 0 || ih >= s.height) {
            std::fill(out, out + outW, 0.0f);
            continue;
          }
          writeTapRun(plane + ih * s.width + offsetW, s.strideW, out, 0,
                      owBegin, owEnd, outW);
        }
      }
    }
  }
}

/// The output columns [lo, hi) whose whole window row lies inside the
/// image, for a kernel `kernelW` wide.
void insideColumns(const Conv2dShape &s, int64_t kernelW, int64_t &lo,
                   int64_t &hi) {
  int64_t outW = s.outWidth();
  int64_t last = s.width - 1 - (kernelW - 1) * s.dilationW + s.padW;
  lo = std::min((s.padW + s.strideW - 1) / s.strideW, outW);
  hi = last < 0 ? lo : std::clamp<int64_t>(last / s.strideW + 1, lo, outW);
}

/// colT [pixels, depth], the transpose of im2col, of the `d.channels` input
/// planes at `x`: one row of taps per output pixel. KW > 0 fixes the kernel
/// width at compile time, so the copy of a unit-stride, undilated window
/// row is a few moves; KW == 0 handles any window. The loop over pixels is
/// innermost when output rows are longer than the channels x kernel rows
/// of a pixel (LeNet's first layer: 24 against 5), else outermost (its
/// second: 8 against 30).
/// The `kernelW` taps of one window row, from input column `iw0` of the
/// image row `in`, into `taps`: a row wholly `inside` the image is copied
/// without a test per tap (`unit`: stride and dilation 1, a plain run);
/// one that is not reads 0 past the image's edges.
__attribute__((always_inline)) inline void
copyWindowRow(const Conv2dShape &s, int64_t kernelW, bool unit, bool inside,
              const float *in, int64_t iw0, float *taps) {
  if (inside && unit) {
    for (int64_t kw = 0; kw < kernelW; ++kw)
      taps[kw] = in[iw0 + kw];
  } else if (inside) {
    for (int64_t kw = 0; kw < kernelW; ++kw)
      taps[kw] = in[iw0 + kw * s.dilationW];
  } else {
    for (int64_t kw = 0; kw < kernelW; ++kw) {
      int64_t iw = iw0 + kw * s.dilationW;
      taps[kw] = iw >= 0 && iw < s.width ? in[iw] : 0.0f;
    }
  }
}

template <int64_t KW>
void im2colTransposedAs(const Conv2dShape &s, const GroupDims &d,
                        const float *x, float *colT) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  int64_t kernelW = KW > 0 ? KW : s.kernelW;
  int64_t owLo, owHi;
  insideColumns(s, kernelW, owLo, owHi);
  bool unit = s.strideW == 1 && s.dilationW == 1;
  if (outW >= d.channels * s.kernelH) {
    for (int64_t oh = 0; oh < outH; ++oh)
      for (int64_t c = 0; c < d.channels; ++c)
        for (int64_t kh = 0; kh < s.kernelH; ++kh) {
          float *taps =
              colT + oh * outW * d.depth + (c * s.kernelH + kh) * kernelW;
          int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
          if (ih < 0 || ih >= s.height) {
            for (int64_t ow = 0; ow < outW; ++ow)
              std::fill(taps + ow * d.depth, taps + ow * d.depth + kernelW,
                        0.0f);
            continue;
          }
          const float *in = x + c * d.image + ih * s.width;
          for (int64_t ow = 0; ow < outW; ++ow)
            copyWindowRow(s, kernelW, unit, ow >= owLo && ow < owHi, in,
                          ow * s.strideW - s.padW, taps + ow * d.depth);
        }
    return;
  }
  for (int64_t oh = 0; oh < outH; ++oh)
    for (int64_t ow = 0; ow < outW; ++ow) {
      float *out = colT + (oh * outW + ow) * d.depth;
      int64_t iw0 = ow * s.strideW - s.padW;
      bool inside = ow >= owLo && ow < owHi;
      for (int64_t c = 0; c < d.channels; ++c)
        for (int64_t kh = 0; kh < s.kernelH; ++kh) {
          float *taps = out + (c * s.kernelH + kh) * kernelW;
          int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
          if (ih < 0 || ih >= s.height) {
            std::fill(taps, taps + kernelW, 0.0f);
            continue;
          }
          copyWindowRow(s, kernelW, unit, inside,
                        x + c * d.image + ih * s.width, iw0, taps);
        }
    }
}

void im2colTransposed(const Conv2dShape &s, const GroupDims &d, const float *x,
                      float *colT) {
  switch (s.kernelW) {
  case 3:
    return im2colTransposedAs<3>(s, d, x, colT);
  case 5:
    return im2colTransposedAs<5>(s, d, x, colT);
  default:
    return im2colTransposedAs<0>(s, d, x, colT);
  }
}

/// Adds dcol [depth, pixels] into the `d.channels` planes at `dx`, in a
/// fixed order.
void col2imAdd(const Conv2dShape &s, const GroupDims &d, const float *col,
               int64_t ldcol, float *dx) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  for (int64_t c = 0; c < d.channels; ++c) {
    float *plane = dx + c * d.image;
    for (int64_t kh = 0; kh < s.kernelH; ++kh) {
      for (int64_t kw = 0; kw < s.kernelW; ++kw) {
        const float *row =
            col + ((c * s.kernelH + kh) * s.kernelW + kw) * ldcol;
        auto [offsetW, owBegin, owEnd] = insideColumns(s, kw, outW);
        for (int64_t oh = 0; oh < outH; ++oh) {
          int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
          if (ih < 0 || ih >= s.height)
            continue;
          float *out = plane + ih * s.width + offsetW;
          const float *in = row + oh * outW;
          if (s.strideW == 1)
            for (int64_t ow = owBegin; ow < owEnd; ++ow)
              out[ow] += in[ow];
          else
            for (int64_t ow = owBegin; ow < owEnd; ++ow)
              out[ow * s.strideW] += in[ow];
        }
      }
    }
  }
}

/// Images per GEMM call of the forward product, the input gradient and
/// the weight gradient.
/// One call per image packs the weights again for every image, which
/// costs as much as the product when images are small (a ResNet's last
/// layers: 7x7 or 4x4 pixels against 2304 taps); side by side in the
/// GEMM's pixel dimension, a few images make it kMinColumns wide and
/// share one packing. Every element still sums its taps in the same order,
/// so the results are bitwise those of one image at a time.
int64_t imagesPerCall(const GroupDims &d, int64_t images) {
  constexpr int64_t kMinColumns = 256;
  return std::clamp<int64_t>((kMinColumns + d.pixels - 1) / d.pixels, 1,
                             std::max<int64_t>(images, 1));
}

/// A depthwise convolution: one filter per input channel (groups ==
/// channels == filters), each a GEMM of one row that would fill one of
/// twelve rows of a register tile (1 to 4% of the peak). Computed directly
/// instead, an output row at a time, so that the loops over a row's
/// columns vectorise.
bool isDepthwise(const Conv2dShape &s) {
  return s.groups == s.channels && s.filters == s.channels;
}

enum class DepthwisePass { Forward, GradInput, GradWeight };

/// What a depthwise pass reads and writes: Forward x, weight, bias -> y;
/// GradInput dy, weight -> dx; GradWeight x, dy -> dweight. `begin` and
/// `end` are images (Forward, GradInput) or channels (GradWeight).
struct DepthwiseArgs {
  const Conv2dShape *s;
  const ColumnSpan *spans; ///< insideColumns of each kw
  const float *x, *dy, *weight, *bias;
  float *y, *dx, *dweight;
  int64_t begin, end;
};

/// The three passes, every product a fused multiply-add so every CPU rounds
/// alike, each output summed in one fixed order whatever the range:
/// forward, a row's bias (or 0) then its taps (kh, kw); input gradient,
/// each input row the taps of the output rows (oh, kh, kw) that read it;
/// weight gradient, 16 lanes of partial sums (lane l takes the columns
/// ow = l mod 16) over images and rows, then the lanes in order. Inlined
/// into a version for each vector width: the library is built for baseline
/// x86-64. Rows never overlap what they read.
template <int64_t Stride>
__attribute__((always_inline)) inline void
depthwisePass(DepthwisePass pass, const DepthwiseArgs &a) {
  const Conv2dShape &s = *a.s;
  const int64_t outH = s.outHeight(), outW = s.outWidth();
  const int64_t image = s.height * s.width, pixels = outH * outW;
  const int64_t taps = s.kernelH * s.kernelW;
  const int64_t stride = Stride > 0 ? Stride : s.strideW;
  // For each output row oh and kernel row kh, the input row it reads, or
  // -1 past the image.
  auto inputRow = [&](int64_t oh, int64_t kh) {
    int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
    return ih < 0 || ih >= s.height ? -1 : ih;
  };
  if (pass == DepthwisePass::GradWeight) {
    for (int64_t c = a.begin; c < a.end; ++c) {
      for (int64_t t = 0; t < taps; ++t) {
        int64_t kh = t / s.kernelW, kw = t % s.kernelW;
        const ColumnSpan &span = a.spans[kw];
        float lanes[16] = {};
        for (int64_t n = 0; n < s.batch; ++n) {
          const float *plane = a.x + (n * s.channels + c) * image;
          const float *grad = a.dy + (n * s.channels + c) * pixels;
          for (int64_t oh = 0; oh < outH; ++oh) {
            int64_t ih = inputRow(oh, kh);
            if (ih < 0)
              continue;
            const float *__restrict in = plane + ih * s.width + span.offset;
            const float *__restrict g = grad + oh * outW;
            // Blocks of 16 columns from column 0, so that lane l takes
            // column 16 b + l; columns outside the span are left out
            // (masked lanes of the vector).
            for (int64_t b = span.begin / 16 * 16; b < span.end; b += 16)
              for (int64_t l = 0; l < 16; ++l) {
                int64_t ow = b + l;
                if (ow >= span.begin && ow < span.end)
                  lanes[l] = std::fma(g[ow], in[ow * stride], lanes[l]);
              }
          }
        }
        float sum = 0;
        for (float lane : lanes)
          sum += lane;
        a.dweight[c * taps + t] = sum;
      }
    }
    return;
  }
  for (int64_t n = a.begin; n < a.end; ++n) {
    for (int64_t c = 0; c < s.channels; ++c) {
      const float *w = a.weight + c * taps;
      if (pass == DepthwisePass::Forward) {
        const float *plane = a.x + (n * s.channels + c) * image;
        float *out = a.y + (n * s.channels + c) * pixels;
        float start = a.bias ? a.bias[c] : 0.0f;
        for (int64_t oh = 0; oh < outH; ++oh) {
          float *__restrict row = out + oh * outW;
          std::fill(row, row + outW, start);
          for (int64_t kh = 0; kh < s.kernelH; ++kh) {
            int64_t ih = inputRow(oh, kh);
            if (ih < 0)
              continue;
            for (int64_t kw = 0; kw < s.kernelW; ++kw) {
              const ColumnSpan &span = a.spans[kw];
              const float *__restrict in = plane + ih * s.width + span.offset;
              float tap = w[kh * s.kernelW + kw];
              for (int64_t ow = span.begin; ow < span.end; ++ow)
                row[ow] = std::fma(tap, in[ow * stride], row[ow]);
            }
          }
        }
        continue;
      }
      const float *grad = a.dy + (n * s.channels + c) * pixels;
      float *plane = a.dx + (n * s.channels + c) * image;
      std::fill(plane, plane + image, 0.0f);
      for (int64_t oh = 0; oh < outH; ++oh) {
        const float *__restrict g = grad + oh * outW;
        for (int64_t kh = 0; kh < s.kernelH; ++kh) {
          int64_t ih = inputRow(oh, kh);
          if (ih < 0)
            continue;
          for (int64_t kw = 0; kw < s.kernelW; ++kw) {
            const ColumnSpan &span = a.spans[kw];
            float *__restrict row = plane + ih * s.width + span.offset;
            float tap = w[kh * s.kernelW + kw];
            for (int64_t ow = span.begin; ow < span.end; ++ow)
              row[ow * stride] = std::fma(tap, g[ow], row[ow * stride]);
          }
        }
      }
    }
  }
}

__attribute__((target("avx512f"))) void
depthwiseAvx512(DepthwisePass pass, const DepthwiseArgs &a) {
  a.s->strideW == 1 ? depthwisePass<1>(pass, a) : depthwisePass<0>(pass, a);
}

__attribute__((target("avx2,fma"))) void depthwiseAvx2(DepthwisePass pass,
                                                       const DepthwiseArgs &a) {
  a.s->strideW == 1 ? depthwisePass<1>(pass, a) : depthwisePass<0>(pass, a);
}

void depthwiseBaseline(DepthwisePass pass, const DepthwiseArgs &a) {
  depthwisePass<0>(pass, a);
}

/// Runs `pass` in the widest version this CPU runs.
void depthwise(DepthwisePass pass, DepthwiseArgs a) {
  static void (*const version)(DepthwisePass, const DepthwiseArgs &) =
      __builtin_cpu_supports("avx512f") ? depthwiseAvx512
      : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
          ? depthwiseAvx2
          : depthwiseBaseline;
  a.spans = columnSpans(*a.s);
  version(pass, a);
}

/// im2col's columns written straight into the GEMM's packed layout
/// (GemmProblem::bPanels): column p of col [depth, N] (pixel p of the
/// images side by side, this image's first at `firstPixel`) goes to lane
/// p % width of panel p / width, whose rows are `width` floats apart and
/// which starts at panels + (p / width) * depth * width. Packing col after
/// writing it took as long as writing it (a 3x3 convolution, 32 -> 32
/// channels on 32x32 images). A panel at a time, a run of an output row at
/// a time, every tap: the panel's writes are sequential, and the input rows
/// a run reads stay in L1.
void im2colPanels(const Conv2dShape &s, const GroupDims &d, const float *x,
                  float *panels, int64_t width, int64_t firstPixel) {
  const int64_t outW = s.outWidth();
  const int64_t panelStride = d.depth * width;
  // Once per call, not per run and tap: runs are short (28 columns of a
  // 28-wide row are a run of 28 and one of 4, or two of 14).
  const ColumnSpan *spans = columnSpans(s);
  for (int64_t pixel = 0; pixel < d.pixels;) {
    int64_t p = firstPixel + pixel;
    int64_t oh = pixel / outW, ow = pixel % outW;
    // The run: to the end of the panel or of the output row.
    int64_t lane = p % width;
    int64_t owEnd = std::min(outW, ow + (width - lane));
    float *run = panels + (p / width) * panelStride + lane;
    for (int64_t c = 0; c < d.channels; ++c) {
      const float *plane = x + c * d.image;
      for (int64_t kh = 0; kh < s.kernelH; ++kh) {
        int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
        bool rowInside = ih >= 0 && ih < s.height;
        for (int64_t kw = 0; kw < s.kernelW; ++kw) {
          int64_t k = (c * s.kernelH + kh) * s.kernelW + kw;
          auto [offsetW, insideBegin, insideEnd] = spans[kw];
          // dst[i] is output column i of the row.
          float *dst = run + k * width - ow;
          int64_t copyBegin =
              rowInside ? std::clamp(insideBegin, ow, owEnd) : owEnd;
          int64_t copyEnd =
              rowInside ? std::clamp(insideEnd, copyBegin, owEnd) : owEnd;
          // Outside the image's rows `in` is never read, so never formed.
          const float *in =
              rowInside ? plane + ih * s.width + offsetW : nullptr;
          writeTapRun(in, s.strideW, dst, ow, copyBegin, copyEnd, owEnd);
        }
      }
    }
    pixel += owEnd - ow;
  }
}

} // namespace

bool Conv2dShape::valid() const {
  if (batch < 0 || channels <= 0 || height <= 0 || width <= 0 || filters <= 0 ||
      kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 ||
      padH < 0 || padW < 0 || dilationH <= 0 || dilationW <= 0 || groups <= 0 ||
      channels % groups != 0 || filters % groups != 0)
    return false;
  return height + 2 * padH >= dilationH * (kernelH - 1) + 1 &&
         width + 2 * padW >= dilationW * (kernelW - 1) + 1;
}

void conv2dForward(const GemmKernels &kernels, const Conv2dShape &s,
                   const float *x, const float *weight, const float *bias,
                   float *y, int64_t batchBegin, int64_t batchEnd) {
  if (conv2dForwardDirectFits(s)) {
    conv2dForwardDirect(s, x, weight, bias, y, batchBegin, batchEnd);
    return;
  }
  if (isDepthwise(s)) {
    depthwise(DepthwisePass::Forward, {&s, nullptr, x, nullptr, weight, bias, y,
                                       nullptr, nullptr, batchBegin, batchEnd});
    return;
  }
  GroupDims d = groupDims(s);
  const int64_t block = imagesPerCall(d, batchEnd - batchBegin);
  // Images side by side: col [depth, block * pixels], image j's columns
  // from j * pixels; the product goes to `out` [filters, block * pixels]
  // and from there to each image's planes.
  const int64_t ld = block * d.pixels;
  // Where the GEMM would pack col, im2col writes it packed instead, if
  // panels hold whole runs of output rows: with rows that straddle them
  // (28 wide, panels of 32), the runs are too short to beat writing col
  // then packing it (a 5x5 convolution on 28x28 images: 1.26 times the
  // time).
  const int64_t width = gemmPanelWidth(kernels);
  const bool intoPanels =
      !d.direct && s.outWidth() % width == 0 &&
      !readsBInPlace(kernels, /*transB=*/false, d.depth, ld, ld, d.filters,
                     kernels.bInPlaceRowTiles);
  const int64_t colColumns = intoPanels ? (ld + width - 1) / width * width : ld;
  float *col =
      d.direct && block == 1
          ? nullptr
          : threadScratch(ScratchSlot::Columns, size_t(d.depth * colColumns));
  float *out =
      block == 1 ? nullptr
                 : threadScratch(ScratchSlot::Results, size_t(d.filters * ld));
  for (int64_t n = batchBegin; n < batchEnd; n += block) {
    int64_t images = std::min(block, batchEnd - n);
    for (int64_t g = 0; g < s.groups; ++g) {
      auto xOf = [&](int64_t image) {
        return x + (image * s.channels + g * d.channels) * d.image;
      };
      auto yOf = [&](int64_t image) {
        return y + (image * s.filters + g * d.filters) * d.pixels;
      };
      for (int64_t j = 0; j < images; ++j) {
        if (intoPanels)
          im2colPanels(s, d, xOf(n + j), col, width, j * d.pixels);
        else if (!d.direct)
          im2col(s, d, xOf(n + j), col + j * d.pixels, ld);
        else if (block > 1)
          for (int64_t c = 0; c < d.channels; ++c)
            std::copy(xOf(n + j) + c * d.image, xOf(n + j) + (c + 1) * d.image,
                      col + c * ld + j * d.pixels);
      }
      float *c = block == 1 ? yOf(n) : out;
      if (bias)
        for (int64_t f = 0; f < d.filters; ++f)
          std::fill(c + f * ld, c + f * ld + images * d.pixels,
                    bias[g * d.filters + f]);
      GemmProblem p;
      p.m = d.filters;
      p.n = images * d.pixels;
      p.k = d.depth;
      p.a = weight + g * d.filters * d.depth;
      p.lda = d.depth;
      p.b = col ? col : xOf(n);
      p.ldb = col ? ld : d.pixels;
      if (intoPanels)
        p.bPanels = col;
      p.c = c;
      p.ldc = ld;
      p.accumulate = bias != nullptr;
      gemmBlock(kernels, p, 0, p.m, 0, p.n);
      if (block > 1)
        for (int64_t j = 0; j < images; ++j)
          for (int64_t f = 0; f < d.filters; ++f)
            std::copy(out + f * ld + j * d.pixels,
                      out + f * ld + (j + 1) * d.pixels,
                      yOf(n + j) + f * d.pixels);
    }
  }
}

void conv2dGradInput(const GemmKernels &kernels, const Conv2dShape &s,
                     const float *dy, const float *weight, float *dx,
                     int64_t batchBegin, int64_t batchEnd) {
  if (isDepthwise(s)) {
    depthwise(DepthwisePass::GradInput,
              {&s, nullptr, nullptr, dy, weight, nullptr, nullptr, dx, nullptr,
               batchBegin, batchEnd});
    return;
  }
  GroupDims d = groupDims(s);
  const int64_t block = imagesPerCall(d, batchEnd - batchBegin);
  // Images side by side, as in the forward product: dy's planes gathered
  // into `in` [filters, block * pixels], the product into col [depth,
  // block * pixels], each image's columns added back into its planes.
  const int64_t ld = block * d.pixels;
  float *col = d.direct && block == 1
                   ? nullptr
                   : threadScratch(ScratchSlot::Columns, size_t(d.depth * ld));
  float *in = block == 1
                  ? nullptr
                  : threadScratch(ScratchSlot::Results, size_t(d.filters * ld));
  for (int64_t n = batchBegin; n < batchEnd; n += block) {
    int64_t images = std::min(block, batchEnd - n);
    for (int64_t g = 0; g < s.groups; ++g) {
      auto dxOf = [&](int64_t image) {
        return dx + (image * s.channels + g * d.channels) * d.image;
      };
      auto dyOf = [&](int64_t image) {
        return dy + (image * s.filters + g * d.filters) * d.pixels;
      };
      if (block > 1)
        for (int64_t j = 0; j < images; ++j)
          for (int64_t f = 0; f < d.filters; ++f)
            std::copy(dyOf(n + j) + f * d.pixels,
                      dyOf(n + j) + (f + 1) * d.pixels,
                      in + f * ld + j * d.pixels);
      GemmProblem p;
      p.transA = true;
      p.m = d.depth;
      p.n = images * d.pixels;
      p.k = d.filters;
      p.a = weight + g * d.filters * d.depth;
      p.lda = d.depth;
      p.b = block == 1 ? dyOf(n) : in;
      p.ldb = ld;
      p.c = col ? col : dxOf(n);
      p.ldc = ld;
      gemmBlock(kernels, p, 0, p.m, 0, p.n);
      for (int64_t j = 0; j < images && col; ++j) {
        float *dxg = dxOf(n + j);
        if (d.direct) {
          for (int64_t c = 0; c < d.channels; ++c)
            std::copy(col + c * ld + j * d.pixels,
                      col + c * ld + (j + 1) * d.pixels, dxg + c * d.image);
          continue;
        }
        std::fill(dxg, dxg + d.channels * d.image, 0.0f);
        col2imAdd(s, d, col + j * d.pixels, ld, dxg);
      }
    }
  }
}

void conv2dGradWeight(const GemmKernels &kernels, const Conv2dShape &s,
                      const float *x, const float *dy, float *dweight,
                      int64_t filterBegin, int64_t filterEnd) {
  if (conv2dGradWeightDirectFits(s, filterBegin, filterEnd)) {
    conv2dGradWeightDirect(s, x, dy, dweight, filterBegin, filterEnd);
    return;
  }
  if (isDepthwise(s)) {
    depthwise(DepthwisePass::GradWeight,
              {&s, nullptr, x, dy, nullptr, nullptr, nullptr, nullptr, dweight,
               filterBegin, filterEnd});
    return;
  }
  GroupDims d = groupDims(s);
  // Images side by side in the GEMM's depth (k): dy's rows gathered into
  // `a` [filters, block * pixels], and B = col^T stacked image after image
  // ([block * pixels, depth]; for a 1x1 convolution x's planes, read
  // transposed, [depth, block * pixels]). One image a call wrote all of dW
  // back per image, a k of 16 pixels against 2304 taps. The sum over
  // images and pixels runs in one fixed order whatever the filter range.
  const int64_t block = imagesPerCall(d, s.batch);
  const int64_t ld = block * d.pixels;
  float *col = threadScratch(ScratchSlot::Columns, size_t(d.depth * ld));
  float *a = threadScratch(ScratchSlot::Results, size_t(d.filters * ld));
  for (int64_t g = filterBegin / d.filters; g * d.filters < filterEnd; ++g) {
    // The filters of group g inside the range, as rows of its GEMM.
    int64_t rowBegin = std::max(filterBegin - g * d.filters, int64_t(0));
    int64_t rowEnd = std::min(filterEnd - g * d.filters, d.filters);
    float *dwg = dweight + g * d.filters * d.depth;
    if (s.batch == 0) {
      std::fill(dwg + rowBegin * d.depth, dwg + rowEnd * d.depth, 0.0f);
      continue;
    }
    for (int64_t n = 0; n < s.batch; n += block) {
      int64_t images = std::min(block, s.batch - n);
      for (int64_t j = 0; j < images; ++j) {
        const float *xg = x + ((n + j) * s.channels + g * d.channels) * d.image;
        const float *dyg =
            dy + ((n + j) * s.filters + g * d.filters) * d.pixels;
        for (int64_t f = rowBegin; f < rowEnd; ++f)
          std::copy(dyg + f * d.pixels, dyg + (f + 1) * d.pixels,
                    a + f * ld + j * d.pixels);
        // Built transposed ([pixels, depth]), col^T is read in place for
        // up to two row tiles of filters, where col [depth, pixels] would
        // be transposed into panels on every call.
        if (!d.direct)
          im2colTransposed(s, d, xg, col + j * d.pixels * d.depth);
        else
          for (int64_t c = 0; c < d.channels; ++c)
            std::copy(xg + c * d.image, xg + (c + 1) * d.image,
                      col + c * ld + j * d.pixels);
      }
      GemmProblem p;
      p.transB = d.direct;
      p.m = d.filters;
      p.n = d.depth;
      p.k = images * d.pixels;
      p.a = a;
      p.lda = ld;
      p.b = col;
      p.ldb = d.direct ? ld : d.depth;
      p.c = dwg;
      p.ldc = d.depth;
      p.accumulate = n > 0;
      gemmBlock(kernels, p, rowBegin, rowEnd, 0, p.n);
    }
  }
}

} // namespace nnc::cpu
