# Run by CTest as `cmake -P` (test example-embed-train-out-of-tree): builds
# examples/embed-train against an install of the nnc build tree alone
# (OutOfTreeBuild.cmake) and runs it on the digits MLP. The program itself
# fails when the loss does not fall under its SGD steps and again under its
# epoch of train(), or when the artifact it saves runs, through libnnc, to
# other bytes than the compiled model.

include(${CMAKE_CURRENT_LIST_DIR}/OutOfTreeBuild.cmake)
build_example_out_of_tree(embed-train)
set(build ${WORK_DIR}/build)

set(examples ${NNC_SOURCE_DIR}/examples)
run_step("embed-train" ${build}/embed-train ${examples}/mlp_digits.nn
  ${examples}/data ${WORK_DIR}/mlp.nnx)
if(NOT step_output MATCHES "epoch 1: train loss")
  message(FATAL_ERROR "embed-train did not train an epoch:\n${step_output}")
endif()
if(NOT step_output MATCHES "[1-9][0-9]* steps, largest gradient norm")
  message(FATAL_ERROR "embed-train's hooks saw no step:\n${step_output}")
endif()
if(NOT step_output MATCHES "its outputs match the compiled model's")
  message(FATAL_ERROR "embed-train did not check its artifact:\n${step_output}")
endif()
message(STATUS "${step_output}")
