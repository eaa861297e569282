//===- Parser.cpp - Recursive-descent parser for .nn sources --------------===//

#include "frontend/Parser.h"

#include <algorithm>

namespace nnc::frontend {

using ast::Expr;
using ast::ExprPtr;
using ast::Stmt;

namespace {

std::string found(const Token &tok) {
  switch (tok.kind) {
  case TokenKind::Ident:
  case TokenKind::Int:
  case TokenKind::Float:
    return "'" + std::string(tok.text) + "'";
  default:
    return describe(tok.kind);
  }
}

std::optional<DType> parseDType(std::string_view text) {
  if (text == "f32")
    return DType::F32;
  if (text == "f64")
    return DType::F64;
  if (text == "i32")
    return DType::I32;
  if (text == "i64")
    return DType::I64;
  return std::nullopt;
}

ExprPtr makeLeaf(Expr::Kind kind, SourceLoc loc) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->loc = loc;
  return e;
}

} // namespace

Parser::Parser(DiagnosticEngine &diags, const FrontendLimits &limits)
    : diags(diags), limits(limits), lexer(diags.source(), &diags) {
  consume();
}

void Parser::consume() { tok = lexer.next(); }

bool Parser::accept(TokenKind kind) {
  if (!at(kind))
    return false;
  consume();
  return true;
}

bool Parser::expect(TokenKind kind, const char *what) {
  if (accept(kind))
    return true;
  errorExpected(what);
  return false;
}

bool Parser::atSeparator() const {
  return at(TokenKind::Newline) || at(TokenKind::Semicolon);
}

void Parser::skipSeparators() {
  while (atSeparator())
    consume();
}

void Parser::error(SourceLoc loc, std::string message) {
  diags.error(loc, std::move(message));
}

void Parser::errorExpected(const char *what) {
  error(tok.loc, std::string("expected ") + what + ", found " + found(tok));
}

void Parser::synchronize() {
  unsigned braces = 0;
  while (!at(TokenKind::Eof)) {
    if (braces == 0 && atSeparator()) {
      consume();
      return;
    }
    if (at(TokenKind::RBrace)) {
      if (braces == 0)
        return;
      --braces;
    } else if (at(TokenKind::LBrace)) {
      ++braces;
    }
    consume();
  }
}

