# bloomlink_set_warnings(target): the project's warning flags, errors when BLOOMLINK_WERROR is on.
function(bloomlink_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
  if(BLOOMLINK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
