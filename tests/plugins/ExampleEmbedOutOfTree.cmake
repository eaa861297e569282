# Run by CTest as `cmake -P` (test example-embed-out-of-tree): builds
# examples/embed against an install of the nnc build tree alone
# (OutOfTreeBuild.cmake), compiles the digits MLP into an artifact with the
# build tree's nnc, and checks that the embedded run writes the very bytes
# `nnc run` writes, with the runtime-only plugins of the install.

include(${CMAKE_CURRENT_LIST_DIR}/OutOfTreeBuild.cmake)
build_example_out_of_tree(embed)
set(build ${WORK_DIR}/build)

set(examples ${NNC_SOURCE_DIR}/examples)
set(artifact ${WORK_DIR}/mlp.nnx)
set(x ${examples}/data/digits_test_x.npy)
run_step("nnc compile" ${NNC_BINARY_DIR}/bin/nnc compile
  ${examples}/mlp_digits.nn --backend cpu --batch 359 -o ${artifact})
run_step("nnc run" ${NNC_BINARY_DIR}/bin/nnc run ${artifact}
  --input x=${x} --output-dir ${WORK_DIR}/cli)
# The embedded program links the installed libnnc, which finds the
# installed runtime-only plugins; nothing from the build tree.
run_step("embed" ${build}/embed ${artifact} ${x} ${WORK_DIR}/embed.npy)
if(NOT step_output MATCHES "sample 358: class [0-9]")
  message(FATAL_ERROR "embed printed no class per sample:\n${step_output}")
endif()
run_step("comparing with nnc run" ${CMAKE_COMMAND} -E compare_files
  ${WORK_DIR}/cli/logits.npy ${WORK_DIR}/embed.npy)
run_step("ldd embed" ldd ${build}/embed)
if(step_output MATCHES "libMLIR|libLLVM")
  message(FATAL_ERROR "embed loads the compiler:\n${step_output}")
endif()
# The deployment without the compiler: libnnc and the runtime-only plugins
# alone in a prefix of their own (no lib/nnc/plugins), which libnnc finds
# from its own location; the program loads that libnnc through
# LD_LIBRARY_PATH, which its run path yields to.
set(slim ${WORK_DIR}/slim)
file(REMOVE_RECURSE ${slim})
file(MAKE_DIRECTORY ${slim}/lib/nnc)
file(GLOB libraries ${WORK_DIR}/prefix/lib/libnnc.so*)
file(COPY ${libraries} DESTINATION ${slim}/lib)
file(COPY ${WORK_DIR}/prefix/lib/nnc/runtime-plugins DESTINATION ${slim}/lib/nnc)
run_step("embed from a prefix with the runtime-only plugins alone"
  ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${slim}/lib
  ${build}/embed ${artifact} ${x} ${WORK_DIR}/slim.npy)
run_step("comparing the slim run with nnc run" ${CMAKE_COMMAND} -E
  compare_files ${WORK_DIR}/cli/logits.npy ${WORK_DIR}/slim.npy)

# Artifacts the program cannot use as it is written get its one-line error
# and exit 1, never a crash: one with no input to feed, and one whose only
# output needs a second input besides the first.
file(WRITE ${WORK_DIR}/no_input.nn
  "model no_input\nparam w: f32[3] = ones\noutput y = w * 2.0\n")
file(WRITE ${WORK_DIR}/loss_only.nn
  "model loss_only\ninput x: f32[B, 64]\ninput t: f32[B, 64]\n"
  "param w: f32[64] = ones\nloss = mse(x * w, t)\n")
foreach(case no_input loss_only)
  run_step("nnc compile ${case}" ${NNC_BINARY_DIR}/bin/nnc compile
    ${WORK_DIR}/${case}.nn --backend cpu --batch 359 -o ${WORK_DIR}/${case}.nnx)
  execute_process(COMMAND ${build}/embed ${WORK_DIR}/${case}.nnx ${x}
                    ${WORK_DIR}/${case}.npy
                  RESULT_VARIABLE result
                  OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT result EQUAL 1 OR NOT output MATCHES "^error: [^\n]+\n$")
    message(FATAL_ERROR
      "embed ${case}.nnx: want one error line and exit 1, got ${result}:\n${output}")
  endif()
endforeach()
message(STATUS "the embedded run matches nnc run byte for byte")
