//===- nnc-fma-peak.cpp - The machine's FMA peak as JSON ------------------===//
//
//   nnc-fma-peak [avx512|avx2] NTHREADS
//
// Prints {"isa", "lanes", "threads", "gflops_1t", "gflops_nt"}: the best of
// four runs of 0.1 s on 1 thread, then on NTHREADS at once, with the FMAs
// named or the widest the CPU runs. Exits 1 with a one-line message when
// the CPU runs none (or not the ones named), 2 on a usage error.
//
//===----------------------------------------------------------------------===//

#include "runtime/FmaPeak.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

using namespace nnc::rt;

int main(int argc, char **argv) {
  std::optional<FmaIsa> isa;
  int arg = 1;
  if (argc == 3) {
    std::string name = argv[arg++];
    if (name != "avx512" && name != "avx2") {
      std::fprintf(stderr, "nnc-fma-peak: unknown FMA '%s' (avx512, avx2)\n",
                   name.c_str());
      return 2;
    }
    isa = name == "avx512" ? FmaIsa::Avx512 : FmaIsa::Avx2;
    if (!supportsFmaIsa(*isa)) {
      std::fprintf(stderr, "nnc-fma-peak: this CPU does not run %s FMAs\n",
                   name.c_str());
      return 1;
    }
  } else if (argc == 2) {
    isa = widestFmaIsa();
    if (!isa) {
      std::fprintf(stderr, "nnc-fma-peak: this CPU has no AVX2 FMA\n");
      return 1;
    }
  } else {
    std::fprintf(stderr, "usage: nnc-fma-peak [avx512|avx2] NTHREADS\n");
    return 2;
  }
  int threads = std::atoi(argv[arg]);
  if (threads < 1) {
    std::fprintf(stderr, "nnc-fma-peak: NTHREADS must be at least 1\n");
    return 2;
  }
  constexpr double kSeconds = 0.1;
  constexpr int kRepeats = 4;
  double one = measureFmaGflops(*isa, 1, kSeconds, kRepeats);
  double all = threads == 1
                   ? one
                   : measureFmaGflops(*isa, static_cast<unsigned>(threads),
                                      kSeconds, kRepeats);
  std::printf("{\"isa\": \"%s\", \"lanes\": %d, \"threads\": %d, "
              "\"gflops_1t\": %.1f, \"gflops_nt\": %.1f}\n",
              fmaIsaName(*isa).c_str(), fmaLanes(*isa), threads, one, all);
  return 0;
}
