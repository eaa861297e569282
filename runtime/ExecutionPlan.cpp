//===- ExecutionPlan.cpp - Checking and printing execution plans ----------===//

#include "runtime/ExecutionPlan.h"

#include <algorithm>
#include <limits>

namespace nnc::rt {

namespace {

std::string valueLabel(int64_t id) { return "value " + std::to_string(id); }
std::string kernelLabel(int64_t id) { return "kernel " + std::to_string(id); }

bool isValidDType(DType dtype) {
  return static_cast<uint8_t>(dtype) <= static_cast<uint8_t>(DType::U8);
}

Error verifyValue(const ExecutionPlan &plan, int64_t id,
                  const std::vector<int64_t> &views) {
  const PlanValue &value = plan.values[static_cast<size_t>(id)];
  std::string label = valueLabel(id);
  if (!isValidDType(value.dtype))
    return Error::failure(label + " has an unknown dtype");
  // checkedElementCount also rejects counts whose byte size overflows.
  Expected<int64_t> count =
      checkedElementCount(value.shape, dtypeSize(value.dtype));
  if (!count)
    return count.takeError().withContext(label);
  uint64_t bytes = static_cast<uint64_t>(*count) * dtypeSize(value.dtype);
  if (bytes != value.bytes)
    return Error::failure(label + " has " + std::to_string(value.bytes) +
                          " bytes, but its type " +
                          typeToString(value.dtype, value.shape) + " needs " +
                          std::to_string(bytes));
  switch (value.kind) {
  case ValueKind::Input:
    if (value.index < 0 ||
        static_cast<size_t>(value.index) >= plan.inputs.size() ||
        plan.inputs[static_cast<size_t>(value.index)].value != id)
      return Error::failure(label + " is not bound by input " +
                            std::to_string(value.index));
    return Error::success();
  case ValueKind::Output:
    if (value.index < 0 ||
        static_cast<size_t>(value.index) >= plan.outputs.size() ||
        plan.outputs[static_cast<size_t>(value.index)].value != id)
      return Error::failure(label + " is not bound by output " +
                            std::to_string(value.index));
    return Error::success();
  case ValueKind::Arena:
    // A view of a graph input has no bytes in the arena.
    if (views[static_cast<size_t>(id)] >= 0)
      return Error::success();
    // Written so that no sum can overflow on a hostile plan.
    if (value.offset % kArenaAlignment != 0 || value.offset > plan.arenaSize ||
        value.bytes > plan.arenaSize - value.offset)
      return Error::failure(label + " at offset " +
                            std::to_string(value.offset) +
                            " is not an aligned range of the arena of " +
                            std::to_string(plan.arenaSize) + " bytes");
    return Error::success();
  }
  return Error::failure(label + " has an unknown kind");
}

} // namespace

Error verifyExecutionPlan(const ExecutionPlan &plan) {
  const int64_t numValues = static_cast<int64_t>(plan.values.size());
  auto inRange = [&](int64_t id) { return id >= 0 && id < numValues; };

  if (plan.arenaSize % kArenaAlignment != 0)
    return Error::failure("arena size " + std::to_string(plan.arenaSize) +
                          " is not a multiple of " +
                          std::to_string(kArenaAlignment));
  for (size_t i = 0; i < plan.inputs.size(); ++i) {
    int64_t id = plan.inputs[i].value;
    if (!inRange(id) ||
        plan.values[static_cast<size_t>(id)].kind != ValueKind::Input ||
        plan.values[static_cast<size_t>(id)].index != static_cast<int64_t>(i))
      return Error::failure("input " + std::to_string(i) +
                            " is not bound to an input value of its index");
  }
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    if (!inRange(plan.outputs[i].value))
      return Error::failure("output " + std::to_string(i) + " names no value");
  const std::vector<int64_t> views = viewedGraphInputs(plan);
  for (int64_t id = 0; id < numValues; ++id)
    if (Error error = verifyValue(plan, id, views); !error.ok())
      return error;

  // Kernels in order: a value read must have been written by a dependency,
  // which also makes every read follow its write in the topological order.
  std::vector<int64_t> writer(plan.values.size(), -1);
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const PlanKernel &kernel = plan.kernels[k];
    const int64_t self = static_cast<int64_t>(k);
    std::string label = kernelLabel(self) + " (" + kernel.opName + ")";
    if (kernel.numOperands < 0 ||
        static_cast<size_t>(kernel.numOperands) > kernel.buffers.size())
      return Error::failure(label + " has a bad operand count");
    for (size_t d = 0; d < kernel.dependencies.size(); ++d) {
      int64_t dep = kernel.dependencies[d];
      if (dep < 0 || dep >= self)
        return Error::failure(label + " depends on kernel " +
                              std::to_string(dep) + ", which is not earlier");
      if (std::find(kernel.dependencies.begin(),
                    kernel.dependencies.begin() + d,
                    dep) != kernel.dependencies.begin() + d)
        return Error::failure(label + " lists kernel " + std::to_string(dep) +
                              " twice");
    }
    for (size_t b = 0; b < kernel.buffers.size(); ++b) {
      int64_t id = kernel.buffers[b];
      if (!inRange(id))
        return Error::failure(label + " names no value at buffer " +
                              std::to_string(b));
      const PlanValue &value = plan.values[static_cast<size_t>(id)];
      if (static_cast<int64_t>(b) < kernel.numOperands) {
        if (value.kind == ValueKind::Input)
          continue;
        int64_t from = writer[static_cast<size_t>(id)];
        if (from < 0 ||
            std::find(kernel.dependencies.begin(), kernel.dependencies.end(),
                      from) == kernel.dependencies.end())
          return Error::failure(label + " reads " + valueLabel(id) +
                                " without depending on its writer");
        continue;
      }
      if (value.kind == ValueKind::Input)
        return Error::failure(label + " writes input " + valueLabel(id));
      if (writer[static_cast<size_t>(id)] >= 0)
        return Error::failure(label + " writes " + valueLabel(id) +
                              ", which is written before");
      writer[static_cast<size_t>(id)] = self;
    }
  }
  for (int64_t id = 0; id < numValues; ++id)
    if (plan.values[static_cast<size_t>(id)].kind != ValueKind::Input &&
        writer[static_cast<size_t>(id)] < 0)
      return Error::failure(valueLabel(id) + " is never written");
  for (int64_t id = 0; id < numValues; ++id) {
    const PlanValue &value = plan.values[static_cast<size_t>(id)];
    if (value.reuses < 0)
      continue;
    std::string label = valueLabel(id) + " computed in place of " +
                        (inRange(value.reuses) ? valueLabel(value.reuses)
                                               : std::string("no value"));
    if (!inRange(value.reuses) || value.reuses == id)
      return Error::failure(label);
    const PlanValue &old = plan.values[static_cast<size_t>(value.reuses)];
    bool arenaPair =
        value.kind == ValueKind::Arena && old.kind == ValueKind::Arena;
    bool stateUpdate =
        value.kind == ValueKind::Output && old.kind == ValueKind::Input;
    bool inputView = value.kind == ValueKind::Arena &&
                     old.kind == ValueKind::Input &&
                     views[static_cast<size_t>(id)] == value.reuses;
    if ((!arenaPair && !stateUpdate && !inputView) ||
        old.dtype != value.dtype || old.bytes != value.bytes ||
        (arenaPair && old.offset != value.offset))
      return Error::failure(label + " does not share its bytes");
    const PlanKernel &kernel =
        plan.kernels[static_cast<size_t>(writer[static_cast<size_t>(id)])];
    if (std::find(kernel.buffers.begin(),
                  kernel.buffers.begin() + kernel.numOperands,
                  value.reuses) == kernel.buffers.begin() + kernel.numOperands)
      return Error::failure(label + ", which its writer does not read");
  }
  return Error::success();
}

