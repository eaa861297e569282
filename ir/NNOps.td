//===- NNOps.td - All ops of the nn dialect ----------------*- tablegen -*-===//
//
// The dialect's op list, one file per family; add_mlir_dialect generates the
// op classes of every file included here.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNOPS_TD
#define NNC_IR_NNOPS_TD

include "ir/NNBase.td"
include "ir/NNElementwiseOps.td"
include "ir/NNTensorOps.td"
include "ir/NNLayerOps.td"
include "ir/NNLossOps.td"
include "ir/NNTrainingOps.td"
include "ir/NNFusionOps.td"

#endif // NNC_IR_NNOPS_TD
