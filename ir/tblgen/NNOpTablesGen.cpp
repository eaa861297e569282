//===- NNOpTablesGen.cpp - nnc-tblgen: tables from the nn op records ------===//
//
// The TableGen backend that makes an op's ODS declaration the one place
// its facts live. Reading ir/NNOps.td, it writes:
//
//   -gen-nn-op-facts        ir/NNOpFacts.cpp.inc: per op, its fusion class,
//                           thread split and whether backends compile it
//                           (ir/NNOpFacts.h reads them)
//   -gen-nn-dsl-signatures  frontend/OpSignatureTable.inc: the model
//                           language's op table, plain C++ over the rules
//                           of frontend/OpSignatures.cpp, and the rules of
//                           the ops that name a shape rule instead
//   -gen-nn-infer-types     ir/NNInferReturnTypes.cpp.inc: inferReturnTypes
//                           of every op that names a shape rule
//                           (nnShapeRule), calling it on operand shapes
//
// It checks what ODS cannot: an op with the elementwise interface is in the
// Elementwise fusion class, fusion classes and attribute kinds are known
// names, no two ops claim one DSL name, and the operands an op's facts
// name exist.
//
//===----------------------------------------------------------------------===//

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TableGen/Error.h"
#include "llvm/TableGen/Main.h"
#include "llvm/TableGen/Record.h"
#include "llvm/TableGen/TableGenBackend.h"

#include <algorithm>
#include <string>
#include <vector>

using namespace llvm;

namespace {

enum class Generator { OpFacts, DslSignatures, InferTypes };

/// An nn op record with the name it has in IR ("nn.add").
struct OpRecord {
  std::string name;
  const Record *def;
};

/// Every op of the nn dialect, sorted by name so the output is stable.
std::vector<OpRecord> nnOps(const RecordKeeper &records) {
  std::vector<OpRecord> ops;
  for (const Record *def : records.getAllDerivedDefinitions("NN_Op")) {
    std::string dialect =
        def->getValueAsDef("opDialect")->getValueAsString("name").str();
    ops.push_back({dialect + "." + def->getValueAsString("opName").str(), def});
  }
  std::sort(ops.begin(), ops.end(), [](const OpRecord &a, const OpRecord &b) {
    return a.name < b.name;
  });
  return ops;
}

bool hasTrait(const Record *def, StringRef traitName) {
  for (const Record *trait : def->getValueAsListOfDefs("traits"))
    if (trait->getName() == traitName)
      return true;
  return false;
}

/// One operand of an op: its ODS name and type constraint.
struct Operand {
  std::string name;
  const Record *constraint;
};

/// `op`'s operands in declaration order (its arguments that are not
/// attributes).
std::vector<Operand> operandsOf(const OpRecord &op) {
  std::vector<Operand> operands;
  const DagInit *arguments = op.def->getValueAsDag("arguments");
  for (unsigned i = 0; i < arguments->getNumArgs(); ++i) {
    const auto *arg = dyn_cast<DefInit>(arguments->getArg(i));
    if (!arg || arg->getDef()->isSubClassOf("Attr"))
      continue;
    operands.push_back({arguments->getArgNameStr(i).str(), arg->getDef()});
  }
  return operands;
}

/// The index of `op`'s operand named `name`, checked.
size_t operandIndex(const OpRecord &op, StringRef name) {
  std::vector<Operand> operands = operandsOf(op);
  for (size_t i = 0; i < operands.size(); ++i)
    if (operands[i].name == name)
      return i;
  PrintFatalError(op.def, op.name + " has no operand '" + name + "'");
}

/// The operands that `op`'s shape rule is called on, checked: the op
/// infers its result types (an NN_InferredOp), and its operands are all
/// plain tensors (none optional or variadic).
std::vector<Operand> shapeRuleOperands(const OpRecord &op) {
  if (!op.def->isSubClassOf("NN_InferredOp"))
    PrintFatalError(op.def, op.name + " names a shape rule but is not an "
                                      "NN_InferredOp");
  std::vector<Operand> operands = operandsOf(op);
  for (const Operand &operand : operands)
    if (!operand.constraint->isSubClassOf("ShapedContainerType"))
      PrintFatalError(op.def, op.name + ": operand '" + operand.name +
                                  "' is not a plain tensor, so a shape rule "
                                  "cannot be called on it");
  return operands;
}

/// The C++ class ODS generates for `op`: its def name after the dialect
/// prefix (NN_LayerNormOp -> LayerNormOp).
std::string cppClassName(const OpRecord &op) {
  return op.def->getName().split('_').second.str();
}

/// The C++ enumerator of FusionKind (ir/NNOpFacts.h) for `op`'s nnFusion.
std::string fusionKind(const OpRecord &op) {
  StringRef kind = op.def->getValueAsString("nnFusion");
  static const char *const kKinds[] = {"Elementwise", "Contraction",
                                       "Reduction", "Constant", "Opaque"};
  if (std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds))
    PrintFatalError(op.def, "unknown nnFusion '" + kind + "'");
  if (hasTrait(op.def, "NN_ElementwiseOpInterface") && kind != "Elementwise")
    PrintFatalError(op.def, op.name +
                                " has the elementwise interface but "
                                "nnFusion '" +
                                kind + "'");
  return ("FusionKind::" + kind).str();
}

