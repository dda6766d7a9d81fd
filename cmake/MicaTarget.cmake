# Build helpers shared by every part of Mica: compiler flags for the two
# worlds (aarch64 target, host tests) and the functions that add user
# programs, bootable images, unit tests and QEMU tests.

find_program(MICA_OBJCOPY NAMES llvm-objcopy llvm-objcopy-14 REQUIRED)
find_program(MICA_DTC dtc REQUIRED)
find_program(MICA_QEMU NAMES qemu-system-aarch64)
set(MICA_QEMU_RUN ${CMAKE_SOURCE_DIR}/tools/qemu-run)

set(MICA_WARNINGS
    -Wall -Wextra -Werror -Wshadow -Wvla -Wmissing-prototypes
    -Wstrict-prototypes -Wswitch-enum -Wundef -Wcast-qual -Wpointer-arith
    -Wno-unused-parameter)

# Freestanding aarch64 code for the target triple given: no host headers
# (clang's own freestanding headers stay: stdint.h, stddef.h, stdarg.h...), no
# FP or SIMD registers, linked statically by lld.
function(mica_freestanding_flags name triple)
  add_library(${name} INTERFACE)
  target_compile_options(${name} INTERFACE
      --target=${triple} -ffreestanding -nostdlibinc -fno-pic
      -fno-stack-protector -fno-omit-frame-pointer -fno-common
      -mgeneral-regs-only -O2 -g -ffile-prefix-map=${CMAKE_SOURCE_DIR}/= ${MICA_WARNINGS})
  target_link_options(${name} INTERFACE
      --target=${triple} -nostdlib -fuse-ld=lld -static
      -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,--no-undefined)
endfunction()

# Everything that runs on the aarch64 machine.
mica_freestanding_flags(mica_target_flags aarch64-none-elf)
target_compile_definitions(mica_target_flags INTERFACE MICA_TARGET=1)

# The kernel also runs briefly with the MMU off, where unaligned accesses
# fault on real cores (QEMU does not model that), hence -mstrict-align.
add_library(mica_kernel_flags INTERFACE)
target_link_libraries(mica_kernel_flags INTERFACE mica_target_flags)
target_compile_options(mica_kernel_flags INTERFACE -mstrict-align)
target_compile_definitions(mica_kernel_flags INTERFACE MICA_KERNEL=1)

# Programs for the Linux guest's user space (apps/linux): static arm64 Linux
# executables with no C library (none is installed for aarch64-linux), each
# with its own _start and raw system calls, linked without a PIE.
mica_freestanding_flags(mica_linux_flags aarch64-linux-gnu)
target_compile_definitions(mica_linux_flags INTERFACE MICA_LINUX=1)

# Host unit tests: the same warnings, plus AddressSanitizer and UBSan.
add_library(mica_host_flags INTERFACE)
target_compile_options(mica_host_flags INTERFACE
    -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
    -fno-sanitize-recover=all ${MICA_WARNINGS})
target_compile_definitions(mica_host_flags INTERFACE MICA_HOST=1)
target_link_options(mica_host_flags INTERFACE -fsanitize=address,undefined)

# mica_add_user_program(NAME SOURCES src...)
# An EL0 program: libs/user start-up code and system-call stubs, libs/base,
# linked at the user base address with one segment per permission.
function(mica_add_user_program name)
  cmake_parse_arguments(P "" "" "SOURCES" ${ARGN})
  add_executable(${name} ${P_SOURCES})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_link_libraries(${name} PRIVATE mica_user mica_formats_user mica_base_user
      mica_target_flags)
  # Each program at an address of its own (16 MiB apart from 256 MiB up), so
  # that a debugger can hold every program's symbols at once (tools/run --gdb).
  get_property(count GLOBAL PROPERTY MICA_USER_PROGRAM_COUNT)
  if(NOT count)
    set(count 0)
  endif()
  math(EXPR base "0x10000000 + ${count} * 0x1000000" OUTPUT_FORMAT HEXADECIMAL)
  math(EXPR count "${count} + 1")
  set_property(GLOBAL PROPERTY MICA_USER_PROGRAM_COUNT ${count})
  target_link_options(${name} PRIVATE -Wl,--defsym=__user_base=${base}
      -Wl,-T,${CMAKE_SOURCE_DIR}/libs/user/user.ld)
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS
      ${CMAKE_SOURCE_DIR}/libs/user/user.ld)
