# Run by CTest as `cmake -P` (test example-embed-out-of-tree): installs the
# nnc build tree into a scratch prefix, builds examples/embed against that
# prefix alone with find_package(nnc), compiles the digits MLP into an
# artifact with the build tree's nnc, and checks that the embedded run
# writes the very bytes `nnc run` writes, with the runtime-only plugins of
# the install.
#
# Inputs (-D): NNC_BINARY_DIR, NNC_SOURCE_DIR, WORK_DIR, GENERATOR,
# CXX_COMPILER.

foreach(var NNC_BINARY_DIR NNC_SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN}
                  RESULT_VARIABLE result
                  OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${output}")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run_step("installing nnc"
  ${CMAKE_COMMAND} --install ${NNC_BINARY_DIR} --prefix ${prefix})

set(configure_args -S ${NNC_SOURCE_DIR}/examples/embed -B ${build}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
if(GENERATOR)
  list(APPEND configure_args -G ${GENERATOR})
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
run_step("configuring examples/embed" ${CMAKE_COMMAND} ${configure_args})
run_step("building examples/embed" ${CMAKE_COMMAND} --build ${build})

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
message(STATUS "the embedded run matches nnc run byte for byte")
