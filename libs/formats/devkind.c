/*
 * Reading and checking a device server's kinds (see devkind.h). The ELF
 * file is untrusted input in the root task (it comes from the boot
 * archive): each kind is copied out of it before it is checked, and only
 * a table whose every kind passed is handed back.
 */
#include <formats/devkind.h>
#include <formats/elf.h>

#include <string.h>

_Static_assert(VDEV_KINDS_MAX == 8, "devkind_read's message says 8");

/* Properties the VMM writes for every device; a kind may not write them again. */
static const char *const reserved_props[] = {
	"compatible",
	"reg",
	"interrupts",
	"interrupt-parent",
	"interrupts-extended",
	"clocks",
	"clock-names",
	"phandle",
	"name",
	NULL,
};

static bool is_printable(char c)
{
	return c > ' ' && c <= '~';
}

/* Characters of a node name, devicetree specification 2.2.1 (Table 2.1). */
static bool is_node_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ',' || c == '.' || c == '_' || c == '+' || c == '-';
}

/* Characters of a property name, devicetree specification 2.2.4 (Table 2.2). */
static bool is_prop_char(char c)
{
	return is_node_char(c) || c == '?' || c == '#';
}

static bool is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		if (b[i] != 0)
			return false;
	}
	return true;
}

size_t devkind_list_length(const char *list, size_t size)
{
	size_t pos = 0;

	while (pos < size && list[pos] != '\0') {
		const char *nul = memchr(list + pos, '\0', size - pos);

		if (nul == NULL)
			return size;
		pos = (size_t)(nul - list) + 1;
	}
	return pos;
}

/* What can be wrong with a string list. */
enum list_fault {
	LIST_OK,
	LIST_UNTERMINATED, /* A string runs to the end of the field. */
	LIST_UNPRINTABLE,  /* A string has a space or a control character. */
	LIST_TRAILING,	   /* Bytes that are not 0 follow the list's end. */
};

static const char *const compatible_faults[] = {
	[LIST_OK] = NULL,
	[LIST_UNTERMINATED] = "its compatible list is not terminated",
	[LIST_UNPRINTABLE] = "its compatible list has a character that is not printable",
	[LIST_TRAILING] = "its compatible list has bytes after its end",
};

static const char *const clock_faults[] = {
	[LIST_OK] = NULL,
	[LIST_UNTERMINATED] = "its clock-name list is not terminated",
	[LIST_UNPRINTABLE] = "its clock-name list has a character that is not printable",
	[LIST_TRAILING] = "its clock-name list has bytes after its end",
};

/*
 * A string list of printable strings, each terminated inside the field,
 * ended by an empty string or the field's end, zero after that; *count
 * gets its strings.
 */
static enum list_fault check_list(const char *list, size_t size, unsigned *count)
{
	size_t pos = 0;

	*count = 0;
	while (pos < size && list[pos] != '\0') {
		const char *nul = memchr(list + pos, '\0', size - pos);

		if (nul == NULL)
			return LIST_UNTERMINATED;
		for (const char *c = list + pos; c < nul; c++) {
			if (!is_printable(*c))
				return LIST_UNPRINTABLE;
		}
		pos = (size_t)(nul - list) + 1;
		(*count)++;
	}
	return is_zero(list + pos, size - pos) ? LIST_OK : LIST_TRAILING;
}

/* A NUL-terminated name in a field of size bytes, non-empty, of allowed characters. */
static bool is_name(const char *name, size_t size, bool (*is_allowed)(char))
{
	const char *nul = memchr(name, '\0', size);

	if (nul == NULL || nul == name)
		return false;
	for (const char *c = name; c < nul; c++) {
		if (!is_allowed(*c))
			return false;
	}
	return true;
}

static bool is_reserved(const char *name)
{
	for (const char *const *r = reserved_props; *r != NULL; r++) {
		if (strcmp(*r, name) == 0)
			return true;
	}
	return false;
}

