# The Debian package: `cpack -G DEB` in a build dir (after the build) writes roster_<version>_<arch>.deb.
# Included last from the top-level CMakeLists.txt, so that every install() rule is known.
# See docs/packaging.md.

set(CPACK_PACKAGE_NAME "roster")
set(CPACK_PACKAGE_VENDOR "The Roster developers")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Desktop console for a CRM's user administrators")
set(CPACK_PACKAGE_DESCRIPTION
    "Roster shows every user of a CRM organisation in one table and finds the users who never
accepted their invitation, to invite them again one by one or in bulk. Re-invitations revoke the
old link, issue a fresh one and mail it through Roster's own SMTP client; every change is
written to the audit log. Data lives in an SQLite file or a PostgreSQL database.

This package holds the console (roster), its command-line tool (rosterctl) and the page that
invitation links open (roster-web, with a systemd unit), which lets the invitee choose a password.")
# Placeholder until the project has a real contact address: dpkg requires a Maintainer.
set(CPACK_PACKAGE_CONTACT "Roster developers <roster@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB")
set(CPACK_SOURCE_GENERATOR "")

set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The libraries the executables link to (Qt, libargon2, libmicrohttpd, libstdc++, ...) come from
# dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# Plugins are loaded at run time, so dpkg-shlibdeps cannot see them. On Debian 12:
#  - the SQLite driver (the default storage) is in libqt6sql6-sqlite;
#  - the PostgreSQL driver (offered by the first-run dialog and --db postgresql://) is in
#    libqt6sql6-psql;
#  - the xcb and offscreen platform plugins are in libqt6gui6 and the OpenSSL TLS backend is in
#    libqt6network6 (which depends on libssl3): dpkg-shlibdeps already brings both in.
#    qt6-qpa-plugins holds only the vnc platform and tuio input plugins, none of which Roster
#    needs (libqt6gui6 recommends it anyway);
#  - the icons are drawn by libqt6svg6, which dpkg-shlibdeps brings in like the other linked Qt
#    libraries;
#  - the native Wayland platform plugin is in qt6-wayland; without it Qt runs through XWayland.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, libqt6sql6-psql")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-wayland, qt6-translations-l10n")

include(CPack)
