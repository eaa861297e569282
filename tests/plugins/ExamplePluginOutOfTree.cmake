# Run by CTest as `cmake -P` (test example-plugin-out-of-tree): builds
# examples/plugin against an install of the nnc build tree alone
# (OutOfTreeBuild.cmake), and checks that the build tree's nnc loads and
# lists the result.

include(${CMAKE_CURRENT_LIST_DIR}/OutOfTreeBuild.cmake)
build_example_out_of_tree(plugin)

file(GLOB_RECURSE plugin ${WORK_DIR}/build/libnnc_backend_example.so)
if(NOT plugin)
  message(FATAL_ERROR "the build made no libnnc_backend_example.so")
endif()

run_step("nnc backends --plugin"
  ${NNC_BINARY_DIR}/bin/nnc backends --plugin ${plugin})
if(NOT step_output MATCHES "(^|\n)example ")
  message(FATAL_ERROR "'nnc backends' did not list the example plugin:\n"
                      "${step_output}")
endif()
message(STATUS "nnc loaded the out-of-tree plugin:\n${step_output}")
