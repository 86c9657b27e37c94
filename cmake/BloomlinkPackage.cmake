# Installation and the CMake package config: find_package(bloomlink) + bloomlink::bloomlink.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(modules GLOBAL PROPERTY BLOOMLINK_MODULES)
install(TARGETS bloomlink ${modules} EXPORT bloomlinkTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/bloomlink DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bloomlinkTargets NAMESPACE bloomlink::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bloomlink)
configure_package_config_file(cmake/bloomlinkConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bloomlinkConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bloomlink)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bloomlinkConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bloomlinkConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/bloomlinkConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bloomlink)
