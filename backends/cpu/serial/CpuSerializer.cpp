//===- CpuSerializer.cpp - cpu executables to bytes and back --------------===//

#include "backends/cpu/serial/CpuSerializer.h"

#include "backends/cpu/serial/cpu_executable_generated.h"

#include "backends/cpu/gemm/Pool2d.h"

#include "runtime/Artifact.h"
#include "runtime/FlatBufferVectors.h"
#include "runtime/SealedBytes.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace nnc::cpu {

namespace {

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

using Builder = flatbuffers::FlatBufferBuilder;

template <typename T>
flatbuffers::Offset<flatbuffers::Vector<int64_t>>
longs(Builder &b, const std::vector<T> &values) {
  std::vector<int64_t> copy(values.begin(), values.end());
  return b.CreateVector(copy);
}

flatbuffers::Offset<fb::Conv2dShape> writeConv(Builder &b,
                                               const Conv2dShape &c) {
  return fb::CreateConv2dShape(b, c.batch, c.channels, c.height, c.width,
                               c.filters, c.kernelH, c.kernelW, c.strideH,
                               c.strideW, c.padH, c.padW, c.dilationH,
                               c.dilationW, c.groups);
}

flatbuffers::Offset<fb::AttentionShape>
writeAttention(Builder &b, const AttentionShape &a) {
  std::vector<flatbuffers::Offset<fb::HeadLayout>> layouts;
  for (const HeadLayout &layout : a.layouts)
    layouts.push_back(
        fb::CreateHeadLayout(b, longs(b, layout.headOffset), layout.rowStride));
  return fb::CreateAttentionShape(b, a.heads, a.queries, a.keys, a.depth,
                                  a.valueDepth, a.scale, a.causal,
                                  longs(b, a.maskHeadOffset), a.maskRowStride,
                                  a.maskColumnStride, b.CreateVector(layouts));
}

flatbuffers::Offset<fb::Head> writeHead(Builder &b, const ContractionHead &h) {
  auto lhsIndex = longs(b, h.lhsIndex);
  auto rhsIndex = longs(b, h.rhsIndex);
  auto conv = writeConv(b, h.conv);
  bool attention = !h.attentionBuffers.empty();
  auto attentionShape = attention ? writeAttention(b, h.attention) : 0;
  auto attentionBuffers = attention ? longs(b, h.attentionBuffers) : 0;
  return fb::CreateHead(b, static_cast<uint8_t>(h.kind), h.lhs, h.rhs, h.bias,
                        h.out, h.rows, h.rowElements, h.transA, h.transB, h.m,
                        h.n, h.k, h.lda, h.ldb, h.matrices, lhsIndex, rhsIndex,
                        conv, h.columns, h.kParts, attentionShape,
                        attentionBuffers, h.splitsInside);
}

flatbuffers::Offset<fb::EntryPoint>
writeEntry(Builder &b, int64_t module, const std::string &symbol) {
  if (symbol.empty())
    return 0;
  return fb::CreateEntryPoint(b, static_cast<uint32_t>(module),
                              b.CreateString(symbol));
}

flatbuffers::Offset<fb::Kernel> writeKernel(Builder &b, const CpuKernel &k,
                                            int64_t module) {
  auto whole = writeEntry(b, module, k.wholeSymbol);
  auto chunk = writeEntry(b, module, k.chunkSymbol);
  auto tail = writeEntry(b, module, k.tailSymbol);
  auto rowBytes = longs(b, k.rowBytes);
  std::vector<flatbuffers::Offset<fb::DataCheck>> checks;
  for (const DataCheck &c : k.checks)
    checks.push_back(fb::CreateDataCheck(
        b, static_cast<uint8_t>(c.kind), c.buffer,
        static_cast<int32_t>(c.dtype), c.count, c.bound, b.CreateString(c.op),
        c.ignored.has_value(), c.ignored.value_or(0)));
  auto checkVector = b.CreateVector(checks);
  auto head = writeHead(b, k.head);
  auto jitBuffers = longs(b, k.jitBuffers);
  auto label = b.CreateString(k.label);
  auto bufferBytes = longs(b, k.bufferBytes);
  return fb::CreateKernel(b, k.numBuffers, k.range, k.rows, k.chunkRows, whole,
                          chunk, tail, rowBytes, checkVector, head, jitBuffers,
                          label, bufferBytes, k.viewOnly);
}

flatbuffers::Offset<fb::SharedObject> writeObject(Builder &b,
                                                  const std::string &bytes) {
  auto data = b.CreateVector(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  return fb::CreateSharedObject(b, data);
}

flatbuffers::Offset<fb::Target> writeTarget(Builder &b,
                                            const LinkedTarget &t) {
  std::vector<flatbuffers::Offset<fb::SharedObject>> modules;
  for (const std::string &module : t.modules)
    modules.push_back(writeObject(b, module));
  auto moduleVector = b.CreateVector(modules);
  auto gemm = t.gemm.empty() ? 0 : writeObject(b, t.gemm);
  auto cpu = b.CreateString(t.target.cpu);
  auto features = b.CreateVectorOfStrings(t.target.features);
  auto isa = b.CreateString(t.gemmIsa);
  return fb::CreateTarget(b, cpu, features, moduleVector, gemm, isa, t.gemmMr,
                          t.gemmNr);
}

} // namespace

std::string serializeExecutable(const std::vector<const CpuKernel *> &kernels,
                                const std::vector<int64_t> &moduleOf,
                                const std::vector<LinkedTarget> &targets) {
  Builder b;
  std::vector<flatbuffers::Offset<fb::Kernel>> kernelOffsets;
  for (size_t i = 0; i < kernels.size(); ++i)
    kernelOffsets.push_back(writeKernel(b, *kernels[i], moduleOf[i]));
  auto kernelVector = b.CreateVector(kernelOffsets);
  std::vector<flatbuffers::Offset<fb::Target>> targetOffsets;
  for (const LinkedTarget &target : targets)
    targetOffsets.push_back(writeTarget(b, target));
  auto targetVector = b.CreateVector(targetOffsets);
  b.Finish(fb::CreateExecutable(b, kCpuFormatVersion, kernelVector,
                                targetVector),
           fb::ExecutableIdentifier());
  // Sealed with its digest: the code runs as it is, so a damaged
  // executable must never reach the loader.
  return rt::seal(b.GetBufferPointer(), b.GetSize());
}

namespace {

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

rt::Error bad(const std::string &what) {
  return rt::Error::failure("corrupt cpu executable: " + what);
}

std::string str(const flatbuffers::String *s) {
  return s ? s->str() : std::string();
}


/// Buffer counts and extents far beyond any real graph are corruption;
/// bounding them keeps every later product within int64_t.
constexpr int64_t kMaxBuffers = 1 << 20;
constexpr int64_t kMaxExtent = int64_t(1) << 40;

bool inExtent(int64_t value, int64_t low = 0) {
  return value >= low && value <= kMaxExtent;
}

rt::Error readConv(const fb::Conv2dShape *c, bool pooling,
                   Conv2dShape &shape) {
  if (!c)
    return bad("a convolution head has no shape");
  shape.batch = c->batch();
  shape.channels = c->channels();
  shape.height = c->height();
  shape.width = c->width();
  shape.filters = c->filters();
  shape.kernelH = c->kernel_h();
  shape.kernelW = c->kernel_w();
  shape.strideH = c->stride_h();
  shape.strideW = c->stride_w();
  shape.padH = c->pad_h();
  shape.padW = c->pad_w();
  shape.dilationH = c->dilation_h();
  shape.dilationW = c->dilation_w();
  shape.groups = c->groups();
  for (int64_t v : {shape.batch, shape.channels, shape.height, shape.width,
                    shape.filters, shape.kernelH, shape.kernelW, shape.strideH,
                    shape.strideW, shape.dilationH, shape.dilationW,
                    shape.groups})
    if (!inExtent(v, 1) || v > (1 << 20))
      return bad("a convolution extent is out of range");
  if (!inExtent(shape.padH) || !inExtent(shape.padW) || shape.padH > (1 << 20) ||
      shape.padW > (1 << 20) ||
      !(pooling ? validPool2d(shape) : shape.valid()))
    return bad("the convolution or pooling shape is invalid");
  return rt::Error::success();
}

/// An attention head: its sizes, and its buffers as its kind needs them.
rt::Error readAttention(const fb::Head *h, int64_t numBuffers,
                        ContractionHead &head) {
  const fb::AttentionShape *a = h->attention();
  if (!a)
    return bad("an attention head has no shape");
  AttentionShape &shape = head.attention;
  shape.heads = a->heads();
  shape.queries = a->queries();
  shape.keys = a->keys();
  shape.depth = a->depth();
  shape.valueDepth = a->value_depth();
  shape.scale = a->scale();
  shape.causal = a->causal();
  shape.maskHeadOffset = rt::copyInt64s(a->mask_head_offset());
  shape.maskRowStride = a->mask_row_stride();
  shape.maskColumnStride = a->mask_column_stride();
  for (int64_t v :
       {shape.heads, shape.queries, shape.keys, shape.depth, shape.valueDepth})
    if (!inExtent(v, 1) || v > (1 << 24))
      return bad("an attention extent is out of range");
  if (!std::isfinite(shape.scale))
    return bad("an attention scale is not finite");
  head.attentionBuffers = rt::copyInt64s(h->attention_buffers());
  using B = ContractionHead;
  if (head.attentionBuffers.size() != B::DV + 1)
    return bad("an attention head has the wrong number of buffers");
  bool grad = head.kind == ContractionHead::Kind::AttentionGrad;
  for (size_t i = 0; i < head.attentionBuffers.size(); ++i) {
    int64_t index = head.attentionBuffers[i];
    bool needed = i <= B::V || (grad && i != B::Mask);
    bool allowed = needed || i == B::Mask;
    if (index == -1 ? needed : !allowed || index < 0 || index >= numBuffers)
      return bad("an attention head's buffer index is out of range");
  }
  bool masked = head.attentionBuffers[B::Mask] >= 0;
  if (masked != !shape.maskHeadOffset.empty() ||
      (masked &&
       shape.maskHeadOffset.size() != static_cast<size_t>(shape.heads)))
    return bad("an attention mask's offsets do not match its heads");
  for (int64_t v : shape.maskHeadOffset)
    if (!inExtent(v))
      return bad("an attention mask offset is out of range");
  if (!inExtent(shape.maskRowStride) || !inExtent(shape.maskColumnStride) ||
      shape.maskRowStride > (1 << 24) || shape.maskColumnStride > (1 << 24))
    return bad("an attention mask stride is out of range");
  if (const auto *layouts = a->layouts()) {
    if (layouts->size() != kAttentionOperands)
      return bad("an attention head has the wrong number of layouts");
    for (flatbuffers::uoffset_t i = 0; i < layouts->size(); ++i) {
      const fb::HeadLayout *l = layouts->Get(i);
      if (!l)
        return bad("an attention layout is missing");
      HeadLayout &layout = shape.layouts[i];
      layout.headOffset = rt::copyInt64s(l->head_offset());
      layout.rowStride = l->row_stride();
      if (layout.headOffset.empty())
        continue;
      auto operand = static_cast<AttentionOperand>(i);
      if (layout.headOffset.size() != static_cast<size_t>(shape.heads) ||
          layout.rowStride < shape.columnsOf(operand) ||
          layout.rowStride > (1 << 24))
        return bad("an attention layout does not match its heads");
      for (int64_t v : layout.headOffset)
        if (!inExtent(v))
          return bad("an attention layout offset is out of range");
    }
  }
  if (head.rows != shape.heads ||
      head.rowElements !=
          shape.queries * (grad ? shape.depth : shape.valueDepth) ||
      head.out != (grad ? head.attentionBuffers[B::DQ] : head.out) ||
      head.out < 0)
    return bad("an attention head's rows do not match its shape");
  return rt::Error::success();
}

rt::Error readHead(const fb::Head *h, int64_t numBuffers,
                   ContractionHead &head) {
  if (!h)
    return rt::Error::success();
  if (h->kind() > static_cast<uint8_t>(ContractionHead::Kind::AttentionGrad))
    return bad("unknown head kind " + std::to_string(h->kind()));
  head.kind = static_cast<ContractionHead::Kind>(h->kind());
  if (head.kind == ContractionHead::Kind::None)
    return rt::Error::success();
  head.lhs = h->lhs();
  head.rhs = h->rhs();
  head.bias = h->bias();
  head.out = h->out();
  head.rows = h->rows();
  head.rowElements = h->row_elements();
  head.transA = h->trans_a();
  head.transB = h->trans_b();
  head.m = h->m();
  head.n = h->n();
  head.k = h->k();
  head.lda = h->lda();
  head.ldb = h->ldb();
  head.matrices = h->matrices();
  head.columns = h->columns();
  head.kParts = h->k_parts();
  head.splitsInside = h->parallel_columns();
  head.lhsIndex = rt::copyInt64s(h->lhs_index());
  head.rhsIndex = rt::copyInt64s(h->rhs_index());
  auto buffer = [&](int64_t index, bool optional) {
    return (optional && index == -1) || (index >= 0 && index < numBuffers);
  };
  if (!buffer(head.lhs, false) || !buffer(head.rhs, false) ||
      !buffer(head.bias, true) || !buffer(head.out, true))
    return bad("a head's buffer index is out of range");
  if (!inExtent(head.rows, 1) || !inExtent(head.rowElements, 1) ||
      head.rows > kMaxExtent / head.rowElements)
    return bad("a head's extent is out of range");
  if (head.kind != ContractionHead::Kind::Matmul) {
    if (head.columns || head.kParts != 1 || head.splitsInside)
      return bad("only a matmul head splits by columns or blocks of k");
    if (head.kind == ContractionHead::Kind::Attention ||
        head.kind == ContractionHead::Kind::AttentionGrad)
      return readAttention(h, numBuffers, head);
    bool pooling = head.kind == ContractionHead::Kind::MaxPool2d ||
                   head.kind == ContractionHead::Kind::MaxPool2dGrad;
    return readConv(h->conv(), pooling, head.conv);
  }
  for (int64_t v : {head.m, head.n, head.k, head.lda, head.ldb})
    if (!inExtent(v) || v > (1 << 24))
      return bad("a matmul extent is out of range");
  if (!inExtent(head.matrices, 1) || head.matrices > (1 << 24))
    return bad("a matmul's matrix count is out of range");
  if (head.lda < (head.transA ? head.m : head.k) ||
      head.ldb < (head.transB ? head.k : head.n))
    return bad("a matmul's leading dimension is too small");
  if (head.splitsInside &&
      (head.columns || head.kParts != 1 || !head.lhsIndex.empty() ||
       head.matrices != 1 || head.m < 2 || head.rows != head.m ||
       head.rowElements != head.n))
    return bad("a matmul that splits its work inside is not one 2-D "
               "product of several rows");
  if (head.kParts != 1) {
    // One row reduced over blocks of k inside the kernel.
    if (head.kParts < 1 || head.kParts > head.k ||
        head.kParts > ContractionHead::kMaxKParts ||
        head.columns || head.m != 1 || head.transB ||
        !head.lhsIndex.empty() || head.matrices != 1 || head.rows != 1 ||
        head.rowElements != head.n)
      return bad("a matmul reduced over blocks of k is not one row");
    return rt::Error::success();
  }
  if (head.columns) {
    // One row split by columns: [first, last) are columns of H.
    if (head.m != 1 || !head.lhsIndex.empty() || head.matrices != 1 ||
        head.rows != head.n || head.rowElements != 1)
      return bad("a column-split matmul is not one row");
    return rt::Error::success();
  }
  if (head.rowElements != head.matrices * head.m * head.n &&
      !(head.lhsIndex.empty() && head.rowElements == head.n))
    return bad("a matmul's rows do not match its products");
  if (head.lhsIndex.size() != head.rhsIndex.size())
    return bad("a batched matmul's operand indices disagree");
  if (!head.lhsIndex.empty()) {
    if (head.lhsIndex.size() !=
        static_cast<size_t>(head.rows * head.matrices))
      return bad("a batched matmul has the wrong number of operand indices");
    for (size_t i = 0; i < head.lhsIndex.size(); ++i)
      if (!inExtent(head.lhsIndex[i]) || !inExtent(head.rhsIndex[i]) ||
          head.lhsIndex[i] > (1 << 24) || head.rhsIndex[i] > (1 << 24))
        return bad("a batched matmul's operand index is out of range");
  } else if (head.rows != head.m) {
    return bad("a matmul's rows do not match m");
  }
  return rt::Error::success();
}

rt::Error readCheck(const fb::DataCheck *c, int64_t numBuffers,
                    DataCheck &check) {
  if (!c)
    return bad("a data check is missing");
  if (c->kind() > static_cast<uint8_t>(DataCheck::Kind::AtLeastOne))
    return bad("unknown data check kind");
  check.kind = static_cast<DataCheck::Kind>(c->kind());
  check.buffer = c->buffer();
  if (c->dtype() < NNC_F32 || c->dtype() > NNC_U8)
    return bad("unknown data check dtype");
  check.dtype = static_cast<nnc_dtype>(c->dtype());
  check.count = c->count();
  check.bound = c->bound();
  check.op = str(c->op());
  if (c->has_ignored())
    check.ignored = c->ignored();
  if (check.buffer < 0 || check.buffer >= numBuffers ||
      !inExtent(check.count))
    return bad("a data check's buffer or count is out of range");
  return rt::Error::success();
}

rt::Error readEntry(const fb::EntryPoint *entry, int64_t &module,
                    std::string &symbol) {
  if (!entry)
    return rt::Error::success();
  if (!entry->symbol() || entry->symbol()->size() == 0)
    return bad("an entry point has no symbol");
  if (module >= 0 && module != int64_t(entry->module_index()))
    return bad("a kernel's entry points are in different modules");
  module = entry->module_index();
  symbol = entry->symbol()->str();
  return rt::Error::success();
}

int64_t dtypeBytes(nnc_dtype dtype) {
  return dtype == NNC_F64 || dtype == NNC_I64 ? 8 : dtype == NNC_U8 ? 1 : 4;
}

/// Elements of f32 the head reads from its lhs and rhs and writes to H.
struct HeadExtents {
  int64_t lhs = 0, rhs = 0, out = 0, bias = 0;
};

HeadExtents headExtents(const ContractionHead &h) {
  HeadExtents e;
  e.out = h.rows * h.rowElements;
  // Attention names its other buffers in attentionBuffers
  // (attentionExtents); H is its output (dq for the gradient), which it
  // may write through a layout.
  if (!h.attentionBuffers.empty()) {
    e.out = h.attention.extentOf(h.kind == ContractionHead::Kind::Attention
                                     ? AttentionOperand::Out
                                     : AttentionOperand::DQ);
    return e;
  }
  if (h.kind == ContractionHead::Kind::Matmul) {
    auto span = [](int64_t rows, int64_t cols, int64_t ld) {
      return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    };
    int64_t lhsSpan = h.transA ? span(h.k, h.m, h.lda) : span(h.m, h.k, h.lda);
    int64_t rhsSpan = h.transB ? span(h.n, h.k, h.ldb) : span(h.k, h.n, h.ldb);
    if (h.lhsIndex.empty()) {
      e.lhs = lhsSpan;
      e.rhs = rhsSpan;
      return e;
    }
    int64_t lhsLast = *std::max_element(h.lhsIndex.begin(), h.lhsIndex.end());
    int64_t rhsLast = *std::max_element(h.rhsIndex.begin(), h.rhsIndex.end());
    e.lhs = lhsLast * h.m * h.k + lhsSpan;
    e.rhs = rhsLast * h.k * h.n + rhsSpan;
    return e;
  }
  const Conv2dShape &c = h.conv;
  int64_t x = c.batch * c.channels * c.height * c.width;
  int64_t w = c.filters * (c.channels / c.groups) * c.kernelH * c.kernelW;
  int64_t y = c.batch * c.filters * c.outHeight() * c.outWidth();
  switch (h.kind) {
  case ContractionHead::Kind::Conv2d:
    e.lhs = x, e.rhs = w, e.bias = c.filters;
    break;
  case ContractionHead::Kind::Conv2dGradInput:
    e.lhs = y, e.rhs = w;
    break;
  case ContractionHead::Kind::MaxPool2d:
    e.lhs = x, e.rhs = x;
    break;
  default: // Conv2dGradWeight, MaxPool2dGrad: x and dy.
    e.lhs = x, e.rhs = y;
    break;
  }
  return e;
}

/// Elements of f32 an attention head reads or writes in each of its
/// buffers (ContractionHead::AttentionBuffer order).
std::vector<int64_t> attentionExtents(const ContractionHead &h) {
  const AttentionShape &a = h.attention;
  using O = AttentionOperand;
  int64_t mask = 0;
  if (!a.maskHeadOffset.empty())
    mask = *std::max_element(a.maskHeadOffset.begin(), a.maskHeadOffset.end()) +
           (a.queries - 1) * a.maskRowStride +
           (a.keys - 1) * a.maskColumnStride + 1;
  return {a.extentOf(O::Q),   a.extentOf(O::K),
          a.extentOf(O::V),   mask,
          a.extentOf(O::Out), a.extentOf(O::DOut),
          a.extentOf(O::DQ),  a.extentOf(O::DK),
          a.extentOf(O::DV)};
}

/// The rows and row size a convolution or pooling head must have.
bool convRowsMatch(const ContractionHead &h) {
  const Conv2dShape &c = h.conv;
  switch (h.kind) {
  case ContractionHead::Kind::Conv2d:
    return h.rows == c.batch &&
           h.rowElements == c.filters * c.outHeight() * c.outWidth();
  case ContractionHead::Kind::Conv2dGradInput:
    return h.rows == c.batch &&
           h.rowElements == c.channels * c.height * c.width;
  case ContractionHead::Kind::Conv2dGradWeight:
    return h.rows == c.filters &&
           h.rowElements == (c.channels / c.groups) * c.kernelH * c.kernelW;
  case ContractionHead::Kind::MaxPool2d:
    return h.rows == c.batch &&
           h.rowElements == c.channels * c.outHeight() * c.outWidth();
  case ContractionHead::Kind::MaxPool2dGrad:
    return h.rows == c.batch &&
           h.rowElements == c.channels * c.height * c.width;
  default:
    return true;
  }
}

/// Everything the kernel reads and writes lies within the buffer sizes it
/// was compiled for (which check_kernel_buffers then holds the plan to).
rt::Error checkKernelExtents(const CpuKernel &kernel) {
  auto fits = [&](int64_t buffer, int64_t bytes) {
    return buffer < 0 || bytes <= kernel.bufferBytes[size_t(buffer)];
  };
  for (const DataCheck &check : kernel.checks)
    if (!fits(check.buffer, check.count * dtypeBytes(check.dtype)))
      return bad("a data check reads past its buffer");
  const ContractionHead &head = kernel.head;
  bool hasHead = head.kind != ContractionHead::Kind::None;
  if (hasHead) {
    if (!convRowsMatch(head))
      return bad("a convolution head's rows do not match its shape");
    HeadExtents e = headExtents(head);
    if (!fits(head.lhs, e.lhs * 4) || !fits(head.rhs, e.rhs * 4) ||
        !fits(head.out, e.out * 4) || !fits(head.bias, e.bias * 4))
      return bad("a head reads or writes past its buffers");
    if (!head.attentionBuffers.empty()) {
      std::vector<int64_t> extents = attentionExtents(head);
      for (size_t i = 0; i < extents.size(); ++i)
        if (!fits(head.attentionBuffers[i], extents[i] * 4))
          return bad("an attention head reads or writes past its buffers");
    }
  }
  int64_t rows = hasHead ? head.rows : kernel.rows;
  for (size_t i = 0; i < kernel.rowBytes.size(); ++i) {
    int64_t buffer = hasHead ? kernel.jitBuffers[i] : static_cast<int64_t>(i);
    int64_t rowBytes = kernel.rowBytes[i];
    if (rowBytes == 0)
      continue;
    if (rows > 0 && rowBytes > kMaxExtent / rows)
      return bad("a kernel's row size is out of range");
    int64_t bytes = buffer < 0 ? head.rows * head.rowElements * 4
                               : kernel.bufferBytes[size_t(buffer)];
    if (rows * rowBytes > bytes)
      return bad("a kernel's rows run past a buffer");
  }
  return rt::Error::success();
}

rt::Error readKernel(const fb::Kernel *k, CpuKernel &kernel, int64_t &module) {
  if (!k)
    return bad("a kernel is missing");
  kernel.numBuffers = k->num_buffers();
  kernel.range = k->range();
  kernel.rows = k->rows();
  kernel.chunkRows = k->chunk_rows();
  kernel.label = str(k->label());
  kernel.bufferBytes = rt::copyInt64s(k->buffer_bytes());
  if (kernel.numBuffers < 0 || kernel.numBuffers > kMaxBuffers ||
      kernel.bufferBytes.size() != static_cast<size_t>(kernel.numBuffers))
    return bad("a kernel's buffer count is out of range");
  for (int64_t bytes : kernel.bufferBytes)
    if (!inExtent(bytes))
      return bad("a kernel's buffer size is out of range");
  if (!inExtent(kernel.range, 1) || !inExtent(kernel.rows) ||
      !inExtent(kernel.chunkRows))
    return bad("a kernel's range is out of range");
  if (kernel.range > 1 &&
      (kernel.chunkRows < 1 || kernel.rows < 1 ||
       (kernel.rows + kernel.chunkRows - 1) / kernel.chunkRows != kernel.range))
    return bad("a kernel's range does not match its rows");
  module = -1;
  for (auto [entry, symbol] :
       {std::pair{k->whole(), &kernel.wholeSymbol},
        std::pair{k->chunk(), &kernel.chunkSymbol},
        std::pair{k->tail(), &kernel.tailSymbol}})
    if (rt::Error error = readEntry(entry, module, *symbol); !error.ok())
      return error;
  if (rt::Error error = readHead(k->head(), kernel.numBuffers, kernel.head);
      !error.ok())
    return error;
  if (k->checks())
    for (const fb::DataCheck *c : *k->checks()) {
      DataCheck check;
      if (rt::Error error = readCheck(c, kernel.numBuffers, check); !error.ok())
        return error;
      kernel.checks.push_back(std::move(check));
    }
  kernel.viewOnly = k->view_only();
  kernel.rowBytes = rt::copyInt64s(k->row_bytes());
  kernel.jitBuffers = rt::copyInt64s(k->jit_buffers());
  bool hasHead = kernel.head.kind != ContractionHead::Kind::None;
  size_t codeBuffers = hasHead ? kernel.jitBuffers.size()
                               : static_cast<size_t>(kernel.numBuffers);
  if (kernel.rowBytes.size() != codeBuffers)
    return bad("a kernel's row sizes do not match its buffers");
  for (int64_t bytes : kernel.rowBytes)
    if (!inExtent(bytes))
      return bad("a kernel's row size is out of range");
  for (int64_t buffer : kernel.jitBuffers)
    if (buffer < -1 || buffer >= kernel.numBuffers)
      return bad("a kernel's code buffer index is out of range");
  // Which entry points the kernel calls (CpuKernel.cpp) must be there.
  bool tailed = kernel.range > 1 && kernel.rows % kernel.chunkRows != 0;
  bool hasWhole = !kernel.wholeSymbol.empty();
  bool hasChunk = !kernel.chunkSymbol.empty();
  bool hasTail = !kernel.tailSymbol.empty();
  bool coded = kernel.range == 1 ? hasWhole : hasChunk;
  if (kernel.viewOnly && (hasHead || hasWhole || hasChunk || hasTail ||
                          kernel.range != 1 || !kernel.checks.empty()))
    return bad("a kernel without work has code or a range");
  if (kernel.viewOnly)
    return checkKernelExtents(kernel);
  if ((kernel.range == 1 && (hasChunk || hasTail)) ||
      (kernel.range > 1 && hasWhole) || (!hasHead && !coded) ||
      (coded && kernel.range > 1 && hasTail != tailed) ||
      (!coded && hasTail))
    return bad("a kernel's entry points do not match its range");
  if (hasHead && kernel.range > 1 && kernel.rows != kernel.head.rows)
    return bad("a kernel's rows do not match its head");
  return checkKernelExtents(kernel);
}

rt::Error readObject(const fb::SharedObject *object, std::string &bytes) {
  if (!object || !object->bytes())
    return bad("a shared object is missing");
  bytes.assign(reinterpret_cast<const char *>(object->bytes()->data()),
               object->bytes()->size());
  return rt::Error::success();
}

rt::Error readTarget(const fb::Target *t, LinkedTarget &target) {
  if (!t || !t->cpu() || !t->modules())
    return bad("a target is incomplete");
  target.target.cpu = t->cpu()->str();
  if (t->features())
    for (const flatbuffers::String *feature : *t->features())
      target.target.features.push_back(str(feature));
  for (const fb::SharedObject *object : *t->modules()) {
    std::string bytes;
    if (rt::Error error = readObject(object, bytes); !error.ok())
      return error;
    target.modules.push_back(std::move(bytes));
  }
  if (t->gemm())
    if (rt::Error error = readObject(t->gemm(), target.gemm); !error.ok())
      return error;
  target.gemmIsa = str(t->gemm_isa());
  target.gemmMr = t->gemm_mr();
  target.gemmNr = t->gemm_nr();
  return rt::Error::success();
}

} // namespace

rt::Error checkKernelBuffers(const CpuKernel &kernel,
                             const uint64_t *bufferBytes, int64_t numBuffers) {
  if (numBuffers != kernel.numBuffers)
    return rt::Error::failure(
        "kernel '" + kernel.label + "' takes " +
        std::to_string(kernel.numBuffers) + " buffers, the plan gives " +
        std::to_string(numBuffers));
  for (int64_t i = 0; i < numBuffers; ++i)
    if (bufferBytes[i] != static_cast<uint64_t>(kernel.bufferBytes[size_t(i)]))
      return rt::Error::failure(
          "kernel '" + kernel.label + "' buffer " + std::to_string(i) +
          " has " + std::to_string(kernel.bufferBytes[size_t(i)]) +
          " bytes, the plan gives " + std::to_string(bufferBytes[i]));
  return rt::Error::success();
}

rt::Expected<SerializedExecutable> deserializeExecutable(const void *bytes,
                                                         size_t size) {
  rt::Expected<rt::SealedBody> sealed = rt::unseal(
      bytes, size, std::numeric_limits<flatbuffers::uoffset_t>::max());
  if (!sealed)
    return bad(sealed.message() == "too short" ? "not a cpu executable"
                                               : sealed.message());
  const void *body = sealed->data();
  if (!flatbuffers::BufferHasIdentifier(body, fb::ExecutableIdentifier()))
    return bad("not a cpu executable");
  flatbuffers::Verifier verifier(static_cast<const uint8_t *>(body),
                                 sealed->size,
                                 /*max_depth=*/64, /*max_tables=*/10000000);
  if (!fb::VerifyExecutableBuffer(verifier))
    return bad("the FlatBuffers verifier rejects it");
  const fb::Executable *root = fb::GetExecutable(body);
  if (root->format_version() < kCpuOldestFormatVersion ||
      root->format_version() > kCpuFormatVersion)
    return rt::Error::failure("cpu executable format " +
                              std::to_string(root->format_version()) +
                              " is not supported (this backend reads formats " +
                              std::to_string(kCpuOldestFormatVersion) + " to " +
                              std::to_string(kCpuFormatVersion) + ")");
  if (!root->kernels() || !root->targets() || root->targets()->size() == 0)
    return bad("it has no kernels or no targets");
  SerializedExecutable result;
  for (const fb::Kernel *k : *root->kernels()) {
    auto kernel = std::make_shared<CpuKernel>();
    int64_t module = -1;
    if (rt::Error error = readKernel(k, *kernel, module); !error.ok())
      return error;
    result.kernels.push_back(std::move(kernel));
    result.moduleOf.push_back(module);
  }
  for (const fb::Target *t : *root->targets()) {
    LinkedTarget target;
    if (rt::Error error = readTarget(t, target); !error.ok())
      return error;
    if (!result.targets.empty() &&
        target.modules.size() != result.targets.front().modules.size())
      return bad("targets hold different numbers of modules");
    result.targets.push_back(std::move(target));
  }
  size_t modules = result.targets.front().modules.size();
  bool needsGemm = false;
  for (size_t i = 0; i < result.kernels.size(); ++i) {
    if (result.moduleOf[i] >= static_cast<int64_t>(modules))
      return bad("an entry point names a missing module");
    needsGemm |= result.kernels[i]->head.kind != ContractionHead::Kind::None;
  }
  if (needsGemm)
    for (const LinkedTarget &target : result.targets)
      if (target.gemm.empty())
        return bad("a target has no GEMM code for the native heads");
  return result;
}

} // namespace nnc::cpu
