// Runs a compiled nnc model (nnc compile MODEL.nn -o FILE.nnx) from C++:
//
//   embed FILE.nnx X.npy OUT.npy
//
// feeds X.npy as the model's first input, writes the first output that
// input alone gives to OUT.npy and prints each sample's highest-scoring class.
// Only <nnc/nnc.h> and libnnc: no compiler.
#include <nnc/nnc.h>

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: embed FILE.nnx X.npy OUT.npy\n");
    return 2;
  }
  nnc::Status status;
  std::unique_ptr<nnc::Model> model = nnc::Model::load(argv[1], status);
  if (!model) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  nnc::Tensor x;
  if (nnc::Status read = nnc::readNpy(argv[2], x); !read) {
    std::fprintf(stderr, "error: %s\n", read.message().c_str());
    return 1;
  }
  if (model->inputs().empty()) {
    std::fprintf(stderr, "error: %s has no input to feed %s to\n", argv[1],
                 argv[2]);
    return 1;
  }
  const std::string &input = model->inputs().front().name;
  std::map<std::string, nnc::Tensor> results;
  if (nnc::Status ran = model->run({{input, x.view()}}, results); !ran) {
    std::fprintf(stderr, "error: %s\n", ran.message().c_str());
    return 1;
  }
  // An output that needs other inputs too (a loss needs its labels) is
  // left out of a run that feeds only the first: take the first that came.
  const nnc::Tensor *found = nullptr;
  for (const nnc::Port &port : model->outputs())
    if (auto it = results.find(port.name); it != results.end()) {
      found = &it->second;
      break;
    }
  if (!found) {
    std::fprintf(stderr, "error: %s gave no output from input '%s' alone\n",
                 argv[1], input.c_str());
    return 1;
  }
  const nnc::Tensor &scores = *found;
  if (nnc::Status wrote = nnc::writeNpy(argv[3], scores.view()); !wrote) {
    std::fprintf(stderr, "error: %s\n", wrote.message().c_str());
    return 1;
  }
  if (scores.dtype() == nnc::DType::F32 && scores.shape().size() == 2) {
    int64_t samples = scores.shape()[0], classes = scores.shape()[1];
    const float *values = scores.dataAs<float>();
    for (int64_t s = 0; s < samples; ++s) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (values[s * classes + c] > values[s * classes + best])
          best = c;
      std::printf("sample %lld: class %lld\n", static_cast<long long>(s),
                  static_cast<long long>(best));
    }
  }
  return 0;
}