/// 1 for a unary elementwise map, 2 for a broadcasting binary op, 0 for
/// any other op.
int elementwiseArity(const OpRecord &op) {
  if (!hasTrait(op.def, "NN_ElementwiseOpInterface"))
    return 0;
  if (op.def->isSubClassOf("NN_UnaryOp"))
    return 1;
  if (op.def->isSubClassOf("NN_BinaryOp"))
    return 2;
  PrintFatalError(op.def, op.name + " has the elementwise interface but is "
                                    "neither an NN_UnaryOp nor an NN_BinaryOp");
}

std::string gradcheckDomain(const OpRecord &op) {
  StringRef domain = op.def->getValueAsString("nnGradcheckDomain");
  if (domain == "any")
    return "GradcheckDomain::Any";
  if (domain == "nonzero")
    return "GradcheckDomain::NonZero";
  if (domain == "positive")
    return "GradcheckDomain::Positive";
  PrintFatalError(op.def, "unknown nnGradcheckDomain '" + domain + "'");
}

/// A C++ double literal from a decimal string of a record, checked.
std::string decimal(const Record *where, StringRef text) {
  double value;
  if (text.getAsDouble(value))
    PrintFatalError(where, "'" + text + "' is not a number");
  return text.str();
}

/// The array of `op`'s samples, named kSamples_<index>; empty for none.
/// Every elementwise op must have them, with one operand per operand.
std::string emitSamples(raw_ostream &os, const OpRecord &op, size_t index) {
  int arity = elementwiseArity(op);
  std::vector<Record *> samples = op.def->getValueAsListOfDefs("nnSamples");
  if (arity > 0 && samples.empty())
    PrintFatalError(op.def, op.name + " has the elementwise interface but no "
                                      "nnSamples to check backends with");
  if (samples.empty())
    return "nullptr, 0";
  std::string array = "kSamples_" + std::to_string(index);
  os << "static const OpSample " << array << "[] = {\n";
  for (const Record *sample : samples) {
    std::vector<StringRef> operands =
        sample->getValueAsListOfStrings("sampleOperands");
    if (arity > 0 && operands.size() != size_t(arity))
      PrintFatalError(op.def, op.name + ": a sample has " +
                                  Twine(operands.size()) + " operands, not " +
                                  Twine(arity));
    os << "    {{";
    for (size_t i = 0; i < 2; ++i)
      os << (i ? ", " : "")
         << (i < operands.size() ? decimal(op.def, operands[i]) : "0");
    os << "}, " << decimal(op.def, sample->getValueAsString("sampleResult"))
       << "},\n";
  }
  os << "};\n";
  return array + ", " + std::to_string(samples.size());
}