bool Parser::enterNesting(SourceLoc loc) {
  if (depth >= limits.maxNestingDepth) {
    error(loc, "nesting is too deep (the limit is " +
                   std::to_string(limits.maxNestingDepth) + ")");
    nestedTooDeep = true;
    return false;
  }
  ++depth;
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

ast::Module Parser::parseModule() {
  ast::Module module;
  for (;;) {
    skipSeparators();
    if (at(TokenKind::Eof) || stopped())
      break;
    parseTopLevel(module);
  }
  return module;
}

void Parser::parseTopLevel(ast::Module &module) {
  if (at(TokenKind::RBrace)) {
    error(tok.loc, "unexpected '}' outside a block");
    consume();
    return;
  }
  parseStatement(Context::TopLevel, module.statements, &module);
}

bool Parser::parseStatement(Context context, std::vector<Stmt> &out,
                            ast::Module *module) {
  SourceLoc loc = tok.loc;
  TokenKind kind = tok.kind;
  auto notHere = [&](const char *where) {
    error(loc, std::string(describe(kind)) + " is not allowed " + where);
    synchronize();
    return false;
  };
  const char *where =
      context == Context::Layer ? "inside a layer" : "inside a repeat block";
  bool topLevel = context == Context::TopLevel;

  Stmt stmt;
  stmt.loc = loc;
  bool ok = true;
  switch (kind) {
  case TokenKind::KwModel:
    if (!topLevel)
      return notHere(where);
    consume();
    stmt.kind = Stmt::Kind::Model;
    stmt.nameLoc = tok.loc;
    stmt.name = std::string(tok.text);
    ok = expect(TokenKind::Ident, "a model name");
    break;
  case TokenKind::KwInput:
    if (!topLevel)
      return notHere(where);
    ok = parseDecl(Stmt::Kind::Input, stmt);
    break;
  case TokenKind::KwParam:
  case TokenKind::KwBuffer:
    if (context == Context::Repeat)
      return notHere(where);
    ok = parseDecl(kind == TokenKind::KwParam ? Stmt::Kind::Param
                                              : Stmt::Kind::Buffer,
                   stmt);
    break;
  case TokenKind::KwLet:
    consume();
    stmt.kind = Stmt::Kind::Let;
    stmt.nameLoc = tok.loc;
    stmt.name = std::string(tok.text);
    ok = expect(TokenKind::Ident, "a name after 'let'") &&
         expect(TokenKind::Equal, "'='") && (stmt.value = parseExpr());
    break;
  case TokenKind::KwRepeat:
    ok = parseRepeat(stmt);
    break;
  case TokenKind::KwOutput:
    if (!topLevel)
      return notHere(where);
    consume();
    stmt.kind = Stmt::Kind::Output;
    stmt.nameLoc = tok.loc;
    stmt.name = std::string(tok.text);
    ok = expect(TokenKind::Ident, "an output name");
    if (ok && accept(TokenKind::Equal))
      ok = (stmt.value = parseExpr()) != nullptr;
    break;
  case TokenKind::KwLoss:
    if (!topLevel)
      return notHere(where);
    consume();
    stmt.kind = Stmt::Kind::Loss;
    ok = expect(TokenKind::Equal, "'=' after 'loss'") &&
         (stmt.value = parseExpr());
    break;
  case TokenKind::KwReturn:
    if (context != Context::Layer)
      return notHere(topLevel ? "outside a layer" : where);
    consume();
    stmt.kind = Stmt::Kind::Return;
    ok = (stmt.value = parseExpr()) != nullptr;
    break;
  case TokenKind::KwLayer: {
    if (!topLevel)
      return notHere(where);
    ast::LayerDecl layer;
    ok = parseLayer(layer);
    if (ok)
      module->layers.push_back(std::move(layer));
    break;
  }
  case TokenKind::KwTrain: {
    if (!topLevel)
      return notHere(where);
    ast::TrainBlock block;
    ok = parseTrain(block);
    if (ok)
      module->trainBlocks.push_back(std::move(block));
    break;
  }
  default:
    errorExpected("a statement");
    ok = false;
    break;
  }
  if (!ok) {
    synchronize();
    return false;
  }
  if (kind != TokenKind::KwLayer && kind != TokenKind::KwTrain)
    out.push_back(std::move(stmt));
  if (atSeparator() || at(TokenKind::Eof) || at(TokenKind::RBrace))
    return true;
  errorExpected("end of statement");
  synchronize();
  return false;
}

bool Parser::parseBlock(Context context, std::vector<Stmt> &body) {
  SourceLoc open = tok.loc;
  if (!expect(TokenKind::LBrace, "'{'"))
    return false;
  if (!enterNesting(open))
    return false;
  bool ok = true;
  for (;;) {
    skipSeparators();
    if (accept(TokenKind::RBrace))
      break;
    if (stopped()) {
      ok = false;
      break;
    }
    if (at(TokenKind::Eof)) {
      error(tok.loc, "expected '}' to close the block opened at " +
                         std::to_string(open.line) + ":" +
                         std::to_string(open.col));
      ok = false;
      break;
    }
    if (!parseStatement(context, body, nullptr))
      ok = false;
  }
  leaveNesting();
  // Errors inside the body were reported and skipped; the block itself is
  // complete, so the caller need not resynchronise.
  return ok || !stopped();
}

bool Parser::parseDecl(Stmt::Kind kind, Stmt &stmt) {
  consume(); // input / param / buffer
  stmt.kind = kind;
  stmt.nameLoc = tok.loc;
  stmt.name = std::string(tok.text);
  if (!expect(TokenKind::Ident, "a name") ||
      !expect(TokenKind::Colon, "':' before the type") || !parseType(stmt.type))
    return false;
  if (kind == Stmt::Kind::Input || !accept(TokenKind::Equal))
    return true;
  auto init = std::make_unique<ast::InitializerExpr>();
  init->loc = tok.loc;
  init->name = std::string(tok.text);
  if (!expect(TokenKind::Ident, "an initializer"))
    return false;
  if (at(TokenKind::LParen) && !parseCallArgs(init->args))
    return false;
  stmt.init = std::move(init);
  return true;
}

bool Parser::parseType(ast::TypeExpr &type) {
  type.loc = tok.loc;
  std::optional<DType> dtype =
      at(TokenKind::Ident) ? parseDType(tok.text) : std::nullopt;
  if (!dtype) {
    errorExpected("a dtype (f32, f64, i32 or i64)");
    return false;
  }
  type.dtype = *dtype;
  consume();
  if (!expect(TokenKind::LBracket, "'[' after the dtype"))
    return false;
  if (accept(TokenKind::RBracket))
    return true;
  do {
    ast::Dim dim;
    dim.loc = tok.loc;
    if (at(TokenKind::Int)) {
      dim.value = tok.intValue;
    } else if (at(TokenKind::Ident)) {
      dim.isName = true;
      dim.name = std::string(tok.text);
    } else {
      errorExpected("a dimension (an integer or a name)");
      return false;
    }
    consume();
    type.dims.push_back(std::move(dim));
  } while (accept(TokenKind::Comma));
  return expect(TokenKind::RBracket, "',' or ']'");
}

bool Parser::parseLayer(ast::LayerDecl &layer) {
  consume(); // layer
  layer.loc = tok.loc;
  layer.name = std::string(tok.text);
  if (!expect(TokenKind::Ident, "a layer name") ||
      !expect(TokenKind::LParen, "'(' after the layer name"))
    return false;
  if (!accept(TokenKind::RParen)) {
    do {
      ast::LayerParam param;
      param.loc = tok.loc;
      param.name = std::string(tok.text);
      if (!expect(TokenKind::Ident, "a parameter name"))
        return false;
      if (accept(TokenKind::Colon)) {
        if (at(TokenKind::Ident) && tok.text == "tensor") {
          param.kind = ast::LayerParam::Kind::Tensor;
        } else if (at(TokenKind::Ident) && tok.text == "int") {
          param.kind = ast::LayerParam::Kind::Int;
        } else if (at(TokenKind::Ident) && tok.text == "float") {
          param.kind = ast::LayerParam::Kind::Float;
        } else {
          errorExpected("'tensor', 'int' or 'float'");
          return false;
        }
        consume();
      }
      layer.params.push_back(std::move(param));
    } while (accept(TokenKind::Comma));
    if (!expect(TokenKind::RParen, "',' or ')'"))
      return false;
  }
  return parseBlock(Context::Layer, layer.body);
}

bool Parser::parseRepeat(Stmt &stmt) {
  consume(); // repeat
  stmt.kind = Stmt::Kind::Repeat;
  stmt.countLoc = tok.loc;
  if (at(TokenKind::Int)) {
    stmt.count = tok.intValue;
  } else if (at(TokenKind::Ident)) {
    stmt.countName = std::string(tok.text);
  } else {
    errorExpected("a repeat count");
    return false;
  }
  consume();
  return parseBlock(Context::Repeat, stmt.body);
}

bool Parser::parseTrain(ast::TrainBlock &block) {
  block.loc = tok.loc;
  consume(); // train
  SourceLoc open = tok.loc;
  if (!expect(TokenKind::LBrace, "'{' after 'train'"))
    return false;
  for (;;) {
    skipSeparators();
    if (accept(TokenKind::RBrace))
      return true;
    if (stopped())
      return false;
    if (at(TokenKind::Eof)) {
      error(tok.loc, "expected '}' to close the block opened at " +
                         std::to_string(open.line) + ":" +
                         std::to_string(open.col));
      return false;
    }
    ast::TrainItem item;
    if (!parseTrainItem(item)) {
      synchronize();
      continue;
    }
    block.items.push_back(std::move(item));
    if (!atSeparator() && !at(TokenKind::RBrace)) {
      errorExpected("end of statement");
      synchronize();
    }
  }
}

bool Parser::parseTrainItem(ast::TrainItem &item) {
  item.loc = tok.loc;
  if (accept(TokenKind::KwFreeze)) {
    item.isFreeze = true;
    do {
      if (!parseFreezePattern(item))
        return false;
    } while (accept(TokenKind::Comma));
    return true;
  }
  item.key = std::string(tok.text);
  if (!expect(TokenKind::Ident, "a training setting or 'freeze'") ||
      !expect(TokenKind::Equal, "'='"))
    return false;
  item.value = parseExpr();
  return item.value != nullptr;
}

bool Parser::parseFreezePattern(ast::TrainItem &item) {
  // A pattern is a run of adjacent identifier, integer, '.' and '*' tokens:
  // `block_*.w`, `*`, `enc_0.*`. Adjacency keeps `freeze a b` from reading
  // as the single pattern "ab".
  if (!at(TokenKind::Ident) && !at(TokenKind::Star)) {
    errorExpected("a parameter name pattern");
    return false;
  }
  SourceLoc loc = tok.loc;
  std::string pattern;
  uint32_t end = tok.offset;
  while ((at(TokenKind::Ident) || at(TokenKind::Int) || at(TokenKind::Dot) ||
          at(TokenKind::Star)) &&
         tok.offset == end) {
    pattern += tok.text;
    end = tok.endOffset();
    consume();
  }
  item.patterns.push_back(std::move(pattern));
  item.patternLocs.push_back(loc);
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

ExprPtr Parser::makeBinary(char op, SourceLoc loc, ExprPtr lhs, ExprPtr rhs) {
  unsigned height = std::max(lhs->height, rhs->height) + 1;
  if (height > limits.maxNestingDepth) {
    error(loc, "expression is nested too deeply (the limit is " +
                   std::to_string(limits.maxNestingDepth) + ")");
    return nullptr;
  }
  auto e = makeLeaf(Expr::Kind::Binary, loc);
  e->op = op;
  e->height = height;
  e->operands.push_back(std::move(lhs));
  e->operands.push_back(std::move(rhs));
  return e;
}

ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (at(TokenKind::Plus) || at(TokenKind::Minus))) {
    char op = tok.text[0];
    SourceLoc loc = tok.loc;
    consume();
    ExprPtr rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseMultiplicative() {
  ExprPtr lhs = parseUnary();
  while (lhs &&
         (at(TokenKind::Star) || at(TokenKind::Slash) || at(TokenKind::At))) {
    char op = tok.text[0];
    SourceLoc loc = tok.loc;
    consume();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!at(TokenKind::Minus))
    return parsePrimary();
  SourceLoc loc = tok.loc;
  if (!enterNesting(loc))
    return nullptr;
  consume();
  ExprPtr operand = parseUnary();
  leaveNesting();
  if (!operand)
    return nullptr;
  auto e = makeLeaf(Expr::Kind::Neg, loc);
  e->height = operand->height + 1;
  e->operands.push_back(std::move(operand));
  return e;
}

ExprPtr Parser::parsePrimary() {
  SourceLoc loc = tok.loc;
  switch (tok.kind) {
  case TokenKind::Int: {
    auto e = makeLeaf(Expr::Kind::Int, loc);
    e->intValue = tok.intValue;
    consume();
    return e;
  }
  case TokenKind::Float: {
    auto e = makeLeaf(Expr::Kind::Float, loc);
    e->floatValue = tok.floatValue;
    consume();
    return e;
  }
  case TokenKind::KwTrue:
  case TokenKind::KwFalse: {
    auto e = makeLeaf(Expr::Kind::Bool, loc);
    e->boolValue = at(TokenKind::KwTrue);
    consume();
    return e;
  }
  case TokenKind::String: {
    auto e = makeLeaf(Expr::Kind::String, loc);
    e->name = std::move(tok.stringValue);
    consume();
    return e;
  }
  case TokenKind::Ident: {
    auto e = makeLeaf(Expr::Kind::Name, loc);
    e->name = std::string(tok.text);
    consume();
    if (!at(TokenKind::LParen))
      return e;
    e->kind = Expr::Kind::Call;
    if (!enterNesting(loc))
      return nullptr;
    bool ok = parseCallArgs(e->args);
    leaveNesting();
    if (!ok)
      return nullptr;
    for (const ast::CallArg &arg : e->args)
      e->height = std::max(e->height, arg.value->height + 1);
    return e;
  }
  case TokenKind::LParen: {
    if (!enterNesting(loc))
      return nullptr;
    consume();
    ExprPtr inner = parseExpr();
    leaveNesting();
    if (!inner || !expect(TokenKind::RParen, "')'"))
      return nullptr;
    return inner;
  }
  case TokenKind::LBracket:
    return parseList();
  default:
    errorExpected("an expression");
    return nullptr;
  }
}

ExprPtr Parser::parseList() {
  SourceLoc loc = tok.loc;
  if (!enterNesting(loc))
    return nullptr;
  consume(); // [
  auto e = makeLeaf(Expr::Kind::List, loc);
  bool ok = true;
  if (!accept(TokenKind::RBracket)) {
    do {
      ExprPtr element = parseExpr();
      if (!element) {
        ok = false;
        break;
      }
      e->height = std::max(e->height, element->height + 1);
      e->operands.push_back(std::move(element));
    } while (accept(TokenKind::Comma));
    ok = ok && expect(TokenKind::RBracket, "',' or ']'");
  }
  leaveNesting();
  return ok ? std::move(e) : nullptr;
}

bool Parser::parseCallArgs(std::vector<ast::CallArg> &args) {
  consume(); // (
  if (accept(TokenKind::RParen))
    return true;
  bool sawKeyword = false;
  do {
    ast::CallArg arg;
    SourceLoc loc = tok.loc;
    // A keyword is a bare name: `(axis)=1` parses to the same Name node.
    bool bareName = at(TokenKind::Ident);
    ExprPtr value = parseExpr();
    if (!value)
      return false;
    if (at(TokenKind::Equal)) {
      if (value->kind != Expr::Kind::Name || !bareName) {
        error(tok.loc, "expected ',' or ')', found '='");
        return false;
      }
      consume();
      arg.keyword = std::move(value->name);
      arg.keywordLoc = loc;
      value = parseExpr();
      if (!value)
        return false;
      sawKeyword = true;
    } else if (sawKeyword) {
      error(loc, "positional argument after a keyword argument");
      return false;
    }
    arg.value = std::move(value);
    args.push_back(std::move(arg));
  } while (accept(TokenKind::Comma));
  return expect(TokenKind::RParen, "',' or ')'");
}

} // namespace nnc::frontend
