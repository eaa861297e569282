//===- GradcheckCommand.cpp - nnc gradcheck -------------------------------===//
//
// Prints driver::checkGradients's findings (driver/GradientCheck.h) as a
// table, one parameter per row, and fails beyond the tolerance.
//
//===----------------------------------------------------------------------===//

#include "driver/GradientCheck.h"
#include "driver/OpenModel.h"
#include "runtime/Counted.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "tools/nnc/NamedTensors.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace nnc::cli {

ExitCode runGradcheck(const GradcheckOptions &options) {
  const driver::GradientCheckOptions &check = options.check;
  if (check.samples < 1 || check.batch < 1 || !(options.tolerance > 0) ||
      std::isinf(options.tolerance)) {
    llvm::errs() << "error: --samples and --batch must be at least 1 and "
                    "--tolerance a finite number above 0\n";
    return UsageError;
  }
  std::map<std::string, rt::Tensor> inputs;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", inputs))
    return code;
  // Finite differences need f64 end to end, which the ref interpreter
  // runs: it is the default here, not the fastest backend.
  SessionOptions sessionOptions = options.session;
  if (sessionOptions.backend.empty())
    sessionOptions.backend = "ref";
  std::unique_ptr<ModelSession> session =
      openModel(sessionOptions, options.modelPath, "differentiate");
  if (!session)
    return UserError;
  ParameterStore params;
  if (!initializeParameters(params, session->program(), options.paramsDir,
                            check.seed))
    return UserError;
  rt::Expected<std::vector<driver::ParameterCheck>> checks =
      driver::checkGradients(*session, params, inputs, check);
  if (!checks.ok())
    return reportError(checks.takeError());

  bool allPass = true;
  llvm::outs() << llvm::format("%-28s %-16s %8s %14s\n", (const char *)"parameter",
                               (const char *)"shape", (const char *)"checked",
                               (const char *)"worst rel err");
  for (const driver::ParameterCheck &param : *checks) {
    bool pass = param.worstRelativeError <= options.tolerance;
    allPass &= pass;
    llvm::outs() << llvm::format(
        "%-28s %-16s %8lld %14.3e  %s\n", param.name.c_str(),
        rt::shapeToString(param.shape).c_str(), (long long)param.checked,
        param.worstRelativeError, pass ? "ok" : "FAIL");
  }
  if (!allPass) {
    llvm::errs() << "error: gradient check failed: relative error above "
                 << options.tolerance << " or NaN\n";
    return UserError;
  }
  llvm::outs() << "gradient check passed for "
               << rt::counted(checks->size(), "parameter") << " (tolerance "
               << options.tolerance << ")\n";
  return Success;
}

} // namespace nnc::cli
