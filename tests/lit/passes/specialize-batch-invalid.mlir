// RUN: nnc-opt %s -verify-diagnostics --nn-specialize-batch=batch-size=0
// The batch size must be given and positive.

// expected-error @+1 {{nn-specialize-batch needs a positive batch-size, got 0}}
func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
