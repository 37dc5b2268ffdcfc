# Precompiled headers: the Qt and standard headers most sources include, parsed once per library
# (and once for all the tests of a kind) instead of once per source. At -O0, parsing Qt's headers
# is most of a small source's compile time, and most of CI's (README.md, "Build and test times").
#
#   roster_precompile(<target> <parts...>)   parts: CORE SQL NETWORK TEST WIDGETS
#
# A target gets only the parts of the Qt modules it links, so a precompiled header never makes a
# module visible to a layer that must not use it (models sees no widgets; check_layering.cmake
# still reads the sources). -DROSTER_PCH=OFF builds without them, to check that every source
# includes what it uses.
option(ROSTER_PCH "Precompiled headers for Roster's libraries and tests" ON)

set(ROSTER_PCH_CORE
  <algorithm> <functional> <memory> <optional> <vector>
  <QByteArray> <QCoreApplication> <QDateTime> <QDir> <QElapsedTimer> <QFile> <QHash>
  <QJsonArray> <QJsonDocument> <QJsonObject> <QList> <QLocale> <QLoggingCategory> <QObject>
  <QRegularExpression> <QSet> <QString> <QStringList> <QThread> <QTimeZone> <QTimer> <QUrl>
  <QVariant>)
set(ROSTER_PCH_SQL <QSqlDatabase> <QSqlDriver> <QSqlError> <QSqlQuery> <QSqlRecord>)
set(ROSTER_PCH_NETWORK <QHostAddress> <QSslSocket> <QTcpServer> <QTcpSocket>)
set(ROSTER_PCH_TEST <QProcess> <QSignalSpy> <QTemporaryDir> <QTest>)
set(ROSTER_PCH_WIDGETS
  <QAction> <QApplication> <QCheckBox> <QComboBox> <QDialog> <QDialogButtonBox> <QFormLayout>
  <QHBoxLayout> <QHeaderView> <QLabel> <QLineEdit> <QMenu> <QMessageBox> <QPushButton>
  <QSpinBox> <QStackedWidget> <QStatusBar> <QTableView> <QTableWidget> <QTreeWidget>
  <QVBoxLayout> <QWidget>)

function(roster_precompile target)
  if(NOT ROSTER_PCH)
    return()
  endif()
  set(headers)
  foreach(part IN LISTS ARGN)
    list(APPEND headers ${ROSTER_PCH_${part}})
  endforeach()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()

# Another target with the same Qt modules and definitions reuses a header built once. GCC refuses a
# header built with a macro the user lacks (-Winvalid-pch, an error under -Werror), so a mismatch
# fails the build instead of slowing it.
function(roster_reuse_precompiled target from)
  if(ROSTER_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
  endif()
endfunction()

# Tests are one source each, so a header of their own would cost more than it saves. They reuse
# one of two host targets' headers, roster_pch_unit or roster_pch_gui (widgets). A host and its
# users get their definitions from the same roster_test_links().
function(roster_add_test_pch_hosts)
  if(NOT ROSTER_PCH)
    return()
  endif()
  foreach(kind unit gui)
    set(host roster_pch_${kind})
    set(stub ${CMAKE_CURRENT_BINARY_DIR}/${host}.cpp)
    file(CONFIGURE OUTPUT ${stub} CONTENT "// Host of the tests' precompiled header (cmake/Precompiled.cmake).\n")
    add_library(${host} OBJECT ${stub})
    roster_test_links(${host} ${kind})
    if(kind STREQUAL "gui")
      roster_precompile(${host} CORE SQL NETWORK TEST WIDGETS)
    else()
      roster_precompile(${host} CORE SQL NETWORK TEST)
    endif()
  endforeach()
endfunction()

# What every test (or bench built like one) of kind unit or gui links, so that its definitions are
# the host's. Qt6::Test defines QT_TESTCASE_SOURCEDIR and QT_TESTCASE_BUILDDIR as the target's
# directories, for QFINDTESTDATA, which Roster's tests do not use (they read ROSTER_SOURCE_DIR;
# without the two, QFINDTESTDATA still looks beside the executable and the source). Left defined,
# they would make one header per test directory.
function(roster_test_links target kind)
  target_compile_options(${target} PRIVATE -UQT_TESTCASE_SOURCEDIR -UQT_TESTCASE_BUILDDIR)
  target_link_libraries(${target} PRIVATE Qt6::Test Qt6::Sql Qt6::Network roster_strict)
  if(kind STREQUAL "gui")
    target_link_libraries(${target} PRIVATE Qt6::Widgets)
  endif()
endfunction()

# A test or bench of kind unit or gui: links what the host links, and reuses its header when the
# tests are part of the build.
function(roster_test_pch target kind)
  roster_test_links(${target} ${kind})
  if(TARGET roster_pch_${kind})
    roster_reuse_precompiled(${target} roster_pch_${kind})
  endif()
endfunction()