endfunction()

# mica_add_device_server(NAME SOURCES src...)
# A device server (servers/vdev): a user program on the device-server
# library, whose main calls vdev_main() with its callbacks, and which
# declares the kinds of device it serves (VDEV_DEVICE_KIND). It joins the
# list mica_device_server_files gives, so the images that take that list
# (the default one, and the Linux test systems) carry it under its NAME.
function(mica_add_device_server name)
  cmake_parse_arguments(P "" "" "SOURCES" ${ARGN})
  mica_add_user_program(${name} SOURCES ${P_SOURCES})
  target_link_libraries(${name} PRIVATE mica_vdev)
  set_property(GLOBAL APPEND PROPERTY MICA_DEVICE_SERVERS ${name})
endfunction()

# mica_add_driver_server(NAME SOURCES src...)
# A driver server's program (servers/drv): a user program the images carry
# with the device servers.
function(mica_add_driver_server name)
  cmake_parse_arguments(P "" "" "SOURCES" ${ARGN})
  mica_add_user_program(${name} SOURCES ${P_SOURCES})
  set_property(GLOBAL APPEND PROPERTY MICA_DRIVER_SERVERS ${name})
endfunction()

# mica_device_server_files(VAR)
# Sets VAR to the boot-archive entries (NAME=path) of every device server
# and driver server added so far, for mica_add_image's FILES: a description
# may then name any of them as a server's or a driver's program.
function(mica_device_server_files var)
  get_property(servers GLOBAL PROPERTY MICA_DEVICE_SERVERS)
  get_property(drivers GLOBAL PROPERTY MICA_DRIVER_SERVERS)
  list(APPEND servers ${drivers})
  set(files)
  foreach(server ${servers})
    list(APPEND files ${server}=$<TARGET_FILE:${server}>)
  endforeach()
  set(${var} ${files} PARENT_SCOPE)
endfunction()

