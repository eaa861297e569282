# Run by CTest as `cmake -P` (test cmake-package-out-of-tree): checks nnc's
# installed CMake package as a program sees it (package/CMakeLists.txt):
# asking for a component nnc does not have fails naming it and the ones nnc
# has, and nnc::nnc and nnc::compiler carry the C++ standard their headers
# need, so a program on an older one still compiles them.

include(${CMAKE_CURRENT_LIST_DIR}/OutOfTreeBuild.cmake)
install_nnc_into_work_dir()
set(source ${CMAKE_CURRENT_LIST_DIR}/package)

out_of_tree_configure_args(bogus_args ${source} ${WORK_DIR}/bogus)
execute_process(COMMAND ${CMAKE_COMMAND} ${bogus_args}
                        -DNNC_TEST_COMPONENTS=bogus
                RESULT_VARIABLE result
                OUTPUT_VARIABLE output
                ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "find_package(nnc COMPONENTS bogus REQUIRED) "
                      "succeeded:\n${output}")
endif()
if(NOT output MATCHES "nnc has no component bogus \\(its components: compiler\\)")
  message(FATAL_ERROR "find_package(nnc COMPONENTS bogus REQUIRED) failed "
                      "without naming the component:\n${output}")
endif()

out_of_tree_configure_args(configure_args ${source} ${WORK_DIR}/build)
run_step("configuring the package consumer" ${CMAKE_COMMAND} ${configure_args})
run_step("building the package consumer at C++11"
  ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
message(STATUS "the package names a missing component, and its targets "
               "carry their C++ standard")
