# What `cmake --install` puts under the prefix, laid out like the build tree
# so an installed nnc finds its plugins the same way:
#
#   bin/nnc                            the CLI
#   bin/nnc-run                        the deployment runner (no MLIR/LLVM)
#   lib/nnc/plugins/*.so               backend plugins (nnc_add_plugin)
#   lib/nnc/runtime-plugins/*.so       runtime-only plugins for nnc-run
#                                      (installed by their own folders)
#   include/nnc/PluginABI.h            the plugin C ABI
#   include/nnc/nnc.h, lib/libnnc.so   the C++ API for running artifacts
#   include/nnc/compiler.h,            the C++ API for compiling, training
#     lib/libnnc_compiler.so           and evaluating models (needs MLIR)
#   lib/cmake/nnc/                     find_package(nnc): nnc::plugin_abi and
#                                      nnc_add_plugin, for plugins built
#                                      outside this tree; nnc::nnc, for
#                                      programs that embed models;
#                                      nnc::compiler, for programs that
#                                      compile and train them
#
# Included last from the top-level CMakeLists.txt, once every target exists.

include(CMakePackageConfigHelpers)

set(NNC_INSTALL_CMAKEDIR lib/cmake/nnc)
set(NNC_INSTALL_INCLUDEDIR include)

install(TARGETS nnc RUNTIME DESTINATION bin)
# Debian's libMLIR.so and libLLVM.so live outside the loader's default
# path; keep the folders nnc was linked against in the installed binary.
set_target_properties(nnc PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)

install(FILES ${PROJECT_SOURCE_DIR}/runtime/PluginABI.h
        DESTINATION ${NNC_INSTALL_INCLUDEDIR}/nnc)
install(TARGETS NNCPluginABI EXPORT nncTargets)
install(FILES ${PROJECT_SOURCE_DIR}/api/nnc.h
        DESTINATION ${NNC_INSTALL_INCLUDEDIR}/nnc)
install(TARGETS nnc_api EXPORT nncTargets LIBRARY DESTINATION lib)
install(FILES ${PROJECT_SOURCE_DIR}/api/compiler.h
        DESTINATION ${NNC_INSTALL_INCLUDEDIR}/nnc)
install(TARGETS nnc_compiler_api EXPORT nncTargets LIBRARY DESTINATION lib)
install(EXPORT nncTargets NAMESPACE nnc:: DESTINATION ${NNC_INSTALL_CMAKEDIR})

# The ABI version, read from the header so that it has one source of truth;
# the package reports it as nnc_PLUGIN_ABI_VERSION.
file(STRINGS ${PROJECT_SOURCE_DIR}/runtime/PluginABI.h NNC_ABI_LINES
     REGEX "^#define NNC_PLUGIN_ABI_(MAJOR|MINOR) ")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" NNC_PLUGIN_ABI_MAJOR "${NNC_ABI_LINES}")
string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" NNC_PLUGIN_ABI_MINOR "${NNC_ABI_LINES}")

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/nncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/nncConfig.cmake
  INSTALL_DESTINATION ${NNC_INSTALL_CMAKEDIR}
  PATH_VARS NNC_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/nncConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/nncConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/nncConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/NNCPlugin.cmake
  DESTINATION ${NNC_INSTALL_CMAKEDIR})
