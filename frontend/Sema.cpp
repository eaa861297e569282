//===- Sema.cpp - Statements, scopes, layers and repeat -------------------===//

#include "frontend/Sema.h"

namespace nnc::frontend {

using ast::Stmt;

std::optional<Program> elaborate(const ast::Module &module,
                                 DiagnosticEngine &diags,
                                 const FrontendLimits &limits) {
  return Sema(diags, limits).run(module);
}

Sema::Sema(DiagnosticEngine &diags, const FrontendLimits &limits)
    : diags(diags), limits(limits) {}

std::optional<Program> Sema::run(const ast::Module &module) {
  program.fileName = diags.fileName();
  program.modelName = "model";
  checkLayers(module);
  Frame top;
  runStatements(module.statements, top);
  if (live()) {
    if (module.trainBlocks.size() > 1)
      error(top, module.trainBlocks[1].loc,
            "only one train block is allowed (the first is at " +
                std::to_string(module.trainBlocks[0].loc.line) + ":" +
                std::to_string(module.trainBlocks[0].loc.col) + ")");
    if (!module.trainBlocks.empty())
      runTrain(module.trainBlocks[0], top);
    applyFreezePatterns(top);
    checkBatchUse();
    checkRunningStatistics();
    numberDropouts();
    if (program.outputs.empty() && !program.hasLoss && !diags.hasErrors())
      error(top, SourceLoc{1, 1},
            "model has no outputs (declare one with 'output NAME')");
  }
  if (diags.hasErrors())
    return std::nullopt;
  return std::move(program);
}

void Sema::numberDropouts() {
  // Each dropout call draws a mask of its own, as each call does in
  // PyTorch: the k-th of the program, in the order of evaluation (every
  // repeat of a layer counted), moves its seed k steps along splitmix64's
  // sequence, whose streams are independent. Numbered here, before any
  // optimization, so that two dropouts of one value with one seed stay two
  // ops with two masks rather than merge.
  constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;
  uint64_t ordinal = 0;
  for (Node &node : program.nodes) {
    if (node.op != "dropout")
      continue;
    auto seed = node.attrs.find("seed");
    if (seed == node.attrs.end() ||
        !std::holds_alternative<int64_t>(seed->second))
      continue;
    uint64_t moved = static_cast<uint64_t>(std::get<int64_t>(seed->second)) +
                     ordinal++ * kGoldenGamma;
    seed->second = static_cast<int64_t>(moved & INT64_MAX);
  }
}

void Sema::checkRunningStatistics() {
  // The training step writes a batch_norm's new statistics into the
  // arguments it reads them from. Anything but a buffer of its own would
  // be updated silently wrong: a computed value not at all (or only once
  // the simplifier folds `v + 0` to `v`), one buffer as both mean and var
  // or shared by two batch_norms keeping only the last update.
  using Role = Argument::Role;
  std::map<uint32_t, std::pair<const char *, SourceLoc>> claimed;
  for (const Node &node : program.nodes) {
    if (node.op != "batch_norm" || node.operands.size() != 5)
      continue;
    Frame at;
    at.callers = node.loc.callers;
    SourceLoc loc = node.loc.loc;
    for (size_t i = 3; i < 5; ++i) {
      const char *what = i == 3 ? "mean" : "var";
      ValueRef ref = node.operands[i];
      if (ref.kind != ValueRef::Kind::Argument) {
        error(at, loc,
              std::string("batch_norm: '") + what +
                  "' must be a buffer passed by name, not a computed value "
                  "(training updates it)");
        continue;
      }
      const Argument &argument = program.arguments[ref.index];
      if (argument.role != Role::Buffer) {
        error(at, loc,
              std::string("batch_norm: '") + what +
                  "' must be a buffer (training updates it), not the " +
                  (argument.role == Role::Param ? "param '" : "input '") +
                  argument.name + "'");
        continue;
      }
      auto [it, inserted] = claimed.emplace(ref.index, std::pair{what, loc});
      if (inserted)
        continue;
      const auto &[firstWhat, firstLoc] = it->second;
      error(at, loc,
            std::string("batch_norm: the buffer '") + argument.name +
                "' is already the '" + firstWhat + "'" +
                (firstLoc.line == loc.line && firstLoc.col == loc.col
                     ? " of this batch_norm"
                     : " of the batch_norm at " +
                           std::to_string(firstLoc.line) + ":" +
                           std::to_string(firstLoc.col)) +
                "; each running statistic needs a buffer of its own");
    }
  }
}

void Sema::checkBatchUse() {
  // A -1 (broadcast_to, reshape) stands for the batch, which only an input
  // declares: without one, no command could give it a size.
  if (!program.batchSymbol.empty())
    return;
  for (const Node &node : program.nodes)
    for (const TensorType &type : node.results)
      if (!type.shape.empty() && type.shape[0] == shape::kDynamic) {
        SourceLoc loc = node.loc.loc;
        Frame at;
        at.callers = node.loc.callers;
        error(at, loc,
              node.op + ": the result " + shape::toString(type.shape) +
                  " has a batch dimension (-1), but no input of the model "
                  "has one to give it a size");
        return;
      }
}

//===----------------------------------------------------------------------===//
// Reporting and limits
//===----------------------------------------------------------------------===//

bool Sema::error(const Frame &frame, SourceLoc loc, std::string message) {
  // A layer called many times would repeat the same error once per
  // instance; the first report (with its call chain) is enough.
  if (!reported.insert({loc.line, loc.col, message}).second)
    return false;
  diags.error(loc, std::move(message));
  for (const Diagnostic &note : callerNotes(frame.callers))
    diags.note(note.loc, note.message);
  return true;
}

bool Sema::charge(const Frame &frame, SourceLoc loc, uint64_t units) {
  if (aborted)
    return false;
  work += units;
  if (work <= limits.maxElaboratedNodes)
    return true;
  reportTooLarge(frame, loc);
  return false;
}

void Sema::reportTooLarge(const Frame &frame, SourceLoc loc) {
  error(frame, loc,
        "the model is too large after expanding layers and repeat (more "
        "than " +
            std::to_string(limits.maxElaboratedNodes) +
            " nodes, arguments and steps)");
  aborted = true;
}

uint64_t Sema::elementCount(const Value &value) {
  uint64_t count = value.list.size();
  for (const Value &element : value.list)
    count += elementCount(element);
  return count;
}

NodeLoc Sema::nodeLoc(const Frame &frame, SourceLoc loc) const {
  std::string instance = frame.prefix;
  if (!instance.empty())
    instance.pop_back(); // the '.' that joins it to a param's name
  return NodeLoc{loc, frame.callers, std::move(instance)};
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

void Sema::checkLayers(const ast::Module &module) {
  Frame top;
  for (const ast::LayerDecl &layer : module.layers) {
    bool ok = true;
    auto [it, inserted] = layers.emplace(layer.name, &layer);
    if (!inserted) {
      error(top, layer.loc,
            "layer '" + layer.name + "' is already defined at " +
                std::to_string(it->second->loc.line) + ":" +
                std::to_string(it->second->loc.col));
      continue;
    }
    if (lookupOp(layer.name)) {
      error(top, layer.loc, "layer '" + layer.name + "' has the name of an op");
      ok = false;
    }
    std::set<std::string> paramNames;
    for (const ast::LayerParam &param : layer.params) {
      if (!paramNames.insert(param.name).second) {
        error(top, param.loc, "duplicate layer parameter '" + param.name + "'");
        ok = false;
      }
    }
    size_t returnIndex = layer.body.size();
    for (size_t i = 0; i < layer.body.size(); ++i) {
      if (layer.body[i].kind == Stmt::Kind::Return) {
        returnIndex = i;
        break;
      }
    }
    if (returnIndex == layer.body.size()) {
      error(top, layer.loc, "layer '" + layer.name + "' has no 'return'");
      ok = false;
    } else if (returnIndex + 1 != layer.body.size()) {
      error(top, layer.body[returnIndex + 1].loc,
            "statement after 'return' in layer '" + layer.name + "'");
      ok = false;
    }
    if (!ok)
      brokenLayers.insert(&layer);
  }
}

Sema::Value Sema::callLayer(const ast::LayerDecl &layer, const ast::Expr &call,
                            Frame &frame) {
  // Arguments are evaluated first, in the caller, so a call nested in an
  // argument gets the lower instance number: in dense(dense(x)) the inner
  // call is dense_0.
  std::vector<std::optional<Value>> bound(layer.params.size());
  std::vector<SourceLoc> boundLocs(layer.params.size(), call.loc);
  bool ok = true;
  size_t positional = 0;
  for (const ast::CallArg &arg : call.args) {
    Value value = eval(*arg.value, frame);
    if (!charge(frame, arg.value->loc, 1 + elementCount(value)))
      return {};
    size_t index;
    if (arg.keyword.empty()) {
      index = positional++;
      if (index >= layer.params.size()) {
        // One mistake, one error: at the first argument too many.
        if (index == layer.params.size())
          error(frame, arg.value->loc,
                "layer '" + layer.name + "' takes " +
                    std::to_string(layer.params.size()) + " argument" +
                    (layer.params.size() == 1 ? "" : "s") + ", got " +
                    std::to_string(call.args.size()));
        ok = false;
        continue;
      }
    } else {
      index = layer.params.size();
      for (size_t i = 0; i < layer.params.size(); ++i)
        if (layer.params[i].name == arg.keyword)
          index = i;
      if (index == layer.params.size()) {
        std::string names;
        for (const ast::LayerParam &p : layer.params)
          names += (names.empty() ? "" : ", ") + p.name;
        error(frame, arg.keywordLoc,
              "layer '" + layer.name + "' has no parameter '" + arg.keyword +
                  "'" + (names.empty() ? "" : "; parameters: " + names));
        ok = false;
        continue;
      }
      if (bound[index]) {
        error(frame, arg.keywordLoc,
              "argument '" + arg.keyword + "' is given twice");
        ok = false;
        continue;
      }
    }
    if (value.kind == Value::Kind::Poison)
      ok = false;
    bound[index] = std::move(value);
    boundLocs[index] = arg.value->loc;
  }
  if (!ok)
    return {};

  Frame inner;
  for (size_t i = 0; i < layer.params.size(); ++i) {
    const ast::LayerParam &param = layer.params[i];
    if (!bound[i]) {
      error(frame, call.loc,
            "layer '" + layer.name + "': missing argument '" + param.name +
                "'");
      return {};
    }
    Value &value = *bound[i];
    using PK = ast::LayerParam::Kind;
    std::string want;
    if (param.kind == PK::Tensor && value.kind != Value::Kind::Tensor) {
      std::optional<ValueRef> ref =
          asTensor(value, DType::F32, boundLocs[i], "argument", frame);
      if (!ref)
        return {};
      value = Value{};
      value.kind = Value::Kind::Tensor;
      value.ref = *ref;
    } else if (param.kind == PK::Int && value.kind != Value::Kind::Int) {
      want = "an integer";
    } else if (param.kind == PK::Float) {
      if (value.kind == Value::Kind::Int) {
        value.floatValue = static_cast<double>(value.intValue);
        value.kind = Value::Kind::Float;
      } else if (value.kind != Value::Kind::Float) {
        want = "a number";
      }
    }
    if (!want.empty()) {
      error(frame, boundLocs[i],
            "layer '" + layer.name + "': argument '" + param.name +
                "' must be " + want + ", got " + describe(value));
      return {};
    }
    inner.names[param.name] = std::move(value);
  }

  if (brokenLayers.count(&layer))
    return {};
  if (activeLayers.count(&layer)) {
    error(frame, call.loc, "layer '" + layer.name + "' calls itself");
    return {};
  }
  if (callDepth >= limits.maxNestingDepth) {
    error(frame, call.loc,
          "layer calls are nested too deeply (the limit is " +
              std::to_string(limits.maxNestingDepth) + ")");
    return {};
  }

  unsigned instance = frame.callCounts[layer.name]++;
  inner.prefix =
      frame.prefix + layer.name + "_" + std::to_string(instance) + ".";
  inner.callers.reserve(frame.callers.size() + 1);
  inner.callers.push_back(call.loc);
  inner.callers.insert(inner.callers.end(), frame.callers.begin(),
                       frame.callers.end());

  activeLayers.insert(&layer);
  ++callDepth;
  runStatements(layer.body, inner);
  --callDepth;
  activeLayers.erase(&layer);
  if (!inner.returned)
    return {};
  return std::move(*inner.returned);
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

void Sema::runStatements(const std::vector<Stmt> &stmts, Frame &frame) {
  for (const Stmt &stmt : stmts) {
    if (!live() || !charge(frame, stmt.loc))
      return;
    runStatement(stmt, frame);
  }
}

void Sema::runStatement(const Stmt &stmt, Frame &frame) {
  switch (stmt.kind) {
  case Stmt::Kind::Model:
    if (sawModel) {
      error(frame, stmt.loc, "the model name is already given");
      return;
    }
    sawModel = true;
    program.modelName = stmt.name;
    return;
  case Stmt::Kind::Input:
  case Stmt::Kind::Param:
  case Stmt::Kind::Buffer:
    declareArgument(stmt, frame);
    return;
  case Stmt::Kind::Let: {
    Value value = eval(*stmt.value, frame);
    // A list costs its elements, which no node counts while it is only a
    // compile-time value.
    uint64_t elements = elementCount(value);
    frame.names[stmt.name] = std::move(value);
    charge(frame, stmt.loc, elements);
    return;
  }
  case Stmt::Kind::Repeat:
    runRepeat(stmt, frame);
    return;
  case Stmt::Kind::Output:
    runOutput(stmt, frame);
    return;
  case Stmt::Kind::Loss:
    runLoss(stmt, frame);
    return;
  case Stmt::Kind::Return:
    frame.returned = eval(*stmt.value, frame);
    return;
  }
}

void Sema::reportOwnUse(const std::string &name, SourceLoc loc,
                        const Frame &frame) {
  if (!declaring.empty() && name == declaring)
    error(frame, loc, "'" + name + "' is used in its own declaration");
}

void Sema::declareArgument(const Stmt &stmt, Frame &frame) {
  bool isInput = stmt.kind == Stmt::Kind::Input;
  if (frame.names.count(stmt.name)) {
    error(frame, stmt.nameLoc, "'" + stmt.name + "' is already defined");
    return;
  }
  // Poison the name first, so a failed declaration does not cascade into
  // "unknown name" errors at every use; a use of it in its own type or
  // initializer is named (ownUse), not dropped with the poison.
  frame.names[stmt.name] = Value{};
  declaring = stmt.name;
  struct Declared {
    std::string &name;
    ~Declared() { name.clear(); }
  } declared{declaring};
  std::optional<TensorType> type = resolveType(stmt.type, isInput, frame);
  if (!type)
    return;
  std::string qualified = frame.prefix + stmt.name;
  if (!qualifiedNames.insert(qualified).second) {
    error(frame, stmt.nameLoc, "'" + qualified + "' is already defined");
    return;
  }
  Argument arg;
  arg.role = isInput                          ? Argument::Role::Input
             : stmt.kind == Stmt::Kind::Param ? Argument::Role::Param
                                              : Argument::Role::Buffer;
  arg.name = qualified;
  arg.type = *type;
  arg.loc = nodeLoc(frame, stmt.nameLoc);
  if (!isInput) {
    std::optional<Initializer> init =
        resolveInitializer(stmt, qualified, *type, frame);
    if (!init)
      return;
    arg.init = std::move(*init);
  }
  if (!charge(frame, stmt.loc))
    return;
  Value value;
  value.kind = Value::Kind::Tensor;
  value.ref = {ValueRef::Kind::Argument,
               static_cast<uint32_t>(program.arguments.size()), 0};
  program.arguments.push_back(std::move(arg));
  frame.names[stmt.name] = value;
}

std::optional<TensorType> Sema::resolveType(const ast::TypeExpr &type,
                                            bool isInput, Frame &frame) {
  // Checked first so that no message lists thousands of dimensions.
  if (type.dims.size() > shape::kMaxRank) {
    error(frame, type.loc,
          "tensor type has rank " + std::to_string(type.dims.size()) +
              ", which exceeds the limit of " +
              std::to_string(shape::kMaxRank));
    return std::nullopt;
  }
  TensorType result;
  result.dtype = type.dtype;
  bool ok = true;
  for (size_t i = 0; i < type.dims.size(); ++i) {
    const ast::Dim &dim = type.dims[i];
    int64_t extent = dim.value;
    if (dim.isName) {
      auto it = frame.names.find(dim.name);
      if (it != frame.names.end() && it->second.kind == Value::Kind::Int) {
        extent = it->second.intValue;
      } else if (it != frame.names.end()) {
        if (it->second.kind != Value::Kind::Poison)
          error(frame, dim.loc,
                "dimension '" + dim.name + "' is not an integer, it is " +
                    describe(it->second));
        else
          reportOwnUse(dim.name, dim.loc, frame);
        ok = false;
        continue;
      } else if (isInput && i == 0) {
        if (program.batchSymbol.empty()) {
          program.batchSymbol = dim.name;
        } else if (program.batchSymbol != dim.name) {
          error(frame, dim.loc,
                "a model has one symbolic batch dimension, already named '" +
                    program.batchSymbol + "'; got '" + dim.name + "'");
          ok = false;
          continue;
        }
        result.shape.push_back(shape::kDynamic);
        continue;
      } else if (dim.name == program.batchSymbol || isInput) {
        error(frame, dim.loc,
              "the symbolic batch dimension '" + dim.name +
                  "' may only be the first dimension of an input");
        ok = false;
        continue;
      } else {
        error(frame, dim.loc,
              "unknown dimension '" + dim.name +
                  "' (a dimension is an integer or an integer layer "
                  "parameter)");
        ok = false;
        continue;
      }
    }
    if (extent < 1) {
      error(frame, dim.loc,
            "dimension must be positive, got " + std::to_string(extent));
      ok = false;
      continue;
    }
    result.shape.push_back(extent);
  }
  if (!ok)
    return std::nullopt;
  // Bound the element count so no later stage (initialisation, memory
  // planning) multiplies extents into an overflow; the batch counts as 1.
  constexpr int64_t kMaxElements = int64_t(1) << 40;
  int64_t elements = 1;
  for (int64_t extent : result.shape) {
    if (extent == shape::kDynamic)
      continue;
    if (__builtin_mul_overflow(elements, extent, &elements) ||
        elements > kMaxElements) {
      error(frame, type.loc,
            std::string("tensor type ") + toString(result.dtype) +
                shape::toString(result.shape) + " has more than 2^40 elements");
      return std::nullopt;
    }
  }
  return result;
}

void Sema::runRepeat(const Stmt &stmt, Frame &frame) {
  int64_t count = stmt.count;
  if (!stmt.countName.empty()) {
    auto it = frame.names.find(stmt.countName);
    if (it == frame.names.end()) {
      error(frame, stmt.countLoc, "unknown name '" + stmt.countName + "'");
      return;
    }
    if (it->second.kind != Value::Kind::Int) {
      if (it->second.kind != Value::Kind::Poison)
        error(frame, stmt.countLoc,
              "repeat count '" + stmt.countName +
                  "' is not an integer, it is " + describe(it->second));
      return;
    }
    count = it->second.intValue;
  }
  if (count < 0) {
    error(frame, stmt.countLoc,
          "repeat count must not be negative, got " + std::to_string(count));
    return;
  }
  for (int64_t i = 0; i < count && live(); ++i) {
    // Each iteration costs a step even with an empty body, so a huge count
    // hits the size limit instead of spinning.
    if (!charge(frame, stmt.loc))
      return;
    unsigned errorsBefore = diags.errorCount();
    runStatements(stmt.body, frame);
    // The next iteration would only repeat the same errors.
    if (diags.errorCount() != errorsBefore)
      return;
  }
}

void Sema::runOutput(const Stmt &stmt, Frame &frame) {
  Value value;
  if (stmt.value) {
    value = eval(*stmt.value, frame);
    frame.names[stmt.name] = value;
  } else {
    auto it = frame.names.find(stmt.name);
    if (it == frame.names.end()) {
      error(frame, stmt.nameLoc, "unknown name '" + stmt.name + "'");
      return;
    }
    value = it->second;
  }
  if (value.kind == Value::Kind::Poison)
    return;
  SourceLoc valueLoc = stmt.value ? stmt.value->loc : stmt.nameLoc;
  std::optional<ValueRef> ref =
      asTensor(value, DType::F32, valueLoc, "output", frame);
  if (!ref)
    return;
  auto [it, inserted] = outputNames.emplace(stmt.name, stmt.nameLoc);
  if (!inserted) {
    error(frame, stmt.nameLoc,
          "output '" + stmt.name + "' is already defined at " +
              std::to_string(it->second.line) + ":" +
              std::to_string(it->second.col));
    return;
  }
  program.outputs.push_back({stmt.name, *ref, nodeLoc(frame, stmt.nameLoc)});
}

void Sema::runLoss(const Stmt &stmt, Frame &frame) {
  if (program.hasLoss) {
    error(frame, stmt.loc,
          "the loss is already defined at " + std::to_string(lossLoc.line) +
              ":" + std::to_string(lossLoc.col));
    return;
  }
  Value value = eval(*stmt.value, frame);
  if (value.kind == Value::Kind::Poison)
    return;
  std::optional<ValueRef> ref =
      asTensor(value, DType::F32, stmt.value->loc, "loss", frame);
  if (!ref)
    return;
  const TensorType &type = program.typeOf(*ref);
  if (!type.shape.empty()) {
    error(frame, stmt.value->loc,
          "the loss must be a scalar, got shape " +
              shape::toString(type.shape));
    return;
  }
  if (!isFloat(type.dtype)) {
    error(frame, stmt.value->loc,
          std::string("the loss must be a float scalar, got ") +
              toString(type.dtype));
    return;
  }
  program.hasLoss = true;
  lossLoc = stmt.loc;
  program.loss = {"loss", *ref, nodeLoc(frame, stmt.loc)};
}

} // namespace nnc::frontend
