//===- SemaTrain.cpp - Initializers, the training section, freezing -------===//

#include "frontend/Sema.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <string_view>
#include <unordered_map>

namespace nnc::frontend {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

int64_t defaultInitSeed(std::string_view qualifiedName) {
  return static_cast<int64_t>(fnv1a64(qualifiedName) & INT64_MAX);
}

std::string unmatchedFreezePattern(std::string_view pattern,
                                   const std::vector<std::string> &buffers,
                                   const std::vector<std::string> &params) {
  std::string text = "matches no parameter";
  for (const std::string &buffer : buffers)
    if (matchesGlob(pattern, buffer))
      return text + "; '" + buffer +
             "' is a buffer, which has no gradient to freeze (a batch_norm "
             "statistic still follows the batches)";
  // The importer writes PyTorch's "block.0.weight" as block_0_weight.
  std::string underscored(pattern);
  std::replace(underscored.begin(), underscored.end(), '.', '_');
  if (underscored != pattern)
    for (const std::string &param : params)
      if (matchesGlob(underscored, param))
        return text + "; did you mean '" + underscored +
               "'? (an imported model's names have '_' for '.')";
  if (pattern.find_first_of("?[") != std::string_view::npos)
    return text + " (only * is a wildcard)";
  return text;
}

bool matchesGlob(std::string_view pattern, std::string_view name) {
  // Greedy matching with backtracking to the last '*': linear in practice,
  // O(pattern * name) at worst, and no recursion.
  size_t p = 0, n = 0;
  size_t starP = std::string_view::npos, starN = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starN = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (starP != std::string_view::npos) {
      p = starP + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

namespace {

/// An initializer's spelling, the kind stored in the Program, and its
/// numeric arguments in positional order with their defaults.
struct InitSpec {
  const char *name;
  const char *kind;
  size_t numArgs;
  const char *args[2];
  double defaults[2];
  bool required; ///< The arguments have no default (constant's value).
  /// Needs rank >= 2: for fan_in and fan_out, or for rows and columns.
  bool needsFans;
};

constexpr InitSpec kInitializers[] = {
    {"zeros", "zeros", 0, {}, {}, false, false},
    {"ones", "ones", 0, {}, {}, false, false},
    {"constant", "constant", 1, {"value"}, {0}, true, false},
    {"uniform", "uniform", 2, {"low", "high"}, {-0.05, 0.05}, false, false},
    {"normal", "normal", 2, {"mean", "std"}, {0, 0.05}, false, false},
    {"glorot", "glorot", 0, {}, {}, false, true},
    {"xavier", "glorot", 0, {}, {}, false, true},
    {"he", "he", 0, {}, {}, false, true},
    {"kaiming", "he", 0, {}, {}, false, true},
    // Over the last two axes: 1 on and below the diagonal, 0 above; and the
    // additive causal mask, 0 on and below, -inf above.
    {"tril", "tril", 0, {}, {}, false, true},
    {"causal_mask", "causal_mask", 0, {}, {}, false, true},
};

struct Hyper {
  const char *name;
  double value;
};

/// The optimizers and their hyperparameters with defaults.
struct OptimizerSpec {
  const char *name;
  Hyper hyper[5];
  size_t numHyper;
};

constexpr OptimizerSpec kOptimizers[] = {
    {"sgd", {{"lr", 0.01}, {"momentum", 0}, {"weight_decay", 0}}, 3},
    {"momentum", {{"lr", 0.01}, {"momentum", 0.9}, {"weight_decay", 0}}, 3},
    {"nesterov", {{"lr", 0.01}, {"momentum", 0.9}, {"weight_decay", 0}}, 3},
    {"adam",
     {{"lr", 0.001},
      {"beta1", 0.9},
      {"beta2", 0.999},
      {"eps", 1e-8},
      {"weight_decay", 0}},
     5},
    {"adamw",
     {{"lr", 0.001},
      {"beta1", 0.9},
      {"beta2", 0.999},
      {"eps", 1e-8},
      {"weight_decay", 0.01}},
     5},
};

/// The integer settings of a train block and their legal range.
struct SettingSpec {
  const char *name;
  int64_t min;
  int64_t max;
};

constexpr SettingSpec kSettings[] = {
    {"epochs", 1, std::numeric_limits<int64_t>::max()},
    // A batch is a tensor extent: at most the 2^40 elements of a tensor,
    // as --batch.
    {"batch", 1, int64_t(1) << 40},
    {"seed", 0, std::numeric_limits<int64_t>::max()}};

} // namespace

std::map<std::string, double> hyperFor(const TrainingConfig &config,
                                       const std::string &optimizer) {
  if (optimizer == config.optimizer && config.present)
    return config.hyper;
  std::map<std::string, double> hyper;
  for (const OptimizerSpec &spec : kOptimizers) {
    if (spec.name != optimizer)
      continue;
    for (size_t i = 0; i < spec.numHyper; ++i) {
      auto given = config.hyperGiven.find(spec.hyper[i].name);
      hyper[spec.hyper[i].name] = given != config.hyperGiven.end()
                                      ? given->second
                                      : spec.hyper[i].value;
    }
  }
  return hyper;
}

const std::vector<std::string> &optimizerNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const OptimizerSpec &spec : kOptimizers)
      list.emplace_back(spec.name);
    return list;
  }();
  return names;
}

