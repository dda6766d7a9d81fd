/*
 * Typed property readers for the system-description parser (see reader.h).
 * The blob has passed fdt_check_full before any of these run, so libfdt's
 * only failure left for a property is that it is absent.
 */
#include "reader.h"

#include <base/fmt.h>
#include <libfdt.h>

#include <stdarg.h>
#include <string.h>

/* Copy s into dst of size bytes, cut short if need be, always terminated. */
static void copy_string(char *dst, size_t size, const char *s)
{
	const char *nul = memchr(s, '\0', size - 1);
	size_t n = nul != NULL ? (size_t)(nul - s) : size - 1;

	memcpy(dst, s, n);
	dst[n] = '\0';
}

static enum mica_error vfail(const struct reader *r, const char *path, const char *property,
			     const char *fmt, va_list ap)
{
	struct sysdesc_error *e = r->err;

	copy_string(e->node, sizeof(e->node), path);
	copy_string(e->property, sizeof(e->property), property != NULL ? property : "");
	(void)fmt_vsnprintf(e->message, sizeof(e->message), fmt, ap);
	return MICA_ERR_MALFORMED;
}

enum mica_error reader_fail(const struct reader *r, int node, const char *property, const char *fmt,
			    ...)
{
	char path[SYSDESC_PATH_MAX];
	enum mica_error err;
	va_list ap;

	/* A path too long for the report is cut to the node's own name. */
	if (fdt_get_path(r->fdt, node, path, sizeof(path)) < 0) {
		const char *name = fdt_get_name(r->fdt, node, NULL);

		(void)fmt_snprintf(path, sizeof(path), ".../%s", name != NULL ? name : "?");
	}
	va_start(ap, fmt);
	err = vfail(r, path, property, fmt, ap);
	va_end(ap);
	return err;
}

enum mica_error reader_fail_path(const struct reader *r, const char *path, const char *property,
				 const char *fmt, ...)
{
	enum mica_error err;
	va_list ap;

	va_start(ap, fmt);
	err = vfail(r, path, property, fmt, ap);
	va_end(ap);
	return err;
}

static bool is_known(const char *name, const char *const *known)
{
	for (; *known != NULL; known++) {
		if (strcmp(name, *known) == 0)
			return true;
	}
	/* dtc adds a phandle wherever a node is referenced by label. */
	return strcmp(name, "phandle") == 0;
}

enum mica_error reader_only_known(const struct reader *r, int node, const char *const *known)
{
	int prop;

	fdt_for_each_property_offset(prop, r->fdt, node)
	{
		const char *name = NULL;

		if (fdt_getprop_by_offset(r->fdt, prop, &name, NULL) == NULL || name == NULL)
			return reader_fail(r, node, NULL, "unreadable property");
		if (!is_known(name, known))
			return reader_fail(r, node, name, "unknown property");
	}
	return MICA_OK;
}

enum mica_error reader_string(const struct reader *r, int node, const char *name, bool is_optional,
			      bool may_be_empty, const char **out)
{
	int len = 0;
	const char *s = fdt_getprop(r->fdt, node, name, &len);

	*out = NULL;
	if (s == NULL) {
		if (is_optional)
			return MICA_OK;
		return reader_fail(r, node, name, "missing");
	}
	/* Exactly one string: a terminator at the end and none before it. */
	if (len < 1 || memchr(s, '\0', (size_t)len) != s + len - 1)
		return reader_fail(r, node, name, "must be one string");
	if (len == 1 && !may_be_empty)
		return reader_fail(r, node, name, "must not be empty");
	*out = s;
	return MICA_OK;
}

enum mica_error reader_string_list(const struct reader *r, int node, const char *name,
				   const char **out, uint32_t *len)
{
	int n = 0;
	const char *s = fdt_getprop(r->fdt, node, name, &n);

	if (s == NULL)
		return reader_fail(r, node, name, "missing");
	/* Terminated, and no string empty: no terminator first or after another. */
	if (n < 2 || s[0] == '\0' || s[n - 1] != '\0')
		return reader_fail(r, node, name, "must be a list of non-empty strings");
	for (int i = 1; i < n; i++) {
		if (s[i] == '\0' && s[i - 1] == '\0')
			return reader_fail(r, node, name, "must be a list of non-empty strings");
	}
	*out = s;
	*len = (uint32_t)n;
	return MICA_OK;
}

