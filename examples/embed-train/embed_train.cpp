// Trains a model from C++ with nnc's compiler API, then deploys it with
// libnnc:
//
//   embed-train MODEL.nn DATA_DIR OUT.nnx
//
// compiles MODEL.nn (examples/mlp_digits.nn: inputs x and labels), takes
// plain SGD steps on DATA_DIR/digits_train_{x,y}.npy with the gradients
// grad() gives, then trains on for an epoch with train(), the loop of
// `nnc train` (the model's own optimizer), evaluating on
// DATA_DIR/digits_test_{x,y}.npy before, between and after; the epoch's
// hooks report its steps and its largest gradient norm. It saves the
// trained model as OUT.nnx, loads it with nnc::Model::load and checks that
// it gives the bytes the compiled model gives. Exits 1 when a call fails,
// the loss does not fall at each stage, or the artifact disagrees.
#include <nnc/compiler.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr int64_t kBatch = 32;
constexpr int kSteps = 60;
constexpr float kLearningRate = 0.1f;

bool check(const nnc::Status &status, const char *what) {
  if (!status)
    std::fprintf(stderr, "error: %s: %s\n", what, status.message().c_str());
  return status.ok();
}

/// Rows [start, start + kBatch) of a tensor whose rows are `rowElements`
/// elements of 4 bytes (f32 pixels, i32 labels), read in place.
nnc::TensorView batchOf(const nnc::Tensor &tensor, int64_t start,
                        int64_t rowElements) {
  nnc::TensorView view = tensor.view();
  view.data =
      static_cast<const char *>(tensor.data()) + start * rowElements * 4;
  view.shape[0] = kBatch;
  return view;
}

