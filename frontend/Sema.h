//===- Sema.h - Semantic analysis and elaboration ---------------*- C++ -*-===//
//
// Turns the AST into a Program: resolves names (a later `let` shadows), runs
// layer calls (each call a fresh instance with its own parameters), unrolls
// `repeat`, folds compile-time integers and numbers, checks every op call
// against the op table (arity, attributes, dtypes) and ir/ShapeRules.h
// (shapes), and reads the training section. Errors inside a layer instance
// carry notes pointing at each call that created it.
//
// The elaborated size is bounded by FrontendLimits::maxElaboratedNodes (it
// counts nodes, arguments and statements run), so `repeat 1000000000` is an
// error rather than an exhausted memory, and layer calls nest at most
// FrontendLimits::maxNestingDepth deep.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_SEMA_H
#define NNC_FRONTEND_SEMA_H

#include "frontend/AST.h"
#include "frontend/Frontend.h"
#include "frontend/OpSignatures.h"

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace nnc::frontend {

/// 64-bit FNV-1a of `bytes` (offset basis 0xcbf29ce484222325, prime
/// 0x100000001b3).
uint64_t fnv1a64(std::string_view bytes);

/// The seed of a parameter whose initializer gives none: the FNV-1a hash of
/// its qualified name with the top bit cleared, so it is a non-negative
/// int64 that does not change when other parameters are added.
int64_t defaultInitSeed(std::string_view qualifiedName);

/// Glob match of a freeze pattern: `*` matches any run of characters (dots
/// included); every other character matches itself.
bool matchesGlob(std::string_view pattern, std::string_view name);

/// Why the freeze pattern `pattern` matches no parameter, for its error:
/// "matches no parameter", with what a user may have meant: a buffer it
/// names (buffers have no gradient), PyTorch's dotted names where an
/// imported model has underscores, or a wildcard other than `*`.
/// `buffers` and `params` are the model's buffer and parameter names.
std::string unmatchedFreezePattern(std::string_view pattern,
                                   const std::vector<std::string> &buffers,
                                   const std::vector<std::string> &params);

/// The optimizers a train section, or a --optimizer that overrides it, may
/// name: sgd, momentum, nesterov, adam and adamw.
const std::vector<std::string> &optimizerNames();

/// The hyperparameters `optimizer` trains with under the train section
/// `config`: the section's own when it names that optimizer; else that
/// optimizer's defaults (docs/dsl.md), with those the section wrote that
/// it takes (another optimizer's defaults, such as sgd's lr of 0.01 under
/// `--optimizer adam`, are not carried over). Empty for an unknown name.
std::map<std::string, double> hyperFor(const TrainingConfig &config,
                                       const std::string &optimizer);

/// Checks and elaborates `module`. Returns std::nullopt when any error was
/// reported into `diags`.
std::optional<Program> elaborate(const ast::Module &module,
                                 DiagnosticEngine &diags,
                                 const FrontendLimits &limits);

/// The elaborator behind elaborate(); one object per run.
class Sema {
public:
  /// What an expression evaluates to. Numbers stay compile-time values until
  /// a tensor op needs them; Poison marks an expression whose error was
  /// already reported, so it spreads without further messages.
  struct Value {
    enum class Kind { Poison, Tensor, Int, Float, Bool, String, List };
    Kind kind = Kind::Poison;
    ValueRef ref;
    int64_t intValue = 0;
    double floatValue = 0;
    bool boolValue = false;
    std::string stringValue;
    std::vector<Value> list;
  };

  Sema(DiagnosticEngine &diags, const FrontendLimits &limits);
  /// Runs once; the Sema object is spent afterwards.
  std::optional<Program> run(const ast::Module &module);

private:
  /// One name scope: the top level or one layer instance.
  struct Frame {
    std::string prefix; ///< "" or "outer_0.inner_1."
    std::unordered_map<std::string, Value> names;
    std::unordered_map<std::string, unsigned> callCounts;
    std::vector<SourceLoc> callers; ///< Innermost call first.
    std::optional<Value> returned;
  };

  // Reporting.
  /// Reports an error with its call chain; false when the same error was
  /// reported before (another instance of a layer) and nothing was said.
  bool error(const Frame &frame, SourceLoc loc, std::string message);
  /// After a shape error of `sig` over `call` (the operands' types) that
  /// giving every unbatched operand the batch would have avoided: notes
  /// each unbatched input the unbatched operands (`operands`) come from.
  void noteFixedShapeInputs(const OpSignature &sig, const OpCall &call,
                            const std::vector<ValueRef> &operands);
  /// False once elaboration must stop (size limit or error limit).
  bool live() const { return !aborted && !diags.limitReached(); }
  /// Counts `units` of work at `loc`; past the limit reports once and
  /// stops.
  bool charge(const Frame &frame, SourceLoc loc, uint64_t units = 1);
  /// Reports the size limit at `loc` and stops elaboration.
  void reportTooLarge(const Frame &frame, SourceLoc loc);
  /// The elements of a list value, nested lists' included; 0 for others.
  static uint64_t elementCount(const Value &value);
  NodeLoc nodeLoc(const Frame &frame, SourceLoc loc) const;

  // Statements (Sema.cpp).
  void checkLayers(const ast::Module &module);
  void runStatements(const std::vector<ast::Stmt> &stmts, Frame &frame);
  void runStatement(const ast::Stmt &stmt, Frame &frame);
  void declareArgument(const ast::Stmt &stmt, Frame &frame);
  /// Reports `name` used at `loc` inside its own declaration (a type or
  /// initializer naming the argument being declared), whose poison would
  /// otherwise drop it without a word.
  void reportOwnUse(const std::string &name, SourceLoc loc, const Frame &frame);
  void runRepeat(const ast::Stmt &stmt, Frame &frame);
  void runOutput(const ast::Stmt &stmt, Frame &frame);
  void runLoss(const ast::Stmt &stmt, Frame &frame);
  /// After the statements: a result with a batch dimension in a model
  /// without a batched input is an error.
  void checkBatchUse();
  /// After the statements: every batch_norm's mean and var are buffers
  /// passed by name, no buffer serving twice as a running statistic.
  void checkRunningStatistics();
  std::optional<TensorType> resolveType(const ast::TypeExpr &type, bool isInput,
                                        Frame &frame);
  Value callLayer(const ast::LayerDecl &layer, const ast::Expr &call,
                  Frame &frame);

  // Expressions (SemaExpr.cpp).
  Value eval(const ast::Expr &expr, Frame &frame);
  Value evalName(const ast::Expr &expr, Frame &frame);
  Value evalNeg(const ast::Expr &expr, Frame &frame);
  Value evalBinary(const ast::Expr &expr, Frame &frame);
  Value evalCall(const ast::Expr &expr, Frame &frame);
  Value applyOp(const OpSignature &sig, std::vector<Value> operands,
                std::vector<SourceLoc> operandLocs,
                std::map<std::string, AttrValue> attrs, SourceLoc loc,
                Frame &frame);
  bool convertAttrs(
      const OpSignature &sig, const ast::Expr &call,
      const std::vector<std::pair<const ast::CallArg *, Value>> &keywordArgs,
      std::map<std::string, AttrValue> &attrs, Frame &frame);
  /// Turns a compile-time number into a scalar constant node of `dtype`.
  std::optional<ValueRef> materialize(const Value &value, DType dtype,
                                      SourceLoc loc, Frame &frame);
  /// A tensor-valued view of `value` (numbers become constants of
  /// `numberDType`); nullopt after reporting an error.
  std::optional<ValueRef> asTensor(const Value &value, DType numberDType,
                                   SourceLoc loc, const char *what,
                                   Frame &frame);
  std::optional<ValueRef> addNode(std::string op,
                                  std::vector<ValueRef> operands,
                                  std::map<std::string, AttrValue> attrs,
                                  std::vector<TensorType> results,
                                  SourceLoc loc, const Frame &frame);
  static std::string describe(const Value &value);

  // Initializers and the training section (SemaTrain.cpp).
  std::optional<Initializer> resolveInitializer(const ast::Stmt &stmt,
                                                const std::string &name,
                                                const TensorType &type,
                                                Frame &frame);
  void runTrain(const ast::TrainBlock &block, Frame &frame);
  void applyFreezePatterns(Frame &frame);
  /// Mixes each dropout's place among the program's dropouts into its
  /// seed, so that no two draw one mask.
  void numberDropouts();
  /// A compile-time number argument; nullopt after reporting.
  std::optional<double> numberArg(const Value &value, SourceLoc loc,
                                  const std::string &what, Frame &frame);

  DiagnosticEngine &diags;
  FrontendLimits limits;
  Program program;
  std::map<std::string, const ast::LayerDecl *> layers;
  std::set<const ast::LayerDecl *> brokenLayers;
  std::set<const ast::LayerDecl *> activeLayers;
  std::set<std::tuple<uint32_t, uint32_t, std::string>> reported;
  std::set<std::string> qualifiedNames;
  std::map<std::string, SourceLoc> outputNames;
  std::vector<std::pair<std::string, SourceLoc>> freezePatterns;
  bool sawModel = false;
  SourceLoc lossLoc;
  uint64_t work = 0;
  bool aborted = false;
  /// The argument whose type and initializer are being resolved.
  std::string declaring;
  unsigned callDepth = 0;
  /// Expressions being evaluated now, across layer calls (eval's depth).
  unsigned evalDepth = 0;
};

} // namespace nnc::frontend

#endif // NNC_FRONTEND_SEMA_H
