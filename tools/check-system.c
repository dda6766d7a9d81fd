/*
 * mica_check_system: check a system description against the files of the
 * image it goes into, at build time.
 *
 *   mica_check_system name=path [name=path ...]
 *
 * The arguments are the boot archive's entries, as mica_mkarchive takes
 * them; the one called "system" is the compiled description. The tool
 * parses it as the root task will (libs/sysdesc), checks that every file
 * it names is in the image (the VMM, each device server's program, each
 * VM's kernel and initrd, each device's file), that every device is of a
 * kind its server's program declares (<mica/proto/devkind.h>, read from
 * the program's ELF file as the root task reads it), and plans each VM's
 * guest as the VMM will (servers/vmm/plan.c), so that a kernel or initrd
 * that does not fit, or a misspelt compatible, stops the build instead of
 * the boot. It prints one line per
 * problem, naming the node and the property, and exits with status 1 if
 * there is any; with no "system" entry there is nothing to check.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <formats/devkind.h>
#include <formats/elf.h>
#include <mica/proto/vmm.h>
#include <mica/sysdesc.h>

#include "plan.h"

#define PROG	       "mica_check_system"
#define MAX_FILES      64
#define ERROR_LINE_MAX (SYSDESC_PATH_MAX + SYSDESC_PROPERTY_MAX + SYSDESC_MESSAGE_MAX + 16)

struct file {
	const char *name; /* What the archive calls it. */
	const char *path;
	uint8_t *data; /* Read on first use; NULL until then. */
	uint64_t size;
};

static struct file files[MAX_FILES];
static unsigned file_count;
static const char *system_path;
static unsigned problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void problem(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: ", system_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

/* The whole file at path, or NULL (and a message) if it cannot be read. */
static uint8_t *read_file(const char *path, uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long len;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc(len > 0 ? (size_t)len : 1);
		if (data != NULL && fread(data, 1, (size_t)len, f) != (size_t)len) {
			free(data);
			data = NULL;
		}
		*size = (uint64_t)len;
	}
	if (data == NULL)
		fprintf(stderr, PROG ": cannot read %s\n", path);
	if (f != NULL)
		fclose(f);
	return data;
}

/* The image's entry called name, or NULL. */
static struct file *entry(const char *name)
{
	for (unsigned i = 0; i < file_count; i++)
		if (strcmp(files[i].name, name) == 0)
			return &files[i];
	return NULL;
}

/* f read, or NULL if it cannot be (a problem of its own). */
static struct file *loaded(struct file *f)
{
	if (f->data == NULL && (f->data = read_file(f->path, &f->size)) == NULL)
		problems++;
	return f->data != NULL ? f : NULL;
}

/* The file name, which node's property names, read; a problem if the image lacks it. */
static struct file *need(const char *node, const char *property, const char *name)
{
	struct file *f = entry(name);

	if (f == NULL) {
		problem("%s: property '%s': no file \"%s\" in the image", node, property, name);
		return NULL;
	}
	return loaded(f);
}

/* A program the root task starts (f, called what): an AArch64 ELF executable it can load. */
static void need_program(struct file *f, const char *what)
{
	struct elf_image elf;

	if (loaded(f) != NULL && elf_parse(f->data, f->size, &elf) != MICA_OK)
		problem("%s is not an AArch64 ELF executable", what);
}

/* Servers that serve a device: the root task starts only those. */
static bool is_serving[SYSDESC_SERVER_MAX];

/* The kinds each serving server's program declares; is_read once its program was read. */
static struct devkind_table kinds[SYSDESC_SERVER_MAX];
static bool is_read[SYSDESC_SERVER_MAX];

/* Read the kinds server i's program declares; a problem if it declares none or bad ones. */
static void read_kinds(const struct sysdesc_server *server, unsigned i)
{
	char node[SYSDESC_PATH_MAX];
	struct devkind_error why;
	struct file *f;

	snprintf(node, sizeof(node), "/servers/%s", server->name);
	f = need(node, "program", server->program);
	if (f == NULL)
		return;
	if (devkind_read(f->data, f->size, &kinds[i], &why) == MICA_OK)
		is_read[i] = true;
	else if (why.kind >= 0)
		problem("%s: property 'program': \"%s\": device kind %d: %s", node, server->program,
			why.kind, why.why);
	else
		problem("%s: property 'program': \"%s\" %s", node, server->program, why.why);
}

/*
 * Every device of vm is of a kind its server declares: its compatible is
 * the first compatible string of one of them. At most VMM_KINDS_MAX kinds
 * in one VM, counted as the root task counts them (the same bytes once).
 */