/// One SGD step: every parameter with a gradient moves against it.
bool sgdStep(nnc::CompiledModel &model,
             const std::map<std::string, nnc::Tensor> &grads) {
  for (const auto &[key, grad] : grads) {
    if (key.rfind("grad_", 0) != 0)
      continue;
    std::string name = key.substr(5);
    nnc::Tensor value;
    if (!check(model.parameter(name, value), "parameter"))
      return false;
    float *weights = static_cast<float *>(value.data());
    const float *slope = grad.dataAs<float>();
    for (int64_t i = 0; i < value.numElements(); ++i)
      weights[i] -= kLearningRate * slope[i];
    if (!check(model.setParameter(name, value.view()), "setParameter"))
      return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: embed-train MODEL.nn DATA_DIR OUT.nnx\n");
    return 2;
  }
  std::string data = argv[2];
  nnc::Status status;
  nnc::CompileOptions options;
  options.batch = kBatch;
  std::unique_ptr<nnc::CompiledModel> model =
      nnc::CompiledModel::compile(argv[1], status, options);
  if (!check(status, "compile"))
    return 1;

  nnc::Tensor trainX, trainY, testX, testY;
  if (!check(nnc::readNpy(data + "/digits_train_x.npy", trainX), "data") ||
      !check(nnc::readNpy(data + "/digits_train_y.npy", trainY), "data") ||
      !check(nnc::readNpy(data + "/digits_test_x.npy", testX), "data") ||
      !check(nnc::readNpy(data + "/digits_test_y.npy", testY), "data"))
    return 1;
  std::map<std::string, nnc::TensorView> testSet = {{"x", testX.view()},
                                                    {"labels", testY.view()}};
  nnc::Metrics before, after;
  if (!check(model->evaluate(testSet, before), "evaluate"))
    return 1;
  std::printf("before: test loss %.4f, accuracy %.3f\n", before.loss,
              before.accuracy.value_or(0));

  int64_t pixels = trainX.shape()[1], samples = trainX.shape()[0];
  for (int step = 0; step < kSteps; ++step) {
    int64_t start = (step * kBatch) % (samples - kBatch);
    std::map<std::string, nnc::Tensor> grads;
    if (!check(model->grad({{"x", batchOf(trainX, start, pixels)},
                            {"labels", batchOf(trainY, start, 1)}},
                           grads),
               "grad") ||
        !sgdStep(*model, grads))
      return 1;
    if (step % 10 == 0 || step == kSteps - 1)
      std::printf("step %d: batch loss %.4f\n", step,
                  *grads.at("loss").dataAs<float>());
  }

  nnc::Metrics stepped;
  if (!check(model->evaluate(testSet, stepped), "evaluate"))
    return 1;
  std::printf("after the steps: test loss %.4f, accuracy %.3f\n", stepped.loss,
              stepped.accuracy.value_or(0));

  // Then nnc train's own loop: an epoch of the model's optimizer, with a
  // hook that sees each step's gradients before they are applied (here it
  // only measures their global norm; writing into them would change the
  // step, as gradient clipping does).
  nnc::TrainOptions epoch;
  epoch.epochs = 1;
  double largestNorm = 0;
  int64_t steps = 0;
  epoch.afterGradients =
      [&](int64_t, const std::map<std::string, nnc::MutableTensorView> &grads) {
        double squares = 0;
        for (const auto &[name, view] : grads) {
          int64_t count = 1;
          for (int64_t extent : view.shape)
            count *= extent;
          const float *values = static_cast<const float *>(view.data);
          for (int64_t i = 0; i < count; ++i)
            squares += double(values[i]) * values[i];
        }
        largestNorm = std::max(largestNorm, std::sqrt(squares));
        return nnc::Status();
      };
  epoch.onStep = [&](const nnc::StepResult &) { ++steps; };
  if (!check(model->train({{"x", trainX.view()}, {"labels", trainY.view()}},
                          epoch,
                          [](const nnc::EpochResult &result) {
                            std::printf("epoch %lld: train loss %.4f\n",
                                        static_cast<long long>(result.epoch),
                                        result.loss);
                          }),
             "train"))
    return 1;
  std::printf("%lld steps, largest gradient norm %.4f\n",
              static_cast<long long>(steps), largestNorm);
  if (steps == 0 || !(largestNorm > 0)) {
    std::fprintf(stderr, "error: the hooks saw no step\n");
    return 1;
  }
  if (!check(model->evaluate(testSet, after), "evaluate"))
    return 1;
  std::printf("after the epoch: test loss %.4f, accuracy %.3f\n", after.loss,
              after.accuracy.value_or(0));
  if (!(stepped.loss < before.loss && after.loss < stepped.loss)) {
    std::fprintf(stderr, "error: the test loss did not fall\n");
    return 1;
  }

  // Deployed: the artifact runs with libnnc alone, to the same bytes.
  if (!check(model->saveArtifact(argv[3]), "saveArtifact"))
    return 1;
  std::unique_ptr<nnc::Model> deployed = nnc::Model::load(argv[3], status);
  if (!check(status, "load"))
    return 1;
  std::map<std::string, nnc::TensorView> inputs = {
      {"x", batchOf(testX, 0, pixels)}};
  std::map<std::string, nnc::Tensor> compiled, loaded;
  if (!check(model->run(inputs, compiled), "run") ||
      !check(deployed->run(inputs, loaded), "artifact run"))
    return 1;
  if (compiled.size() != loaded.size()) {
    std::fprintf(stderr, "error: the artifact gives other outputs\n");
    return 1;
  }
  for (const auto &[name, tensor] : compiled) {
    auto other = loaded.find(name);
    size_t bytes = static_cast<size_t>(tensor.numElements()) * 4;
    if (other == loaded.end() || other->second.shape() != tensor.shape() ||
        std::memcmp(other->second.data(), tensor.data(), bytes) != 0) {
      std::fprintf(stderr, "error: the artifact's '%s' differs\n",
                   name.c_str());
      return 1;
    }
  }
  std::printf("saved %s: its outputs match the compiled model's\n", argv[3]);
  return 0;
}