std::optional<double> Sema::numberArg(const Value &value, SourceLoc loc,
                                      const std::string &what, Frame &frame) {
  if (value.kind == Value::Kind::Int)
    return static_cast<double>(value.intValue);
  if (value.kind == Value::Kind::Float)
    return value.floatValue;
  if (value.kind != Value::Kind::Poison)
    error(frame, loc, what + " must be a number, got " + describe(value));
  return std::nullopt;
}

std::optional<Initializer> Sema::resolveInitializer(const ast::Stmt &stmt,
                                                    const std::string &name,
                                                    const TensorType &type,
                                                    Frame &frame) {
  Initializer init;
  init.seed = defaultInitSeed(name);
  if (!stmt.init)
    return init;
  init.written = true;
  const ast::InitializerExpr &expr = *stmt.init;
  const InitSpec *spec = nullptr;
  for (const InitSpec &s : kInitializers)
    if (expr.name == s.name)
      spec = &s;
  if (!spec) {
    std::string valid;
    for (const InitSpec &s : kInitializers)
      valid += (valid.empty() ? "" : ", ") + std::string(s.name);
    error(frame, expr.loc,
          "unknown initializer '" + expr.name + "'; valid: " + valid);
    return std::nullopt;
  }
  init.kind = spec->kind;
  std::string prefix = expr.name + ": ";
  std::string valid;
  for (size_t i = 0; i < spec->numArgs; ++i)
    valid += std::string(spec->args[i]) + ", ";
  valid += "seed";

  bool ok = true;
  bool sawSeed = false;
  size_t positional = 0;
  for (const ast::CallArg &arg : expr.args) {
    Value value = eval(*arg.value, frame);
    if (value.kind == Value::Kind::Poison) {
      ok = false;
      continue;
    }
    std::string key = arg.keyword;
    if (key.empty()) {
      if (positional >= spec->numArgs) {
        error(frame, arg.value->loc,
              prefix + "too many positional arguments (it takes " +
                  std::to_string(spec->numArgs) + ")");
        ok = false;
        continue;
      }
      key = spec->args[positional++];
    }
    if (key == "seed") {
      if (sawSeed) {
        error(frame, arg.keywordLoc, prefix + "'seed' is given twice");
        ok = false;
      } else if (value.kind != Value::Kind::Int || value.intValue < 0) {
        error(frame, arg.value->loc,
              prefix + "seed must be a non-negative integer, got " +
                  describe(value));
        ok = false;
      } else {
        init.seed = value.intValue;
      }
      sawSeed = true;
      continue;
    }
    bool known = false;
    for (size_t i = 0; i < spec->numArgs; ++i)
      known = known || key == spec->args[i];
    if (!known) {
      error(frame, arg.keywordLoc,
            prefix + "unknown argument '" + key +
                "'; valid arguments: " + valid);
      ok = false;
      continue;
    }
    if (init.args.count(key)) {
      error(frame, arg.keywordLoc.line ? arg.keywordLoc : arg.value->loc,
            prefix + "'" + key + "' is given twice");
      ok = false;
      continue;
    }
    std::optional<double> number =
        numberArg(value, arg.value->loc, prefix + "'" + key + "'", frame);
    if (!number) {
      ok = false;
      continue;
    }
    init.args[key] = *number;
  }
  if (!ok)
    return std::nullopt;
  for (size_t i = 0; i < spec->numArgs; ++i) {
    if (init.args.count(spec->args[i]))
      continue;
    if (spec->required) {
      error(frame, expr.loc,
            prefix + "missing argument '" + spec->args[i] + "'");
      return std::nullopt;
    }
    init.args[spec->args[i]] = spec->defaults[i];
  }
  if (init.kind == "uniform" && init.args["low"] > init.args["high"]) {
    error(frame, expr.loc, prefix + "low must not exceed high");
    return std::nullopt;
  }
  if (init.kind == "normal" && init.args["std"] < 0) {
    error(frame, expr.loc, prefix + "std must not be negative");
    return std::nullopt;
  }
  // What the runtime can fill (rt::initialize): an integer tensor takes
  // only whole constants it can hold; an f32 one no number beyond its range.
  std::string typeText =
      std::string(toString(type.dtype)) + shape::toString(type.shape);
  bool integer = type.dtype == DType::I32 || type.dtype == DType::I64;
  if (integer && init.kind != "zeros" && init.kind != "ones" &&
      init.kind != "constant") {
    error(frame, expr.loc,
          prefix + "needs a float tensor, got " + typeText +
              " (an integer tensor takes zeros, ones or constant)");
    return std::nullopt;
  }
  for (const auto &[key, number] : init.args) {
    double limit = type.dtype == DType::I64   ? 0x1p63
                   : type.dtype == DType::I32 ? 0x1p31
                   : type.dtype == DType::F32 ? FLT_MAX
                                              : DBL_MAX;
    bool whole = !integer || number == std::trunc(number);
    bool fits = integer ? number >= -limit && number < limit
                        : std::fabs(number) <= limit;
    if (whole && fits)
      continue;
    char text[32];
    std::snprintf(text, sizeof(text), "%.15g", number);
    error(frame, expr.loc,
          prefix + "'" + key + "' " + text + " does not fit " + typeText);
    return std::nullopt;
  }
  if (spec->needsFans && type.shape.size() < 2) {
    error(frame, expr.loc,
          prefix + "needs a tensor of rank 2 or more (" +
              (init.kind == "tril" || init.kind == "causal_mask"
                   ? std::string("rows and columns")
                   : std::string("for fan_in and fan_out")) +
              "), got shape " + shape::toString(type.shape));
    return std::nullopt;
  }
  return init;
}

