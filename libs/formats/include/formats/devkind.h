/*
 * Reading the device kinds a device server declares (<mica/proto/devkind.h>)
 * out of its ELF file, and checking them: the build does it for every
 * server an image's description uses (tools/check-system.c), the root task
 * again at boot, and a VMM checks each kind its boot page hands it. Pure
 * code, for EL0 programs and the host; not in the kernel's build.
 */
#ifndef MICA_FORMATS_DEVKIND_H
#define MICA_FORMATS_DEVKIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/proto/devkind.h>

/* A server's kinds, as its ELF file declares them. */
struct devkind_table {
	unsigned count;
	struct vdev_kind kinds[VDEV_KINDS_MAX];
};

/*
 * What is wrong with a server's declarations: kind (its place in the
 * section, counting from 0; -1 when the file or section as a whole is at
 * fault) and why, a phrase such as "its compatible list is empty".
 */
struct devkind_error {
	int kind;
	const char *why;
};

/*
 * Read and check the kinds declared in the ELF file of size bytes at elf
 * into *out. Errors, each with *err filled in: MICA_ERR_MALFORMED for a
 * file that is not an AArch64 executable, a section that is not a whole
 * number of kinds or holds more than VDEV_KINDS_MAX, a kind that
 * devkind_check refuses, or two kinds whose first compatible strings are
 * the same; MICA_ERR_NOT_FOUND for a file that declares no kind.
 */
enum mica_error devkind_read(const void *elf, size_t size, struct devkind_table *out,
			     struct devkind_error *err) __attribute__((warn_unused_result));

/*
 * NULL if k is a well-formed kind, else why not: a wrong magic; a
 * compatible list that is empty, unterminated, has an empty or
 * non-printable string or bytes after its end; a node name that is empty,
 * unterminated or has characters a node name may not (devicetree
 * specification, 2.2.1); a malformed clock-name list; unknown flags or
 * reserved bits set; a property with a bad name, one of the properties
 * the VMM writes itself, one named twice, a length past its value, or an
 * entry after the list's end.
 */
const char *devkind_check(const struct vdev_kind *k);

/* The kind in t whose first compatible string is compatible, or NULL. */
const struct vdev_kind *devkind_find(const struct devkind_table *t, const char *compatible);

/*
 * The bytes of the string list in the size-byte field list, every
 * terminator included but not the empty string that ends it: the length
 * of the device-tree property it becomes. For a list devkind_check took.
 */
size_t devkind_list_length(const char *list, size_t size);

#endif
