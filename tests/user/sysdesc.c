/*
 * The system-description parser on the target: libs/sysdesc and the arm64
 * libfdt linked into an EL0 program, reading a description like the
 * default system's (tests/qemu/systems/sysdesc.dts, compiled) from the
 * boot archive. The
 * host unit tests check the parser's logic; this checks that it links and
 * runs at EL0 (no FP/SIMD, which EL0 may not use yet) and that an error
 * reaches the console naming the node.
 */
#include <formats/archive.h>
#include <mica/abi/bootinfo.h>
#include <mica/print.h>
#include <mica/sysdesc.h>

#include <stdint.h>
#include <string.h>

#include "check.h"

static struct sysdesc desc;

int main(const struct mica_boot_info *info)
{
	struct archive_file file = {NULL, 0};
	struct sysdesc_error err;
	const struct sysdesc_vm *vm = &desc.vms[0];
	char line[SYSDESC_PATH_MAX + SYSDESC_PROPERTY_MAX + SYSDESC_MESSAGE_MAX + 16];

	printf("START sysdesc\n");
	CHECK_OK(archive_find((const void *)MICA_ROOT_ARCHIVE_VA, info->archive_size, "system",
			      &file));
	if (sysdesc_parse(file.data, file.size, &desc, &err) != MICA_OK) {
		(void)sysdesc_error_format(&err, line, sizeof(line));
		printf("FAIL %s:%d %s\n", __FILE__, __LINE__, line);
		return check_finish("sysdesc");
	}
	CHECK_EQ(desc.vm_count, 1);
	CHECK_EQ(desc.server_count, 3);
	CHECK(strcmp(vm->name, "linux") == 0);
	CHECK_EQ(vm->vcpu_count, 4);
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		CHECK_EQ(vm->vcpu_affinity[i], i);
	CHECK_EQ(vm->device_count, 3);
	CHECK_EQ(vm->devices[0].intid, 33);
	CHECK(vm->devices[1].file != NULL && strcmp(vm->devices[1].file, "disk") == 0);
	CHECK(strcmp(vm->devices[2].compatible, "arm,pl031") == 0);
	printf("sysdesc: %u VMs; '%s' has %u vCPUs, %u devices and %llu MiB of RAM\n",
	       desc.vm_count, vm->name, vm->vcpu_count, vm->device_count,
	       (unsigned long long)(vm->regions[0].ipa.size >> 20));

	/* One byte short, the blob is refused, and the refusal names the root. */
	CHECK(sysdesc_parse(file.data, file.size - 1, &desc, &err) == MICA_ERR_MALFORMED);
	(void)sysdesc_error_format(&err, line, sizeof(line));
	printf("sysdesc: %s\n", line);
	return check_finish("sysdesc");
}
