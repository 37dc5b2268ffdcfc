# Flags every Roster target shares: linked as the INTERFACE target roster_strict.
add_library(roster_strict INTERFACE)
target_compile_definitions(roster_strict INTERFACE
  QT_NO_CAST_FROM_ASCII
  QT_NO_CAST_TO_ASCII
  QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
  QT_USE_QSTRINGBUILDER
  QT_DISABLE_DEPRECATED_BEFORE=0x060400
  QT_NO_URL_CAST_FROM_STRING
  QT_NO_CAST_FROM_BYTEARRAY)
target_compile_options(roster_strict INTERFACE -Wall -Wextra -Werror)

# Test hooks (models/testhooks.h): environment variables that move the clock and shorten timeouts
# of the real binaries, and ROSTER_KEY_FILE (app/sealer.cpp), for the tests. OFF by default, so that no release build reads them; the
# debug and asan presets turn it on.
option(ROSTER_TEST_HOOKS "Test-only environment hooks (never in a shipped build)" OFF)
if(ROSTER_TEST_HOOKS)
  target_compile_definitions(roster_strict INTERFACE ROSTER_TEST_HOOKS)
endif()

option(ROSTER_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(ROSTER_SANITIZE)
  target_compile_options(roster_strict INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(roster_strict INTERFACE -fsanitize=address,undefined)
endif()

# The linker, for the debug and asan presets: ROSTER_LINKER=lld (LLVM's, Debian lld) links a test
# executable with its debug information about three times faster than the default GNU ld, and the
# suite has some eighty of them. Empty (the default, and the release build's): the toolchain's own.
set(ROSTER_LINKER "" CACHE STRING "Linker for -fuse-ld= (empty: the compiler's default)")
if(ROSTER_LINKER)
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=${ROSTER_LINKER}" ROSTER_LINKER_WORKS)
  if(ROSTER_LINKER_WORKS)
    add_link_options("-fuse-ld=${ROSTER_LINKER}")
  else()
    message(WARNING "ROSTER_LINKER=${ROSTER_LINKER}, but the compiler cannot link with it: using "
                    "the default linker (Debian: apt-get install lld, or script/bootstrap --test).")
  endif()
endif()

# ccache, unless the command line names another launcher. It caches sources built with a
# precompiled header (cmake/Precompiled.cmake) only when told to trust the header's macros and
# time stamps (ccache(1), "Precompiled headers").
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros ${CCACHE_PROGRAM})
endif()

include(${CMAKE_CURRENT_LIST_DIR}/Precompiled.cmake)