void Sema::runTrain(const ast::TrainBlock &block, Frame &frame) {
  TrainingConfig &training = program.training;
  training.present = true;
  training.loc = nodeLoc(frame, block.loc);
  const OptimizerSpec *optimizer = &kOptimizers[0];
  std::map<std::string, double> hyperGiven;
  std::set<std::string> seen;

  for (const ast::TrainItem &item : block.items) {
    if (item.isFreeze) {
      for (size_t i = 0; i < item.patterns.size(); ++i) {
        training.frozenPatterns.push_back(item.patterns[i]);
        freezePatterns.emplace_back(item.patterns[i], item.patternLocs[i]);
      }
      continue;
    }
    if (!seen.insert(item.key).second) {
      error(frame, item.loc,
            "training setting '" + item.key + "' is already given");
      continue;
    }
    const ast::Expr &expr = *item.value;
    if (item.key == "optimizer") {
      const OptimizerSpec *spec = nullptr;
      if (expr.kind == ast::Expr::Kind::Name ||
          expr.kind == ast::Expr::Kind::Call)
        for (const OptimizerSpec &s : kOptimizers)
          if (expr.name == s.name)
            spec = &s;
      if (!spec) {
        std::string valid;
        for (const std::string &name : optimizerNames())
          valid += (valid.empty() ? "" : ", ") + name;
        bool named = expr.kind == ast::Expr::Kind::Name ||
                     expr.kind == ast::Expr::Kind::Call;
        error(frame, expr.loc,
              named ? "unknown optimizer '" + expr.name + "'; valid: " + valid
                    : "'optimizer' must be an optimizer's name (" + valid +
                          "), optionally with its settings");
        continue;
      }
      optimizer = spec;
      for (const ast::CallArg &arg : expr.args) {
        std::string prefix = std::string(spec->name) + ": ";
        if (arg.keyword.empty()) {
          error(frame, arg.value->loc,
                prefix + "hyperparameters are given by name, as in lr=0.1");
          continue;
        }
        bool known = false;
        std::string valid;
        for (size_t i = 0; i < spec->numHyper; ++i) {
          known = known || arg.keyword == spec->hyper[i].name;
          valid += (i ? ", " : "") + std::string(spec->hyper[i].name);
        }
        if (!known) {
          error(frame, arg.keywordLoc,
                prefix + "unknown hyperparameter '" + arg.keyword +
                    "'; valid: " + valid);
          continue;
        }
        if (hyperGiven.count(arg.keyword)) {
          error(frame, arg.keywordLoc,
                prefix + "'" + arg.keyword + "' is given twice");
          continue;
        }
        std::optional<double> number =
            numberArg(eval(*arg.value, frame), arg.value->loc,
                      prefix + "'" + arg.keyword + "'", frame);
        if (!number)
          continue;
        if (arg.keyword == "lr" && *number <= 0) {
          error(frame, arg.value->loc, prefix + "lr must be positive");
          continue;
        }
        if (*number < 0) {
          error(frame, arg.value->loc,
                prefix + "'" + arg.keyword + "' must not be negative");
          continue;
        }
        // The training step reads every hyperparameter as a 32-bit float,
        // where a larger one is infinite: found here, it is the model's
        // error, not one of a --lr that was never given.
        if (*number > FLT_MAX) {
          error(frame, arg.value->loc,
                prefix + "'" + arg.keyword +
                    "' must be at most 3.4028235e38, the largest 32-bit "
                    "float");
          continue;
        }
        // A decay rate of 1 or more keeps every past gradient whole, and
        // the step grows without bound.
        bool decayRate = arg.keyword == "momentum" || arg.keyword == "beta1" ||
                         arg.keyword == "beta2";
        if (decayRate && *number >= 1) {
          error(frame, arg.value->loc,
                prefix + "'" + arg.keyword + "' must be below 1");
          continue;
        }
        if (arg.keyword == "eps" && *number == 0) {
          error(frame, arg.value->loc, prefix + "eps must be positive");
          continue;
        }
        hyperGiven[arg.keyword] = *number;
      }
      continue;
    }
    const SettingSpec *setting = nullptr;
    for (const SettingSpec &s : kSettings)
      if (item.key == s.name)
        setting = &s;
    if (!setting) {
      error(frame, item.loc,
            "unknown training setting '" + item.key +
                "'; valid settings: optimizer, epochs, batch, seed");
      continue;
    }
    Value value = eval(expr, frame);
    if (value.kind == Value::Kind::Poison)
      continue;
    if (value.kind != Value::Kind::Int || value.intValue < setting->min ||
        value.intValue > setting->max) {
      error(frame, expr.loc,
            "'" + item.key + "' must be an integer of at least " +
                std::to_string(setting->min) +
                (setting->max < std::numeric_limits<int64_t>::max()
                     ? " and at most " + std::to_string(setting->max)
                     : std::string()) +
                ", got " +
                (value.kind == Value::Kind::Int ? std::to_string(value.intValue)
                                                : describe(value)));
      continue;
    }
    training.settings[item.key] = value.intValue;
  }

  training.optimizer = optimizer->name;
  training.hyper.clear();
  for (size_t i = 0; i < optimizer->numHyper; ++i)
    training.hyper[optimizer->hyper[i].name] = optimizer->hyper[i].value;
  for (const auto &[key, value] : hyperGiven)
    training.hyper[key] = value;
  training.hyperGiven = hyperGiven;

  if (!program.hasLoss && !diags.hasErrors())
    error(frame, block.loc, "the train block needs a loss (loss = ...)");
}

