// Compiles only where nnc::compiler gives the standard compiler.h needs.
#include <nnc/compiler.h>