bool isGraphInput(const ExecutionPlan &plan, const PlanValue &value) {
  return value.kind == ValueKind::Input && value.index >= 0 &&
         static_cast<size_t>(value.index) < plan.inputs.size() &&
         plan.inputs[static_cast<size_t>(value.index)].role ==
             BindingRole::Input;
}

std::vector<int64_t> viewedGraphInputs(const ExecutionPlan &plan) {
  const int64_t numValues = static_cast<int64_t>(plan.values.size());
  constexpr int64_t kUnknown = -2, kOnPath = -3;
  std::vector<int64_t> viewed(static_cast<size_t>(numValues), kUnknown);
  std::vector<int64_t> path;
  for (int64_t start = 0; start < numValues; ++start) {
    if (viewed[static_cast<size_t>(start)] != kUnknown)
      continue;
    // Follow `reuses` until a value already answered or an end; every value
    // on the way has that answer.
    path.clear();
    int64_t value = start, answer = -1;
    while (value >= 0 && value < numValues) {
      const PlanValue &current = plan.values[static_cast<size_t>(value)];
      int64_t &known = viewed[static_cast<size_t>(value)];
      if (current.kind == ValueKind::Input) {
        known = -1;
        if (!path.empty() && isGraphInput(plan, current))
          answer = value;
        break;
      }
      if (known == kOnPath) // a cycle views nothing
        break;
      if (known != kUnknown) {
        answer = known;
        break;
      }
      if (current.kind != ValueKind::Arena || current.reuses < 0) {
        known = -1;
        break;
      }
      known = kOnPath;
      path.push_back(value);
      value = current.reuses;
    }
    for (int64_t member : path)
      viewed[static_cast<size_t>(member)] = answer;
  }
  return viewed;
}