void Sema::applyFreezePatterns(Frame &frame) {
  // A pattern without '*' names one parameter: found by name, so that a
  // long list of names costs time linear in its length.
  std::unordered_map<std::string_view, Argument *> paramsByName;
  for (Argument &arg : program.arguments)
    if (arg.role == Argument::Role::Param)
      paramsByName.emplace(arg.name, &arg);
  for (const auto &[pattern, loc] : freezePatterns) {
    bool matched = false;
    if (pattern.find('*') == std::string::npos) {
      if (auto it = paramsByName.find(pattern); it != paramsByName.end()) {
        it->second->frozen = true;
        matched = true;
      }
    } else {
      for (Argument &arg : program.arguments)
        if (arg.role == Argument::Role::Param &&
            matchesGlob(pattern, arg.name)) {
          arg.frozen = true;
          matched = true;
        }
    }
    if (matched)
      continue;
    std::vector<std::string> buffers, params;
    for (const Argument &arg : program.arguments) {
      if (arg.role == Argument::Role::Buffer)
        buffers.push_back(arg.name);
      if (arg.role == Argument::Role::Param)
        params.push_back(arg.name);
    }
    error(frame, loc,
          "freeze pattern '" + pattern + "' " +
              unmatchedFreezePattern(pattern, buffers, params));
  }
}

} // namespace nnc::frontend