/// The index of the operand named by nnGroupsOver, or -1.
int groupOperand(const OpRecord &op) {
  StringRef name = op.def->getValueAsString("nnGroupsOver");
  if (name.empty())
    return -1;
  if (op.def->getValueAsBit("nnSplitsByRows"))
    PrintFatalError(op.def, op.name + " sets both nnSplitsByRows and "
                                      "nnGroupsOver");
  return static_cast<int>(operandIndex(op, name));
}

bool emitOpFacts(raw_ostream &os, const RecordKeeper &records) {
  emitSourceFileHeader("The facts of each nn op (ir/NNOpFacts.h)", os);
  std::vector<OpRecord> ops = nnOps(records);
  std::vector<std::string> sampleArgs;
  for (size_t i = 0; i < ops.size(); ++i)
    sampleArgs.push_back(emitSamples(os, ops[i], i));
  os << "\n// Sorted by name: lookupOpFacts searches them by bisection.\n";
  os << "static const OpFacts kOpFacts[] = {\n";
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpRecord &op = ops[i];
    os << "    {\"" << op.name << "\", " << fusionKind(op) << ", "
       << (op.def->getValueAsBit("nnSplitsByRows") ? "true" : "false") << ", "
       << groupOperand(op) << ", "
       << (op.def->getValueAsBit("nnColumnwise") ? "true" : "false") << ", "
       << elementwiseArity(op) << ", "
       << (op.def->getValueAsBit("nnCompiled") ? "true" : "false") << ", "
       << (op.def->getValueAsListOfDefs("nnDsl").empty() ? "false" : "true")
       << ", " << gradcheckDomain(op) << ", " << sampleArgs[i] << "},\n";
  }
  os << "};\n\n";
  os << "// The ops backends compile, null-terminated, as plugins list them.\n";
  os << "static const char *const kCompiledOpNames[] = {\n";
  for (const OpRecord &op : ops)
    if (op.def->getValueAsBit("nnCompiled"))
      os << "    \"" << op.name << "\",\n";
  os << "    nullptr,\n};\n";
  return false;
}

/// The arguments of a call to `op`'s shape rule: `shapeOf(i)` for operand
/// i, joined with commas.
template <typename ShapeOf>
std::string shapeRuleArguments(const OpRecord &op, ShapeOf shapeOf) {
  std::string args;
  std::vector<Operand> operands = shapeRuleOperands(op);
  for (size_t i = 0; i < operands.size(); ++i)
    args += (i ? ", " : "") + shapeOf(i);
  return args;
}

bool emitInferTypes(raw_ostream &os, const RecordKeeper &records) {
  emitSourceFileHeader("inferReturnTypes of the nn ops that name a shape "
                       "rule (ir/NNTypeInference.cpp)",
                       os);
  for (const OpRecord &op : nnOps(records)) {
    StringRef rule = op.def->getValueAsString("nnShapeRule");
    if (rule.empty())
      continue;
    std::string cls = cppClassName(op);
    std::vector<Operand> operands = shapeRuleOperands(op);
    size_t results = op.def->getValueAsDag("results")->getNumArgs();
    if (results !=
        1 + op.def->getValueAsListOfStrings("nnResultTypesOf").size())
      PrintFatalError(op.def, op.name + " has " + Twine(results) +
                                  " results; its shape rule gives the first "
                                  "and nnResultTypesOf must name the rest");
    std::string values, names;
    for (size_t i = 0; i < operands.size(); ++i) {
      values += (i ? ", adaptor.get" : "adaptor.get") +
                convertToCamelFromSnakeCase(operands[i].name, true) + "()";
      names += (i ? ", \"" : "\"") + operands[i].name + "\"";
    }
    os << "LogicalResult " << cls
       << "::inferReturnTypes(MLIRContext *, std::optional<Location> loc,\n"
       << "    Adaptor adaptor, SmallVectorImpl<Type> &types) {\n"
       << "  auto ctx = contextFor<" << cls << ">(loc);\n"
       << "  auto s = ctx.shapes({" << values << "}, {" << names << "});\n"
       << "  if (failed(s))\n    return failure();\n"
       << "  if (failed(ctx.push(shape::" << rule << "("
       << shapeRuleArguments(
              op, [](size_t i) { return "(*s)[" + std::to_string(i) + "]"; })
       << "), adaptor.get"
       << convertToCamelFromSnakeCase(operands[0].name, true)
       << "(), types)))\n    return failure();\n";
    for (StringRef like : op.def->getValueAsListOfStrings("nnResultTypesOf"))
      os << "  types.push_back(adaptor.get"
         << convertToCamelFromSnakeCase(operands[operandIndex(op, like)].name,
                                        true)
         << "().getType());\n";
    os << "  return success();\n}\n\n";
  }
  return false;
}

