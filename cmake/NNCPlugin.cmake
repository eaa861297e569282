# nnc_add_plugin: builds an nnc backend plugin, in this tree and in projects
# outside it (installed with the nnc package, loaded by find_package(nnc)).
#
#   nnc_add_plugin(<name>
#     SOURCES <file>...             the plugin's sources
#     [LINK <library>...]           libraries it links, privately
#     [OUTPUT_DIRECTORY <dir>]      where the .so lands (see below)
#     [NO_INSTALL])                 do not install it (test plugins)
#
# Makes the MODULE library target `nnc_backend_<name>`, the file
# `libnnc_backend_<name>.so`, linked against nnc::plugin_abi. The library is
# built with hidden visibility: only `nnc_plugin_entry` is exported (its
# declaration in PluginABI.h carries NNC_PLUGIN_EXPORT), so plugins cannot
# clash with each other's or the host's symbols.
#
# The file lands in OUTPUT_DIRECTORY, else in ${NNC_PLUGIN_OUTPUT_DIR} when
# that is set (in the nnc tree: build/lib/nnc/plugins, where build/bin/nnc
# looks), else in the current binary folder. It installs to
# `lib/nnc/plugins`, the folder an installed `nnc` searches next to itself.

include_guard(GLOBAL)

function(nnc_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_INSTALL" "OUTPUT_DIRECTORY"
                        "SOURCES;LINK")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
            "nnc_add_plugin(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "nnc_add_plugin(${name}): no SOURCES given")
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR
            "nnc_add_plugin(${name}): a name is letters, digits, '_', '-', '.'")
  endif()

  set(target nnc_backend_${name})
  # MODULE, not SHARED: a plugin is only ever dlopen'ed, never linked.
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE nnc::plugin_abi ${ARG_LINK})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME nnc_backend_${name}
    PREFIX "lib"
    SUFFIX ".so"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    # An installed plugin still finds libraries it links from outside the
    # loader's default path (Debian's libMLIR.so, say), even when loaded by
    # a host that does not link them itself.
    INSTALL_RPATH_USE_LINK_PATH ON)

  if(ARG_OUTPUT_DIRECTORY)
    set(output_dir ${ARG_OUTPUT_DIRECTORY})
  elseif(NNC_PLUGIN_OUTPUT_DIR)
    set(output_dir ${NNC_PLUGIN_OUTPUT_DIR})
  endif()
  if(output_dir)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${output_dir})
  endif()

  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION lib/nnc/plugins)
  endif()
endfunction()
