# Fetches the grammars of grammars.tsv (see fetch.mjs) and builds them into
# one static library, wfm_grammars. Each grammar compiles with the
# tree_sitter/parser.h bundled next to its parser.c, never the system one.
#
# WFM_GRAMMAR_CACHE: where the unpacked packages are kept; builds that
# share it fetch each package once.

set(WFM_GRAMMAR_CACHE "${CMAKE_BINARY_DIR}/grammars" CACHE PATH
    "where the tree-sitter grammar packages are unpacked")

find_program(WFM_NODE node)
if(NOT WFM_NODE)
  message(FATAL_ERROR "node is needed to fetch the tree-sitter grammars: "
                      "install the 'nodejs' and 'npm' packages (scripts/setup does)")
endif()

set(_manifest "${CMAKE_CURRENT_LIST_DIR}/grammars.tsv")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_manifest}")
execute_process(
  COMMAND "${WFM_NODE}" "${CMAKE_CURRENT_LIST_DIR}/fetch.mjs" "${_manifest}" "${WFM_GRAMMAR_CACHE}"
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the tree-sitter grammars could not be fetched (see the error above)")
endif()

file(STRINGS "${_manifest}" _lines REGEX "^[^#]")
set(WFM_GRAMMAR_LANGUAGES "")
add_library(wfm_grammars STATIC)
foreach(_line IN LISTS _lines)
  string(REPLACE "\t" ";" _f "${_line}")
  list(GET _f 0 _pkg)
  list(GET _f 1 _ver)
  list(GET _f 3 _lang)
  list(GET _f 5 _dir)
  set(_src "${WFM_GRAMMAR_CACHE}/${_pkg}-${_ver}/${_dir}")
  if(NOT EXISTS "${_src}/parser.c")
    message(FATAL_ERROR "grammar '${_lang}' is missing: no ${_src}/parser.c "
                        "(delete ${WFM_GRAMMAR_CACHE} and configure again)")
  endif()
  file(STRINGS "${_src}/parser.c" _abi REGEX "^#define LANGUAGE_VERSION ")
  if(NOT _abi MATCHES "LANGUAGE_VERSION (13|14)$")
    message(FATAL_ERROR "grammar '${_lang}' (${_pkg} ${_ver}) has '${_abi}'; "
                        "libtree-sitter 0.20.7 loads ABI 13 and 14 only")
  endif()
  set(_sources "${_src}/parser.c")
  if(EXISTS "${_src}/scanner.c")
    list(APPEND _sources "${_src}/scanner.c")
  endif()
  add_library(wfm_grammar_${_lang} OBJECT ${_sources})
  target_include_directories(wfm_grammar_${_lang} PRIVATE "${_src}")
  # third-party generated code: no warnings, always optimised, no sanitizers
  target_compile_options(wfm_grammar_${_lang} PRIVATE -w -O2)
  set_target_properties(wfm_grammar_${_lang} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_sources(wfm_grammars PRIVATE $<TARGET_OBJECTS:wfm_grammar_${_lang}>)
  list(APPEND WFM_GRAMMAR_LANGUAGES ${_lang})
endforeach()
set_target_properties(wfm_grammars PROPERTIES LINKER_LANGUAGE C)
message(STATUS "tree-sitter grammars: ${WFM_GRAMMAR_LANGUAGES}")
