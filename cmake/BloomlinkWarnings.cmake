# bloomlink_set_warnings(target): the project's warning flags, errors when BLOOMLINK_WERROR is on;
# also the sanitizers of BLOOMLINK_SANITIZE (bloomlink_set_sanitizers), since every bloomlink
# target calls this.
function(bloomlink_set_warnings target)
  bloomlink_set_sanitizers(${target})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
  if(BLOOMLINK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
