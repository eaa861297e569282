// Compiles only where nnc::nnc gives the standard nnc.h needs.
#include <nnc/nnc.h>