static const char *check_props(const struct vdev_kind *k)
{
	unsigned count = 0;

	while (count < VDEV_KIND_PROPS_MAX && k->props[count].name[0] != '\0')
		count++;
	for (unsigned i = 0; i < count; i++) {
		const struct vdev_kind_prop *p = &k->props[i];

		if (!is_name(p->name, sizeof(p->name), is_prop_char))
			return "a property's name is unterminated or has a character a property "
			       "name may not";
		if (is_reserved(p->name))
			return "a property is one the VMM writes itself";
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(k->props[j].name, p->name) == 0)
				return "a property is named twice";
		}
		if (p->length > sizeof(p->value) ||
		    !is_zero(p->value + p->length, sizeof(p->value) - p->length))
			return "a property's length is past its value, or bytes follow it";
		if (p->reserved != 0)
			return "a property's reserved field is not 0";
	}
	if (!is_zero(&k->props[count], (VDEV_KIND_PROPS_MAX - count) * sizeof(k->props[0])))
		return "a property follows the end of the list";
	return NULL;
}

const char *devkind_check(const struct vdev_kind *k)
{
	unsigned count = 0;
	enum list_fault fault;

	if (k->magic != VDEV_KIND_MAGIC)
		return "it does not start with VDEV_KIND_MAGIC";
	fault = check_list(k->compatible, sizeof(k->compatible), &count);
	if (fault != LIST_OK)
		return compatible_faults[fault];
	if (count == 0)
		return "its compatible list is empty";
	if (!is_name(k->node_name, sizeof(k->node_name), is_node_char) ||
	    !((k->node_name[0] >= 'a' && k->node_name[0] <= 'z') ||
	      (k->node_name[0] >= 'A' && k->node_name[0] <= 'Z')))
		return "its node name is empty, unterminated, or not a node name";
	fault = check_list(k->clock_names, sizeof(k->clock_names), &count);
	if (fault != LIST_OK)
		return clock_faults[fault];
	if ((k->flags & ~VDEV_KIND_FLAGS) != 0 || k->reserved != 0)
		return "it has unknown flags or reserved bits set";
	return check_props(k);
}

const struct vdev_kind *devkind_find(const struct devkind_table *t, const char *compatible)
{
	for (unsigned i = 0; i < t->count; i++) {
		const struct vdev_kind *k = &t->kinds[i];

		/* Checked kinds: the first string is terminated inside the field. */
		if (strcmp(k->compatible, compatible) == 0)
			return k;
	}
	return NULL;
}

static enum mica_error fail(struct devkind_error *err, enum mica_error code, int kind,
			    const char *why)
{
	*err = (struct devkind_error){kind, why};
	return code;
}

enum mica_error devkind_read(const void *elf, size_t size, struct devkind_table *out,
			     struct devkind_error *err)
{
	struct devkind_table t = {0};
	uint64_t offset = 0, length = 0;
	enum mica_error rc = elf_find_section(elf, size, VDEV_KIND_SECTION, &offset, &length);

	if (rc == MICA_ERR_NOT_FOUND)
		return fail(err, rc, -1,
			    "declares no device kind (no " VDEV_KIND_SECTION
			    " section: no VDEV_DEVICE_KIND)");
	if (rc != MICA_OK)
		return fail(err, MICA_ERR_MALFORMED, -1, "is not an AArch64 ELF executable");
	if (length % sizeof(struct vdev_kind) != 0)
		return fail(err, MICA_ERR_MALFORMED, -1,
			    "has a " VDEV_KIND_SECTION " section that is not a whole number of "
			    "kinds");
	if (length == 0)
		return fail(err, MICA_ERR_NOT_FOUND, -1, "declares no device kind");
	if (length / sizeof(struct vdev_kind) > VDEV_KINDS_MAX)
		return fail(err, MICA_ERR_MALFORMED, -1, "declares more than 8 device kinds");
	t.count = (unsigned)(length / sizeof(struct vdev_kind));
	memcpy(t.kinds, (const uint8_t *)elf + offset, length);
	for (unsigned i = 0; i < t.count; i++) {
		const char *why = devkind_check(&t.kinds[i]);

		if (why != NULL)
			return fail(err, MICA_ERR_MALFORMED, (int)i, why);
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(t.kinds[j].compatible, t.kinds[i].compatible) == 0)
				return fail(err, MICA_ERR_MALFORMED, (int)i,
					    "its first compatible string is another kind's");
		}
	}
	*out = t;
	return MICA_OK;
}
