# Shared by the `cmake -P` scripts of the out-of-tree tests
# (ExamplePluginOutOfTree.cmake, ExampleEmbedOutOfTree.cmake,
# PackageOutOfTree.cmake): install the nnc build tree into a scratch prefix
# and build a project against that prefix alone with find_package(nnc).
#
# Inputs (-D): NNC_BINARY_DIR, NNC_SOURCE_DIR, WORK_DIR, GENERATOR,
# C_COMPILER, CXX_COMPILER.

foreach(var NNC_BINARY_DIR NNC_SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

# Runs a command and stops the test with its output when it fails; the
# output is left in step_output.
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

# Installs nnc into ${WORK_DIR}/prefix from a fresh start each run, so that
# a stale install or cache cannot hide a bug.
function(install_nnc_into_work_dir)
  file(REMOVE_RECURSE ${WORK_DIR})
  file(MAKE_DIRECTORY ${WORK_DIR})
  run_step("installing nnc"
    ${CMAKE_COMMAND} --install ${NNC_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
endfunction()

# Sets `out` to the arguments that configure the project in `source` into
# `build` against ${WORK_DIR}/prefix alone, with the test's generator and
# compilers.
function(out_of_tree_configure_args out source build)
  set(args -S ${source} -B ${build}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
  if(GENERATOR)
    list(APPEND args -G ${GENERATOR})
  endif()
  if(C_COMPILER)
    list(APPEND args -DCMAKE_C_COMPILER=${C_COMPILER})
  endif()
  if(CXX_COMPILER)
    list(APPEND args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
  endif()
  set(${out} ${args} PARENT_SCOPE)
endfunction()

# Installs nnc into ${WORK_DIR}/prefix and builds examples/${example} into
# ${WORK_DIR}/build against it.
function(build_example_out_of_tree example)
  set(build ${WORK_DIR}/build)
  install_nnc_into_work_dir()
  out_of_tree_configure_args(configure_args
    ${NNC_SOURCE_DIR}/examples/${example} ${build})
  run_step("configuring examples/${example}" ${CMAKE_COMMAND} ${configure_args})
  run_step("building examples/${example}" ${CMAKE_COMMAND} --build ${build})
endfunction()
