# Run by CTest as `cmake -P` (test example-plugin-out-of-tree): installs the
# nnc build tree into a scratch prefix, builds examples/plugin against that
# prefix alone with find_package(nnc), and checks that the build tree's nnc
# loads and lists the result.
#
# Inputs (-D): NNC_BINARY_DIR, NNC_SOURCE_DIR, WORK_DIR, GENERATOR,
# C_COMPILER, CXX_COMPILER.

foreach(var NNC_BINARY_DIR NNC_SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

# Runs a command and stops the test with its output when it fails.
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
# A fresh start each run, so a stale install or cache cannot hide a bug.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run_step("installing nnc"
  ${CMAKE_COMMAND} --install ${NNC_BINARY_DIR} --prefix ${prefix})

set(configure_args -S ${NNC_SOURCE_DIR}/examples/plugin -B ${build}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
if(GENERATOR)
  list(APPEND configure_args -G ${GENERATOR})
endif()
if(C_COMPILER)
  list(APPEND configure_args -DCMAKE_C_COMPILER=${C_COMPILER})
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
run_step("configuring examples/plugin" ${CMAKE_COMMAND} ${configure_args})
run_step("building examples/plugin" ${CMAKE_COMMAND} --build ${build})

file(GLOB_RECURSE plugin ${build}/libnnc_backend_example.so)
if(NOT plugin)
  message(FATAL_ERROR "the build made no libnnc_backend_example.so in ${build}")
endif()

run_step("nnc backends --plugin"
  ${NNC_BINARY_DIR}/bin/nnc backends --plugin ${plugin})
if(NOT step_output MATCHES "(^|\n)example ")
  message(FATAL_ERROR "'nnc backends' did not list the example plugin:\n"
                      "${step_output}")
endif()
message(STATUS "nnc loaded the out-of-tree plugin:\n${step_output}")