/// The model language's rule for `op`, from its shape rule: the dtype
/// checks its operand constraints and traits imply, then the shape rule on
/// the operands' shapes. Returns the function's name.
std::string emitDslShapeRule(raw_ostream &os, const OpRecord &op) {
  StringRef rule = op.def->getValueAsString("nnShapeRule");
  if (rule.empty())
    PrintFatalError(op.def, op.name + ": an nnDsl form without a rule needs "
                                      "the op's nnShapeRule");
  std::vector<Operand> operands = shapeRuleOperands(op);
  std::string function =
      "shapeRuleOf_" + op.def->getValueAsString("opName").str();
  os << "OpResult " << function << "(OpCall &call) {\n";
  auto check = [&](const std::string &call) {
    os << "  if (std::string err = " << call << "; !err.empty())\n"
       << "    return failure(err);\n";
  };
  bool allFloat = true;
  for (const Operand &operand : operands)
    allFloat &= operand.constraint->getName() == "NN_FloatTensor";
  if (allFloat) {
    check("checkAllFloat(call)");
  } else {
    if (hasTrait(op.def, "SameOperandsAndResultElementType"))
      check("checkSameDType(call)");
    for (size_t i = 0; i < operands.size(); ++i) {
      StringRef constraint = operands[i].constraint->getName();
      if (constraint == "NN_FloatTensor")
        check("checkFloat(call, " + std::to_string(i) + ")");
      else if (constraint == "NN_IndexTensor")
        check("checkInteger(call, " + std::to_string(i) + ", \"" +
              operands[i].name + "\")");
    }
  }
  os << "  const std::vector<TensorType> &ops = call.operands;\n"
     << "  OpResult result = fromShape(shape::" << rule << "("
     << shapeRuleArguments(
            op, [](size_t i) { return "ops[" + std::to_string(i) + "].shape"; })
     << "), ops[0].dtype);\n";
  std::vector<StringRef> more =
      op.def->getValueAsListOfStrings("nnResultTypesOf");
  if (!more.empty()) {
    os << "  if (result.error.empty()) {\n";
    for (StringRef like : more)
      os << "    result.results.push_back(ops[" << operandIndex(op, like)
         << "]);\n";
    os << "  }\n";
  }
  os << "  return result;\n}\n\n";
  return function;
}

/// A C++ double literal for an attribute default ("1e-5", "-1", "0.01").
std::string numberLiteral(const Record *attr) {
  return decimal(attr, attr->getValueAsString("attrDefault"));
}

