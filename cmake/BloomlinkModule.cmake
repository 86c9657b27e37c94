# bloomlink_module(name [DIR dir] DEPS ...): a static library bloomlink_<name> from src/<dir>/*.cpp
# (dir defaults to name).
#
# Sources are globbed per folder so that adding a file to a module needs no CMake edit. Modules are
# built for the baseline x86-64: never -march=native (users' machines differ from this one).
function(bloomlink_module name)
  cmake_parse_arguments(ARG "" "DIR" "DEPS" ${ARGN})
  if(NOT ARG_DIR)
    set(ARG_DIR ${name})
  endif()
  file(GLOB sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/${ARG_DIR}/*.cpp")
  if(NOT sources)
    message(FATAL_ERROR "bloomlink_module(${name}): no sources in src/${ARG_DIR}/ (a module needs at least one .cpp)")
  endif()
  add_library(bloomlink_${name} STATIC ${sources})
  target_include_directories(bloomlink_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(bloomlink_${name} PUBLIC ${ARG_DEPS})
  target_compile_features(bloomlink_${name} PUBLIC cxx_std_20)
  set_target_properties(bloomlink_${name} PROPERTIES EXPORT_NAME ${name})
  bloomlink_set_warnings(bloomlink_${name})
  set_property(GLOBAL APPEND PROPERTY BLOOMLINK_MODULES bloomlink_${name})
endfunction()