# mica_add_kernel_image(VARIANT)
# The kernel build VARIANT (an object library of kernel/CMakeLists.txt)
# linked alone, as VARIANT.elf (its symbols, for a debugger), and its arm64
# Image, build/VARIANT.img, to which mica_add_image appends boot archives.
function(mica_add_kernel_image variant)
  add_executable(${variant}.elf $<TARGET_OBJECTS:${variant}>)
  set_target_properties(${variant}.elf PROPERTIES SUFFIX ""
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  target_link_libraries(${variant}.elf PRIVATE mica_formats_kernel mica_base_kernel
      mica_kernel_flags)
  target_link_options(${variant}.elf PRIVATE -Wl,-T,${MICA_KERNEL_LDS})
  set_property(TARGET ${variant}.elf APPEND PROPERTY LINK_DEPENDS ${MICA_KERNEL_LDS})
  add_custom_command(TARGET ${variant}.elf POST_BUILD
      COMMAND ${MICA_OBJCOPY} -O binary $<TARGET_FILE:${variant}.elf>
              ${CMAKE_BINARY_DIR}/${variant}.img
      BYPRODUCTS ${CMAKE_BINARY_DIR}/${variant}.img
      COMMENT "Writing the kernel's arm64 Image ${variant}.img")
endfunction()

# mica_add_image(NAME ROOT program [KERNEL variant] [NO_SYSTEM_CHECK]
#                [FILES name=path ...])
# A bootable arm64 Image, NAME.img: the kernel's Image with a boot archive
# appended (mica_mkarchive --kernel), holding the root task ("root") and
# any further files. With a system description among them ("system"),
# mica_check_system checks it against the other files first, and a problem
# stops the build; NO_SYSTEM_CHECK is for a root task that only reads the
# description and builds nothing from it. KERNEL picks the kernel build
# (kernel/CMakeLists.txt): mica_kernel (the default), mica_kernel_test or
# mica_kernel_bench. Nothing is linked per image: packing takes a moment.
function(mica_add_image name)
  cmake_parse_arguments(P "NO_SYSTEM_CHECK" "ROOT;KERNEL" "FILES" ${ARGN})
  if(NOT P_KERNEL)
    set(P_KERNEL mica_kernel)
  endif()
  set(image ${CMAKE_BINARY_DIR}/${name}.img)
  set(entries root=$<TARGET_FILE:${P_ROOT}>)
  set(deps ${P_ROOT} mica_mkarchive mica_check_system ${P_KERNEL}.elf)
  foreach(f ${P_FILES})
    list(APPEND entries ${f})
    string(REGEX REPLACE "^[^=]*=" "" path ${f})
    list(APPEND deps ${path})
  endforeach()
  set(check COMMAND mica_check_system ${entries})
  if(P_NO_SYSTEM_CHECK)
    set(check)
  endif()
  add_custom_command(OUTPUT ${image}
      ${check}
      COMMAND mica_mkarchive --kernel ${CMAKE_BINARY_DIR}/${P_KERNEL}.img ${image} ${entries}
      DEPENDS ${deps}
      COMMENT "Checking and packing image ${name}.img")
  add_custom_target(${name}.image ALL DEPENDS ${image})
endfunction()

# mica_add_dtb(NAME DTS source OUTPUT blob)
# Compiles a device-tree source with dtc at build time, as target NAME
# (built by default). A dtc error fails the build; warnings are printed.
function(mica_add_dtb name)
  cmake_parse_arguments(P "" "DTS;OUTPUT" "" ${ARGN})
  get_filename_component(dir ${P_OUTPUT} DIRECTORY)
  add_custom_command(OUTPUT ${P_OUTPUT}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND ${MICA_DTC} -I dts -O dtb -o ${P_OUTPUT} ${P_DTS}
      DEPENDS ${P_DTS}
      COMMENT "Compiling device tree ${name}")
  add_custom_target(${name} ALL DEPENDS ${P_OUTPUT})
endfunction()

# mica_add_unit_test(NAME SOURCES src... [LIBS lib...])
# A host CMocka test under ASan and UBSan, labelled "unit".
function(mica_add_unit_test name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${P_SOURCES})
  target_link_libraries(${name} PRIVATE mica_host_flags ${P_LIBS} cmocka)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

# mica_add_qemu_test(NAME IMAGE image [TIMEOUT s] [STATUS n] [SMP n]
#                    [TCG_THREAD single|multi] [MEM m] [DRIVE file]
#                    [NO_VIRT] [ICOUNT] [NO_FINISHED] [EXPECT regex...]
#                    [EXPECT_NOW regex...] [REJECT regex...]
#                    [SEND_AFTER regex text...] [CHECK command args...])
# Boots NAME's image in QEMU through tools/qemu-run, labelled "qemu". It
# passes only if the serial log has FINISHED (unless NO_FINISHED), no FAIL
# line, every EXPECT pattern and no REJECT pattern, and QEMU exits with
# STATUS (default 0). DRIVE gives the machine a disk (tools/qemu-run
# --drive). Each EXPECT_NOW pattern captures a time in seconds
# since 1970 that must lie within a minute of the host's clock during the
# run (a guest's date). SEND_AFTER takes pairs: once a line matches regex,
# text (with printf %b escapes) is typed on the serial input, in order.
# CHECK is a command that then judges the log too, given its path as the
# last argument (tools/check-lines, say); it must exit 0. TCG_THREAD single
# runs every emulated CPU on one host thread (see tools/qemu-run --help and
# docs/testing.md).
function(mica_add_qemu_test name)
  cmake_parse_arguments(P "NO_VIRT;ICOUNT;NO_FINISHED"
      "IMAGE;TIMEOUT;STATUS;SMP;TCG_THREAD;MEM;DRIVE" "EXPECT;EXPECT_NOW;REJECT;SEND_AFTER;CHECK"
      ${ARGN})
  if(NOT P_TIMEOUT)
    set(P_TIMEOUT 60)
  endif()
  set(log ${CMAKE_BINARY_DIR}/qemu-logs/${name}.log)
  set(args --image ${CMAKE_BINARY_DIR}/${P_IMAGE}.img --log ${log} --timeout ${P_TIMEOUT})
  if(DEFINED P_STATUS)
    list(APPEND args --status ${P_STATUS})
  endif()
  if(P_SMP)
    list(APPEND args --smp ${P_SMP})
  endif()
  if(P_TCG_THREAD)
    list(APPEND args --tcg-thread ${P_TCG_THREAD})
  endif()
  if(P_MEM)
    list(APPEND args --mem ${P_MEM})
  endif()
  if(P_DRIVE)
    list(APPEND args --drive ${P_DRIVE})
  endif()
  if(P_NO_VIRT)
    list(APPEND args --no-virt)
  endif()
  if(P_ICOUNT)
    list(APPEND args --icount)
  endif()
  if(P_NO_FINISHED)
    list(APPEND args --no-finished)
  endif()
  foreach(re ${P_EXPECT})
    list(APPEND args --expect ${re})
  endforeach()
  foreach(re ${P_EXPECT_NOW})
    list(APPEND args --expect-now ${re})
  endforeach()
  foreach(re ${P_REJECT})
    list(APPEND args --reject "${re}")
  endforeach()
  list(LENGTH P_SEND_AFTER send_count)
  math(EXPR send_odd "${send_count} % 2")
  if(send_odd)
    message(FATAL_ERROR "qemu.${name}: SEND_AFTER takes regex and text pairs")
  endif()
  while(send_count GREATER 0)
    list(POP_FRONT P_SEND_AFTER re text)
    list(APPEND args --send-after "${re}" "${text}")
    math(EXPR send_count "${send_count} - 2")
  endwhile()
  if(P_CHECK)
    # sh runs qemu-run ($0, with its arguments), then the check on the log
    # whatever qemu-run said, so that a failure shows both verdicts.
    list(APPEND P_CHECK ${log})
    set(check)
    foreach(word ${P_CHECK})
      string(APPEND check " '${word}'")
    endforeach()
    add_test(NAME qemu.${name}
        COMMAND sh -c "\"$0\" \"$@\"; status=$?;${check} || status=1; exit $status"
        ${MICA_QEMU_RUN} ${args})
  else()
    add_test(NAME qemu.${name} COMMAND ${MICA_QEMU_RUN} ${args})
  endif()
  math(EXPR ctest_timeout "${P_TIMEOUT} + 30")
  set_tests_properties(qemu.${name} PROPERTIES LABELS qemu
      TIMEOUT ${ctest_timeout})
endfunction()

# mica_add_linux_program(NAME SOURCES src...)
# A static arm64 Linux program for the Linux guest's initramfs, NAME (no
# suffix): its sources, which must define _start, and libs/base built for
# Linux (string functions and formatted printing).
function(mica_add_linux_program name)
  cmake_parse_arguments(P "" "" "SOURCES" ${ARGN})
  add_executable(${name} ${P_SOURCES})
  set_target_properties(${name} PROPERTIES SUFFIX "")
  target_link_libraries(${name} PRIVATE mica_base_linux mica_linux_flags)
endfunction()

# mica_add_guest_program(NAME SOURCES src...)
# A bare-metal EL1 test guest: its own start-up code (tests/guests/start.S)
# and nothing else, linked at guest-physical 0x40080000 as Linux would be.
function(mica_add_guest_program name)
  cmake_parse_arguments(P "" "" "SOURCES" ${ARGN})
  add_executable(${name} ${CMAKE_SOURCE_DIR}/tests/guests/start.S ${P_SOURCES})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_link_libraries(${name} PRIVATE mica_abi mica_target_flags)
  target_compile_options(${name} PRIVATE -mstrict-align)
  target_link_options(${name} PRIVATE -Wl,-T,${CMAKE_SOURCE_DIR}/tests/guests/guest.ld)
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS
      ${CMAKE_SOURCE_DIR}/tests/guests/guest.ld)
endfunction()