bool emitDslSignatures(raw_ostream &os, const RecordKeeper &records) {
  emitSourceFileHeader("The model language's op table "
                       "(frontend/OpSignatures.cpp)",
                       os);
  static const char *const kAttrKinds[] = {"Int", "Float", "Bool", "IntList",
                                           "IntPair"};
  StringSet<> seen;
  std::string attrArrays, rules, rows;
  raw_string_ostream attrsOs(attrArrays), rulesOs(rules), rowsOs(rows);
  for (const OpRecord &op : nnOps(records)) {
    for (const Record *dsl : op.def->getValueAsListOfDefs("nnDsl")) {
      std::string name = dsl->getValueAsString("dslName").str();
      if (!seen.insert(name).second)
        PrintFatalError(op.def, "two ops are called '" + name + "' in the DSL");
      std::vector<Record *> attrs = dsl->getValueAsListOfDefs("dslAttrs");
      std::string attrsArg = "nullptr, 0";
      if (!attrs.empty()) {
        std::string array = "kAttrs_" + name;
        attrsOs << "constexpr AttrSpec " << array << "[] = {\n";
        for (const Record *attr : attrs) {
          StringRef kind = attr->getValueAsString("attrKind");
          if (std::find(std::begin(kAttrKinds), std::end(kAttrKinds), kind) ==
              std::end(kAttrKinds))
            PrintFatalError(attr, "unknown attribute kind '" + kind + "'");
          StringRef from = attr->getValueAsString("attrDefaultFrom");
          bool positive = attr->getValueAsBit("attrPositive");
          if (positive && kind != "Int" && kind != "Float")
            PrintFatalError(attr, "only a number can be required positive");
          attrsOs << "    {\"" << attr->getValueAsString("attrName")
                  << "\", AttrKind::" << kind << ", "
                  << (attr->getValueAsBit("attrRequired") ? "true" : "false")
                  << ", " << numberLiteral(attr) << ", "
                  << (from.empty() ? std::string("nullptr")
                                   : ("\"" + from + "\"").str())
                  << ", " << (positive ? "true" : "false") << "},\n";
        }
        attrsOs << "};\n";
        attrsArg = array + ", std::size(" + array + ")";
      }
      int64_t minOperands = dsl->getValueAsInt("dslMinOperands");
      int64_t maxOperands = dsl->getValueAsInt("dslMaxOperands");
      std::string rule = dsl->getValueAsString("dslRule").str();
      if (rule.empty()) {
        rule = emitDslShapeRule(rulesOs, op);
        minOperands = maxOperands =
            static_cast<int64_t>(shapeRuleOperands(op).size());
      }
      StringRef fixed = dsl->getValueAsString("dslFixedAttr");
      rowsOs << "    {\"" << name << "\", \""
             << op.def->getValueAsString("opName") << "\", " << minOperands
             << ", "
             << (maxOperands < 0 ? std::string("kVariadic")
                                 : std::to_string(maxOperands))
             << ", " << attrsArg << ", " << rule;
      if (!fixed.empty())
        rowsOs << ", \"" << fixed << "\", "
               << dsl->getValueAsInt("dslFixedValue");
      rowsOs << "},\n";
    }
  }
  os << rules << attrArrays << "\nconst OpSignature kOps[] = {\n"
     << rows << "};\n";
  return false;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::opt<Generator> action(
      cl::desc("What to generate:"),
      cl::values(clEnumValN(Generator::OpFacts, "gen-nn-op-facts",
                            "each nn op's fusion class and thread split"),
                 clEnumValN(Generator::DslSignatures, "gen-nn-dsl-signatures",
                            "the model language's op table"),
                 clEnumValN(Generator::InferTypes, "gen-nn-infer-types",
                            "inferReturnTypes of the ops naming a shape "
                            "rule")));
  cl::ParseCommandLineOptions(argc, argv, "nnc-tblgen\n");
  return TableGenMain(argv[0], [&](raw_ostream &os, RecordKeeper &records) {
    switch (action) {
    case Generator::OpFacts:
      return emitOpFacts(os, records);
    case Generator::DslSignatures:
      return emitDslSignatures(os, records);
    case Generator::InferTypes:
      return emitInferTypes(os, records);
    }
    return true;
  });
}