namespace {

std::string joinIds(const int64_t *begin, const int64_t *end) {
  std::string text;
  for (const int64_t *it = begin; it != end; ++it)
    text += (it == begin ? "" : ", ") + std::to_string(*it);
  return text;
}

const char *kindName(ValueKind kind) {
  switch (kind) {
  case ValueKind::Input:
    return "input";
  case ValueKind::Output:
    return "output";
  case ValueKind::Arena:
    return "arena";
  }
  return "?";
}

} // namespace

std::string formatExecutionPlan(const ExecutionPlan &plan) {
  std::string text = "plan: " + std::to_string(plan.values.size()) +
                     " values, " + std::to_string(plan.kernels.size()) +
                     " kernels, arena " + std::to_string(plan.arenaSize) +
                     " bytes\n";
  for (size_t id = 0; id < plan.values.size(); ++id) {
    const PlanValue &value = plan.values[id];
    text += "value " + std::to_string(id) + " '" + value.name + "' " +
            (isValidDType(value.dtype) ? typeToString(value.dtype, value.shape)
                                       : std::string("?")) +
            " " + std::to_string(value.bytes) + " bytes " +
            kindName(value.kind);
    if (value.kind == ValueKind::Arena)
      text += " [" + std::to_string(value.offset) + ", " +
              std::to_string(value.offset + value.bytes) + ")";
    else
      text += " " + std::to_string(value.index);
    if (value.reuses >= 0)
      text += " in place of " + std::to_string(value.reuses);
    text += "\n";
  }
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const PlanKernel &kernel = plan.kernels[k];
    const int64_t *buffers = kernel.buffers.data();
    size_t numOperands =
        std::min(kernel.buffers.size(),
                 static_cast<size_t>(std::max<int64_t>(kernel.numOperands, 0)));
    text += "kernel " + std::to_string(k) + " " + kernel.opName + " reads (" +
            joinIds(buffers, buffers + numOperands) + ") writes (" +
            joinIds(buffers + numOperands, buffers + kernel.buffers.size()) +
            ") after (" +
            joinIds(kernel.dependencies.data(),
                    kernel.dependencies.data() + kernel.dependencies.size()) +
            ")\n";
  }
  auto binding = [&](const char *what, size_t i, const ExternalBinding &b) {
    text += std::string(what) + " " + std::to_string(i) + " '" + b.name + "'";
    if (b.role != BindingRole::None)
      text += std::string(" (") + roleName(b.role) + ")";
    text += " = value " + std::to_string(b.value) + "\n";
  };
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    binding("input", i, plan.inputs[i]);
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    binding("output", i, plan.outputs[i]);
  return text;
}

} // namespace nnc::rt
