//===- RefOpLowering.cpp - nn ops to interpreter steps --------------------===//

#include "backends/ref/RefOpLowering.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::ref;

namespace {

/// `attr` as a step attribute value, if a step can hold it.
std::optional<AttrValue> toAttrValue(Attribute attr) {
  if (auto boolean = dyn_cast<BoolAttr>(attr))
    return AttrValue{static_cast<int64_t>(boolean.getValue())};
  if (auto integer = dyn_cast<IntegerAttr>(attr))
    return AttrValue{integer.getInt()};
  if (auto real = dyn_cast<FloatAttr>(attr))
    return AttrValue{real.getValueAsDouble()};
  if (auto list = dyn_cast<DenseI64ArrayAttr>(attr))
    return AttrValue{std::vector<int64_t>(list.asArrayRef().begin(),
                                          list.asArrayRef().end())};
  return std::nullopt;
}

} // namespace

LogicalResult nnc::ref::lowerOpToStep(Operation *op, Step &step) {
  step.op = op->getName().getStringRef().str();
  std::optional<RegisteredOperationName> registered =
      op->getName().getRegisteredInfo();
  if (!registered)
    return op->emitOpError("is not a registered op");
  // Attributes left at their default are absent from the op; fill them in
  // so that the step holds every value the kernel reads.
  registered->populateDefaultProperties(op->getPropertiesStorage());
  for (StringAttr name : registered->getAttributeNames()) {
    std::optional<Attribute> attr = op->getInherentAttr(name.getValue());
    if (!attr || !*attr)
      continue;
    std::optional<AttrValue> value = toAttrValue(*attr);
    if (!value)
      return op->emitOpError("attribute '")
             << name.getValue() << "' has a kind the ref backend cannot hold";
    step.attrs.emplace(name.getValue().str(), std::move(*value));
  }
  if (rt::Error error = prepareStep(step); !error.ok())
    return op->emitError(error.message());
  return success();
}
