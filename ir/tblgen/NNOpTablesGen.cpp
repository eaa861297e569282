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
//                           of frontend/OpSignatures.cpp
//
// It checks what ODS cannot: an op with the elementwise interface is in the
// Elementwise fusion class, fusion classes and attribute kinds are known
// names, and no two ops claim one DSL name.
//
//===----------------------------------------------------------------------===//

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

enum class Generator { OpFacts, DslSignatures };

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
  std::string attrArrays, rows;
  raw_string_ostream attrsOs(attrArrays), rowsOs(rows);
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
          attrsOs << "    {\"" << attr->getValueAsString("attrName")
                  << "\", AttrKind::" << kind << ", "
                  << (attr->getValueAsBit("attrRequired") ? "true" : "false")
                  << ", " << numberLiteral(attr) << ", "
                  << (from.empty() ? std::string("nullptr")
                                   : ("\"" + from + "\"").str())
                  << "},\n";
        }
        attrsOs << "};\n";
        attrsArg = array + ", std::size(" + array + ")";
      }
      int64_t maxOperands = dsl->getValueAsInt("dslMaxOperands");
      StringRef fixed = dsl->getValueAsString("dslFixedAttr");
      rowsOs << "    {\"" << name << "\", \""
             << op.def->getValueAsString("opName") << "\", "
             << dsl->getValueAsInt("dslMinOperands") << ", "
             << (maxOperands < 0 ? std::string("kVariadic")
                                 : std::to_string(maxOperands))
             << ", " << attrsArg << ", " << dsl->getValueAsString("dslRule");
      if (!fixed.empty())
        rowsOs << ", \"" << fixed << "\", "
               << dsl->getValueAsInt("dslFixedValue");
      rowsOs << "},\n";
    }
  }
  os << attrArrays << "\nconst OpSignature kOps[] = {\n" << rows << "};\n";
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
                            "the model language's op table")));
  cl::ParseCommandLineOptions(argc, argv, "nnc-tblgen\n");
  return TableGenMain(argv[0], [&](raw_ostream &os, RecordKeeper &records) {
    return action == Generator::OpFacts ? emitOpFacts(os, records)
                                        : emitDslSignatures(os, records);
  });
}
