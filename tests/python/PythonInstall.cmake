# Run by CTest as `cmake -P` (test python-install): installs the nnc build
# tree into a scratch prefix, then imports the installed package with
# Debian's python3 from a folder outside both trees, and checks that it is
# the installed copy and that it found the installed cpu and ref plugins.
#
# Inputs (-D): NNC_BINARY_DIR, WORK_DIR, PYTHON, PACKAGE_DIR (relative to
# the prefix).

cmake_policy(SET CMP0007 NEW)
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/elsewhere)
execute_process(
  COMMAND ${CMAKE_COMMAND} --install ${NNC_BINARY_DIR} --prefix ${prefix}
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "installing nnc failed (${result}):\n${output}")
endif()

set(script [=[
import sys, nnc
names = sorted(b["name"] for b in nnc.backends())
print(nnc.__file__)
print(" ".join(names))
print(" ".join(sorted(set(b["path"].rsplit("/", 1)[0] for b in nnc.backends()))))
]=])
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env --unset=NNC_PLUGIN_PATH
          PYTHONPATH=${prefix}/${PACKAGE_DIR} ${PYTHON} -c "${script}"
  WORKING_DIRECTORY ${WORK_DIR}/elsewhere
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "importing the installed package failed:\n${output}")
endif()
string(REPLACE "\n" ";" lines "${output}")
list(GET lines 0 module)
list(GET lines 1 names)
list(GET lines 2 folders)
if(NOT module STREQUAL "${prefix}/${PACKAGE_DIR}/nnc/__init__.py")
  message(FATAL_ERROR "imported ${module}, not the installed package")
endif()
if(NOT names MATCHES "cpu" OR NOT names MATCHES "ref")
  message(FATAL_ERROR "the installed package found backends '${names}'")
endif()
if(NOT folders STREQUAL "${prefix}/lib/nnc/plugins")
  message(FATAL_ERROR "the installed package loaded plugins from ${folders}")
endif()
message(STATUS "the installed package imports and finds ${names} in ${folders}")
