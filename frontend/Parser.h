//===- Parser.h - Recursive-descent parser for .nn sources ------*- C++ -*-===//
//
// Builds the AST of a whole file. On a syntax error it reports, skips to the
// next statement separator (or the closing brace of the enclosing block) and
// goes on, so that one run reports several errors; it stops once the
// diagnostic engine's error limit is reached. Expression nesting and block
// nesting are bounded by FrontendLimits::maxNestingDepth, so no input can
// exhaust the stack, and every token is consumed at least once per step, so
// no input can make it loop.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_PARSER_H
#define NNC_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Frontend.h"
#include "frontend/Lexer.h"

namespace nnc::frontend {

class Parser {
public:
  /// Parses the source held by `diags`, reporting into it.
  Parser(DiagnosticEngine &diags, const FrontendLimits &limits);

  /// Parses the whole file. The result is meaningful only when no error was
  /// reported; it may then still hold partial statements.
  ast::Module parseModule();

private:
  enum class Context { TopLevel, Layer, Repeat };

  // Token stream.
  void consume();
  bool at(TokenKind kind) const { return tok.kind == kind; }
  bool accept(TokenKind kind);
  /// Consumes a token of `kind` or reports "expected WHAT, found X".
  bool expect(TokenKind kind, const char *what);
  bool atSeparator() const;
  void skipSeparators();
  void error(SourceLoc loc, std::string message);
  void errorExpected(const char *what);
  /// Skips to the end of the statement: past a separator, or up to (not
  /// past) a '}' that closes the enclosing block. Nested blocks are skipped
  /// whole.
  void synchronize();
  /// Past the error limit, or past the nesting limit: every enclosing
  /// production would report the same depth again, so parsing ends there.
  bool stopped() const { return diags.limitReached() || nestedTooDeep; }

  // Nesting guard: every recursive production enters and leaves.
  bool enterNesting(SourceLoc loc);
  void leaveNesting() { --depth; }

  // Statements.
  void parseTopLevel(ast::Module &module);
  /// Parses one statement valid in `context` into `out`; returns false after
  /// reporting an error.
  bool parseStatement(Context context, std::vector<ast::Stmt> &out,
                      ast::Module *module);
  bool parseBlock(Context context, std::vector<ast::Stmt> &body);
  bool parseDecl(ast::Stmt::Kind kind, ast::Stmt &stmt);
  bool parseType(ast::TypeExpr &type);
  bool parseLayer(ast::LayerDecl &layer);
  bool parseRepeat(ast::Stmt &stmt);
  bool parseTrain(ast::TrainBlock &block);
  bool parseTrainItem(ast::TrainItem &item);
  bool parseFreezePattern(ast::TrainItem &item);

  // Expressions.
  ast::ExprPtr parseExpr();
  ast::ExprPtr parseMultiplicative();
  ast::ExprPtr parseUnary();
  ast::ExprPtr parsePrimary();
  ast::ExprPtr parseList();
  /// Parses "( [arguments] )" with the current token on '('.
  bool parseCallArgs(std::vector<ast::CallArg> &args);
  ast::ExprPtr makeBinary(char op, SourceLoc loc, ast::ExprPtr lhs,
                          ast::ExprPtr rhs);

  DiagnosticEngine &diags;
  FrontendLimits limits;
  Lexer lexer;
  Token tok;
  unsigned depth = 0;
  bool nestedTooDeep = false;
};

} // namespace nnc::frontend

#endif // NNC_FRONTEND_PARSER_H