static void check_kinds(const struct sysdesc *desc, const struct sysdesc_vm *vm)
{
	const struct vdev_kind *seen[VMM_KINDS_MAX];
	unsigned seen_count = 0;

	for (uint32_t d = 0; d < vm->device_count; d++) {
		const struct sysdesc_device *dev = &vm->devices[d];
		const struct sysdesc_server *server = &desc->servers[dev->server];
		const struct devkind_table *t = &kinds[dev->server];
		const struct vdev_kind *k;
		char names[VDEV_KINDS_MAX * (VDEV_KIND_COMPATIBLE_MAX + 4)] = "";
		unsigned i = 0;

		if (!is_read[dev->server])
			continue; /* Its program's problem is reported. */
		k = devkind_find(t, dev->compatible);
		if (k == NULL) {
			for (unsigned j = 0; j < t->count; j++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s\"%s\"", j > 0 ? ", " : "", t->kinds[j].compatible);
			problem("/vms/%s/devices/%s: property 'compatible': server '%s' (program "
				"\"%s\") serves no \"%s\", only %s",
				vm->name, dev->name, server->name, server->program, dev->compatible,
				names);
			continue;
		}
		while (i < seen_count && memcmp(seen[i], k, sizeof(*k)) != 0)
			i++;
		if (i < seen_count)
			continue;
		if (seen_count == VMM_KINDS_MAX) {
			problem("/vms/%s/devices/%s: the VM's devices are of more than %d kinds",
				vm->name, dev->name, VMM_KINDS_MAX);
			return;
		}
		seen[seen_count++] = k;
	}
}

static void check_vm(const struct sysdesc_vm *vm)
{
	char node[SYSDESC_PATH_MAX];
	struct file *kernel, *initrd = NULL;
	struct guest_plan plan;
	struct plan_error err;

	snprintf(node, sizeof(node), "/vms/%s", vm->name);
	kernel = need(node, "kernel", vm->kernel);
	if (vm->initrd != NULL)
		initrd = need(node, "initrd", vm->initrd);
	for (uint32_t d = 0; d < vm->device_count; d++) {
		const struct sysdesc_device *dev = &vm->devices[d];
		char dev_node[2 * SYSDESC_PATH_MAX];

		is_serving[dev->server] = true;
		if (dev->file == NULL)
			continue;
		snprintf(dev_node, sizeof(dev_node), "%s/devices/%s", node, dev->name);
		(void)need(dev_node, "file", dev->file);
	}
	if (kernel == NULL || (vm->initrd != NULL && initrd == NULL))
		return;
	if (plan_guest(vm, kernel->data, kernel->size, initrd ? initrd->size : 0, &plan, &err) !=
	    MICA_OK)
		problem("%s: property '%s': %s (kernel %llu bytes, initrd %llu bytes, boot "
			"region 0x%llx-0x%llx)",
			node, err.property, err.why, (unsigned long long)kernel->size,
			(unsigned long long)(initrd ? initrd->size : 0),
			(unsigned long long)vm->regions[0].ipa.base,
			(unsigned long long)(vm->regions[0].ipa.base + vm->regions[0].ipa.size -
					     1));
}

int main(int argc, char **argv)
{
	static struct sysdesc desc;
	struct sysdesc_error err;
	struct file *system;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: " PROG " name=path [name=path ...]\n"
		       "\n"
		       "Check the system description among the boot archive's files (the\n"
		       "entry called \"system\") against the others: every file it names is\n"
		       "there, every device is of a kind its server's program declares, and\n"
		       "every VM's kernel and initrd fit its memory. One line per problem;\n"
		       "exit status 1 if there is any.\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i] || file_count == MAX_FILES) {
			fprintf(stderr, PROG ": bad argument '%s' (want name=path, at most %d)\n",
				argv[i], MAX_FILES);
			return 2;
		}
		*eq = '\0';
		files[file_count++] = (struct file){.name = argv[i], .path = eq + 1};
	}
	system = entry("system");
	if (system == NULL)
		return 0;
	system_path = system->path;
	if (loaded(system) == NULL)
		return 1;
	if (sysdesc_parse(system->data, system->size, &desc, &err) != MICA_OK) {
		char line[ERROR_LINE_MAX];

		(void)sysdesc_error_format(&err, line, sizeof(line));
		problem("%s", line);
		return 1;
	}
	if (desc.vm_count > 0 && entry("vmm") == NULL)
		problem("/vms: no file \"vmm\" in the image (each VM's VMM runs it)");
	else if (desc.vm_count > 0)
		need_program(entry("vmm"), "/vms: file \"vmm\" (each VM's VMM)");
	if (entry("root") != NULL)
		need_program(entry("root"), "file \"root\" (the root task)");
	for (uint32_t i = 0; i < desc.vm_count; i++)
		check_vm(&desc.vms[i]);
	for (uint32_t i = 0; i < desc.driver_count; i++) {
		char node[SYSDESC_PATH_MAX];
		struct file *f;

		(void)snprintf(node, sizeof(node), "/drivers/%s", desc.drivers[i].name);
		f = need(node, "program", desc.drivers[i].program);
		if (f != NULL)
			need_program(f, node);
	}
	for (uint32_t i = 0; i < desc.server_count; i++) {
		if (is_serving[i])
			read_kinds(&desc.servers[i], i);
	}
	for (uint32_t i = 0; i < desc.vm_count; i++)
		check_kinds(&desc, &desc.vms[i]);
	return problems > 0 ? 1 : 0;
}
