# nnc_flatbuffers_schema: generates the C++ header of a FlatBuffers schema at
# build time.
#
#   nnc_flatbuffers_schema(<target> SCHEMA <file.fbs> OUTPUT_DIRECTORY <dir>)
#
# Runs flatc --cpp on SCHEMA into OUTPUT_DIRECTORY (making <name>_generated.h)
# whenever the schema changes, and makes the custom target <target> that
# libraries including the header depend on. Header-only: nothing to link.

include_guard(GLOBAL)

function(nnc_flatbuffers_schema target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SCHEMA;OUTPUT_DIRECTORY" "")
  get_filename_component(schema ${ARG_SCHEMA} ABSOLUTE)
  get_filename_component(stem ${schema} NAME_WE)
  set(header ${ARG_OUTPUT_DIRECTORY}/${stem}_generated.h)
  if(TARGET flatbuffers::flatc)
    set(flatc flatbuffers::flatc)
  else()
    find_program(flatc flatc REQUIRED)
  endif()
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ARG_OUTPUT_DIRECTORY}
    COMMAND ${flatc} --cpp --scoped-enums -o ${ARG_OUTPUT_DIRECTORY} ${schema}
    DEPENDS ${schema}
    COMMENT "Generating ${stem}_generated.h from ${stem}.fbs")
  add_custom_target(${target} DEPENDS ${header})
endfunction()
