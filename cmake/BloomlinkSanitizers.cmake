# BLOOMLINK_SANITIZE: the sanitizers bloomlink's own targets are built with, as a -fsanitize= list
# (e.g. "address,undefined"); ON means address,undefined, OFF or empty means none. The flags go on
# each bloomlink target through bloomlink_set_sanitizers (called by bloomlink_set_warnings), never on
# CMAKE_CXX_FLAGS, so nothing else configured in this tree is instrumented. The option is declared
# in the top-level CMakeLists.txt; the `asan` preset (CMakePresets.json) sets it, and its test
# preset makes every report fatal.
set(BLOOMLINK_SANITIZE_FLAGS "")
if(BLOOMLINK_SANITIZE STREQUAL "ON")
  set(BLOOMLINK_SANITIZE_FLAGS "address,undefined")
elseif(BLOOMLINK_SANITIZE AND NOT BLOOMLINK_SANITIZE STREQUAL "OFF")
  set(BLOOMLINK_SANITIZE_FLAGS "${BLOOMLINK_SANITIZE}")
endif()
if(BLOOMLINK_SANITIZE_FLAGS MATCHES "thread")
  # libgomp is not built with ThreadSanitizer: its barriers and task queues look like data races.
  message(WARNING "BLOOMLINK_SANITIZE=${BLOOMLINK_SANITIZE_FLAGS}: ThreadSanitizer reports false "
                  "races inside OpenMP (libgomp); expect noise from parallel code")
endif()

# bloomlink_set_sanitizers(target): compile and link target with BLOOMLINK_SANITIZE's sanitizers.
# A static library passes the link flag on to whatever links it (and to the installed package
# config), since the sanitizer runtime is needed where the executable is linked.
function(bloomlink_set_sanitizers target)
  if(NOT BLOOMLINK_SANITIZE_FLAGS)
    return()
  endif()
  target_compile_options(${target} PRIVATE -fsanitize=${BLOOMLINK_SANITIZE_FLAGS}
                                           -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's flow analysis sees through the instrumentation poorly: libstdc++'s <regex> gives false
    # -Wmaybe-uninitialized at -O1 and above with -fsanitize (the release build still checks it).
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "OBJECT_LIBRARY")
    target_link_options(${target} INTERFACE -fsanitize=${BLOOMLINK_SANITIZE_FLAGS})
  else()
    target_link_options(${target} PRIVATE -fsanitize=${BLOOMLINK_SANITIZE_FLAGS})
  endif()
endfunction()
