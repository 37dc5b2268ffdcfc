# The layers, checked on the sources (issue 17): models <- app <- ui. A file under models/ may not
# include app/ or ui/; a file under app/ may not include ui/. The link-time dependencies say the
# same for libraries; this catches a header-only include that the linker never sees.
#   cmake -DROOT=<source dir> -P check_layering.cmake
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P check_layering.cmake")
endif()

# layer -> the folders its files may not include
set(forbidden_models app ui)
set(forbidden_app ui)

set(violations "")
foreach(layer models app)
  file(GLOB_RECURSE files LIST_DIRECTORIES false
       "${ROOT}/${layer}/*.h" "${ROOT}/${layer}/*.hpp" "${ROOT}/${layer}/*.cpp" "${ROOT}/${layer}/*.c")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
    foreach(line IN LISTS lines)
      foreach(bad IN LISTS forbidden_${layer})
        if(line MATCHES "#[ \t]*include[ \t]*[\"<](\\./)?${bad}/")
          file(RELATIVE_PATH rel "${ROOT}" "${f}")
          string(STRIP "${line}" line)
          list(APPEND violations "${rel}: ${line} (${layer}/ may not include ${bad}/)")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "Layering broken (models <- app <- ui):\n  ${text}")
endif()
message(STATUS "Layering holds: models/ includes neither app/ nor ui/, app/ does not include ui/.")
