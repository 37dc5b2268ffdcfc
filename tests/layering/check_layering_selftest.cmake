# Proves that check_layering.cmake can fail: a temporary tree with one bad include per rule must
# be refused, naming each file, and the same tree without them must pass.
#   cmake -DCHECK=<check_layering.cmake> -DWORK=<scratch dir> -P check_layering_selftest.cmake
file(REMOVE_RECURSE "${WORK}")
file(WRITE "${WORK}/models/good.h" "#pragma once\n#include \"models/result.h\"\n#include <QString>\n")
file(WRITE "${WORK}/app/good.cpp" "#include \"app/good.h\"\n#include \"models/good.h\"\n")
file(WRITE "${WORK}/ui/good.cpp" "#include \"app/good.h\"\n#include \"ui/good.h\"\n")

function(run_check expect_ok)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${CHECK}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(out "${out}${err}" PARENT_SCOPE)
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "a clean tree was refused:\n${out}${err}")
  elseif(NOT expect_ok AND rc EQUAL 0)
    message(FATAL_ERROR "a bad include was not found:\n${out}${err}")
  endif()
endfunction()

run_check(TRUE)
file(WRITE "${WORK}/models/bad.h" "#pragma once\n  #  include \"app/outbox.h\"\n")
file(WRITE "${WORK}/models/sub/worse.cpp" "#include <ui/mainwindow.h>\n")
file(WRITE "${WORK}/app/bad.cpp" "#include \"ui/vectoricon.h\"\n")
run_check(FALSE)
foreach(name "models/bad.h" "models/sub/worse.cpp" "app/bad.cpp")
  string(FIND "${out}" "${name}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the refusal does not name ${name}:\n${out}")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "check_layering.cmake refuses each bad include and passes a clean tree.")