enum mica_error reader_u32(const struct reader *r, int node, const char *name, uint32_t *out)
{
	int len = 0;
	const fdt32_t *p = fdt_getprop(r->fdt, node, name, &len);

	if (p == NULL)
		return reader_fail(r, node, name, "missing");
	if (len != (int)sizeof(*p))
		return reader_fail(r, node, name, "is %d bytes long, expected one cell (4)", len);
	*out = fdt32_to_cpu(*p);
	return MICA_OK;
}

enum mica_error reader_interrupt(const struct reader *r, int node, uint32_t *intid)
{
	*intid = 0;
	if (fdt_getprop(r->fdt, node, "interrupt", NULL) == NULL)
		return MICA_OK;
	if (reader_u32(r, node, "interrupt", intid) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (*intid < SYSDESC_SPI_FIRST || *intid > SYSDESC_SPI_LAST)
		return reader_fail(r, node, "interrupt",
				   "INTID %u is not an SPI of the guest's GIC (%u to %u)", *intid,
				   SYSDESC_SPI_FIRST, SYSDESC_SPI_LAST);
	return MICA_OK;
}

uint64_t reader_cells64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

enum mica_error reader_address(const struct reader *r, int node, const char *name, uint64_t *out)
{
	int len = 0;
	const void *p = fdt_getprop(r->fdt, node, name, &len);

	if (p == NULL)
		return reader_fail(r, node, name, "missing");
	if (len != 8)
		return reader_fail(r, node, name, "is %d bytes long, expected two cells (8)", len);
	*out = reader_cells64(p);
	if (*out % SYSDESC_PAGE_SIZE != 0)
		return reader_fail(r, node, name, "0x%llx is not 4 KiB aligned",
				   (unsigned long long)*out);
	return MICA_OK;
}

enum mica_error reader_check_range(const struct reader *r, int node, const char *name, int index,
				   struct sysdesc_ipa_range range)
{
	char what[24] = "range";

	if (index >= 0)
		(void)fmt_snprintf(what, sizeof(what), "region %d", index);
	if (range.size == 0)
		return reader_fail(r, node, name, "%s has size 0", what);
	if (range.base + (range.size - 1) < range.base)
		return reader_fail(r, node, name, "%s wraps past the top of the address space",
				   what);
	if (range.base % SYSDESC_PAGE_SIZE != 0 || range.size % SYSDESC_PAGE_SIZE != 0)
		return reader_fail(r, node, name, "%s is not 4 KiB aligned", what);
	return MICA_OK;
}

enum mica_error reader_range(const struct reader *r, int node, const char *name,
			     struct sysdesc_ipa_range *out)
{
	int len = 0;
	const uint8_t *p = fdt_getprop(r->fdt, node, name, &len);

	if (p == NULL)
		return reader_fail(r, node, name, "missing");
	if (len != 16)
		return reader_fail(r, node, name,
				   "is %d bytes long, expected address and size of two cells each "
				   "(16)",
				   len);
	out->base = reader_cells64(p);
	out->size = reader_cells64(p + 8);
	return reader_check_range(r, node, name, -1, *out);
}

enum mica_error reader_two_cells(const struct reader *r, int node)
{
	static const char *const names[] = {"#address-cells", "#size-cells"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint32_t cells = 0;

		if (fdt_getprop(r->fdt, node, names[i], NULL) == NULL)
			continue;
		if (reader_u32(r, node, names[i], &cells) != MICA_OK)
			return MICA_ERR_MALFORMED;
		if (cells != 2)
			return reader_fail(r, node, names[i],
					   "is %u, but addresses and sizes are "
					   "two cells each",
					   cells);
	}
	return MICA_OK;
}
