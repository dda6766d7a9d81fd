/*
 * The flattened device tree reader (Devicetree Specification v0.4,
 * chapter 5): the blob's format, its checks, the walk over nodes and the
 * lookup of a property by name. fdt_props.c gives the standard
 * properties their meaning. See fdt.h for what fdt_init() guarantees.
 *
 * Everything here runs with the MMU off as well as on, from an address
 * other than the link address: no writable static data, no tables of
 * pointers, and no calls outside fdt.c, fdt_props.c and <string.h>.
 */
#include <string.h>

#include "fdt.h"

/* Header fields: byte offsets of big-endian u32s (spec 5.2). */
#define HDR_MAGIC	      0u
#define HDR_TOTALSIZE	      4u
#define HDR_OFF_DT_STRUCT     8u
#define HDR_OFF_DT_STRINGS    12u
#define HDR_OFF_MEM_RSVMAP    16u
#define HDR_VERSION	      20u
#define HDR_LAST_COMP_VERSION 24u
#define HDR_SIZE_DT_STRINGS   32u
#define HDR_SIZE_DT_STRUCT    36u
#define HDR_SIZE	      40u

/*
 * Version 17 is the first with size_dt_struct, which the bounds checks
 * need; a blob whose last compatible version is newer than 17 may lay
 * things out in a way this reader does not know.
 */
#define FDT_VERSION_MIN	  17u
#define FDT_VERSION_KNOWN 17u

/* Structure block tokens (spec 5.4.1). */
#define FDT_BEGIN_NODE 0x1u
#define FDT_END_NODE   0x2u
#define FDT_PROP       0x3u
#define FDT_NOP	       0x4u
#define FDT_END	       0x9u

/* Tokens, and so the structure block, are 4-byte aligned (spec 5.4.1). */
#define FDT_TOKEN_ALIGN 4u

/* The memory reservation block is 8-byte aligned, 16 bytes an entry (5.3). */
#define FDT_RSV_ALIGN	   8u
#define FDT_RSV_ENTRY_SIZE 16u

/* A property token is its tag, then len, then nameoff (spec 5.4.1). */
#define FDT_PROP_HDR_SIZE 12u

/* One decoded structure block token, already checked to lie in the block. */
struct token {
	uint32_t tag;
	uint32_t next;	     /* Offset of the token that follows. */
	const char *name;    /* FDT_BEGIN_NODE: the node name; FDT_PROP: the property name. */
	const uint8_t *data; /* FDT_PROP: the value. */
	uint32_t len;	     /* FDT_PROP: the value's length. */
};

uint32_t fdt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

uint64_t fdt_be64(const uint8_t *p)
{
	return (uint64_t)fdt_be32(p) << 32 | fdt_be32(p + 4);
}

/* Rounded up in 64 bits, so that an offset near 4 GiB cannot wrap to a small one. */
static uint64_t align_token(uint32_t off)
{
	return ((uint64_t)off + (FDT_TOKEN_ALIGN - 1)) & ~(uint64_t)(FDT_TOKEN_ALIGN - 1);
}

/* Whether [off, off + len) fits in a block of size bytes, without overflow. */
static bool fits(uint32_t off, uint32_t len, uint32_t size)
{
	return off <= size && len <= size - off;
}

/*
 * Decode the token at off in the structure block, checking everything it
 * refers to: a node name NUL-terminated inside the block, a property
 * value inside the block, a property name NUL-terminated inside the
 * strings block. The result's next is always past off, so a loop of
 * read_token() calls ends.
 */
static bool read_token(const struct fdt *fdt, uint32_t off, struct token *tok)
{
	const uint8_t *base;
	const uint8_t *strings;
	uint32_t nameoff;
	uint32_t end;

	/* First, so that a reader fdt_init() rejected (all zero) touches no pointer. */
	if (!IS_ALIGNED(off, FDT_TOKEN_ALIGN) || !fits(off, FDT_CELL_SIZE, fdt->struct_size))
		return false;
	base = fdt->blob + fdt->struct_off;
	strings = fdt->blob + fdt->strings_off;
	memset(tok, 0, sizeof(*tok));
	tok->tag = fdt_be32(base + off);
	end = off + FDT_CELL_SIZE;

	switch (tok->tag) {
	case FDT_BEGIN_NODE: {
		const uint8_t *nul = memchr(base + end, 0, fdt->struct_size - end);

		if (nul == NULL)
			return false;
		tok->name = (const char *)(base + end);
		end = (uint32_t)(nul - base) + 1;
		break;
	}
	case FDT_PROP:
		if (!fits(off, FDT_PROP_HDR_SIZE, fdt->struct_size))
			return false;
		tok->len = fdt_be32(base + off + 4);
		nameoff = fdt_be32(base + off + 8);
		end = off + FDT_PROP_HDR_SIZE;
		if (!fits(end, tok->len, fdt->struct_size))
			return false;
		tok->data = base + end;
		end += tok->len;
		if (nameoff >= fdt->strings_size ||
		    memchr(strings + nameoff, 0, fdt->strings_size - nameoff) == NULL)
			return false;
		tok->name = (const char *)(strings + nameoff);
		break;
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return false;
	}

	/* The padding after a name or value may run to the end of the block, no further. */
	if (align_token(end) > fdt->struct_size)
		return false;
	tok->next = (uint32_t)align_token(end);
	return true;
}

/*
 * Walk the whole structure block once, so that a blob fdt_init() accepts
 * has one root, balanced nodes no deeper than FDT_MAX_DEPTH, properties
 * only before a node's children, and an FDT_END after the root. Sets
 * fdt->root_off.
 */
static enum mica_error check_structure(struct fdt *fdt, const char **why)
{
	struct token tok;
	uint32_t off = 0;
	uint32_t open = 0; /* Nodes begun and not yet ended. */
	bool seen_root = false;
	bool had_child = false; /* The innermost open node has ended a child. */

	for (;;) {
		if (!read_token(fdt, off, &tok)) {
			*why = "a structure block token is unknown or runs past the block";
			return MICA_ERR_MALFORMED;
		}
		switch (tok.tag) {
		case FDT_BEGIN_NODE:
			if (open == 0 && seen_root) {
				*why = "the structure block has a second root node";
				return MICA_ERR_MALFORMED;
			}
			if (open == 0 && tok.name[0] != '\0') {
				*why = "the root node has a name";
				return MICA_ERR_MALFORMED;
			}
			if (open > 0 && tok.name[0] == '\0') {
				*why = "a node other than the root has no name";
				return MICA_ERR_MALFORMED;
			}
			if (open > FDT_MAX_DEPTH) {
				*why = "nodes are nested deeper than the kernel accepts";
				return MICA_ERR_MALFORMED;
			}
			if (open == 0)
				fdt->root_off = off;
			seen_root = true;
			open++;
			had_child = false;
			break;
		case FDT_END_NODE:
			if (open == 0) {
				*why = "the structure block ends a node it never began";
				return MICA_ERR_MALFORMED;
			}
			open--;
			had_child = true;
			break;
		case FDT_PROP:
			if (open == 0 || had_child) {
				*why = "a property is outside a node or after a child node";
				return MICA_ERR_MALFORMED;
			}
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			if (open != 0 || !seen_root) {
				*why = "the structure block ends inside a node or without a root";
				return MICA_ERR_MALFORMED;
			}
			return MICA_OK;
		default:
			/* read_token() accepts no other tag. */
			*why = "a structure block token is unknown";
			return MICA_ERR_MALFORMED;
		}
		off = tok.next;
	}
}

/*
 * Count the memory reservation entries before the (0, 0) terminator. The
 * header gives the block no size, so it may run up to the next block that
 * follows it, or to the end of the blob.
 */
static enum mica_error count_reservations(struct fdt *fdt, const char **why)
{
	uint32_t limit = fdt->total_size;
	uint32_t off = fdt->rsv_off;

	if (fdt->struct_off >= fdt->rsv_off && fdt->struct_off < limit)
		limit = fdt->struct_off;
	if (fdt->strings_off >= fdt->rsv_off && fdt->strings_off < limit)
		limit = fdt->strings_off;

	fdt->rsv_count = 0;
	while (fits(off, FDT_RSV_ENTRY_SIZE, limit)) {
		const uint8_t *entry = fdt->blob + off;

		if (fdt_be64(entry) == 0 && fdt_be64(entry + 8) == 0)
			return MICA_OK;
		fdt->rsv_count++;
		off += FDT_RSV_ENTRY_SIZE;
	}
	*why = "the memory reservation block has no terminating entry";
	return MICA_ERR_MALFORMED;
}

/* Check the header's fields against each other and against max_size. */
static enum mica_error check_header(struct fdt *fdt, size_t max_size, const char **why)
{
	const uint8_t *hdr = fdt->blob;
	uint32_t version;

	if (max_size < sizeof(uint32_t)) {
		*why = "the device tree is shorter than its magic number";
		return MICA_ERR_TRUNCATED;
	}
	if (fdt_be32(hdr + HDR_MAGIC) != FDT_MAGIC) {
		*why = "the device tree has the wrong magic number";
		return MICA_ERR_MALFORMED;
	}
	if (max_size < HDR_SIZE) {
		*why = "the device tree is shorter than its header";
		return MICA_ERR_TRUNCATED;
	}
	version = fdt_be32(hdr + HDR_VERSION);
	if (version < FDT_VERSION_MIN ||
	    fdt_be32(hdr + HDR_LAST_COMP_VERSION) > FDT_VERSION_KNOWN) {
		*why = "the device tree's version is not one the kernel reads";
		return MICA_ERR_MALFORMED;
	}

	fdt->total_size = fdt_be32(hdr + HDR_TOTALSIZE);
	fdt->struct_off = fdt_be32(hdr + HDR_OFF_DT_STRUCT);
	fdt->struct_size = fdt_be32(hdr + HDR_SIZE_DT_STRUCT);
	fdt->strings_off = fdt_be32(hdr + HDR_OFF_DT_STRINGS);
	fdt->strings_size = fdt_be32(hdr + HDR_SIZE_DT_STRINGS);
	fdt->rsv_off = fdt_be32(hdr + HDR_OFF_MEM_RSVMAP);

	if (fdt->total_size < HDR_SIZE) {
		*why = "the device tree's totalsize is shorter than its header";
		return MICA_ERR_MALFORMED;
	}
	if (fdt->total_size > max_size) {
		*why = "the device tree claims to be larger than the memory holding it";
		return MICA_ERR_TRUNCATED;
	}
	if (fdt->struct_off < HDR_SIZE || !IS_ALIGNED(fdt->struct_off, FDT_TOKEN_ALIGN) ||
	    !fits(fdt->struct_off, fdt->struct_size, fdt->total_size)) {
		*why = "the structure block is misaligned or outside the device tree";
		return MICA_ERR_MALFORMED;
	}
	if (fdt->strings_off < HDR_SIZE ||
	    !fits(fdt->strings_off, fdt->strings_size, fdt->total_size)) {
		*why = "the strings block is outside the device tree";
		return MICA_ERR_MALFORMED;
	}
	if (fdt->rsv_off < HDR_SIZE || !IS_ALIGNED(fdt->rsv_off, FDT_RSV_ALIGN) ||
	    fdt->rsv_off >= fdt->total_size) {
		*why = "the memory reservation block is misaligned or outside the device tree";
		return MICA_ERR_MALFORMED;
	}
	return MICA_OK;
}

enum mica_error fdt_init(struct fdt *fdt, const void *blob, size_t max_size, const char **why)
{
	const char *reason = "the device tree was rejected";
	enum mica_error err;

	memset(fdt, 0, sizeof(*fdt));
	fdt->blob = blob;
	if (blob == NULL) {
		reason = "no device tree was given";
		err = MICA_ERR_MALFORMED;
	} else {
		err = check_header(fdt, max_size, &reason);
	}
	if (err == MICA_OK)
		err = count_reservations(fdt, &reason);
	if (err == MICA_OK)
		err = check_structure(fdt, &reason);

	if (err != MICA_OK) {
		/* A rejected blob must not be walked by a caller that ignores the error. */
		memset(fdt, 0, sizeof(*fdt));
		if (why != NULL)
			*why = reason;
	}
	return err;
}

struct fdt_node fdt_root(const struct fdt *fdt)
{
	return (struct fdt_node){.off = fdt->root_off, .depth = 0};
}

bool fdt_next_node(const struct fdt *fdt, struct fdt_node *node)
{
	struct token tok;
	uint32_t open = node->depth; /* Depth of the innermost open node. */
	uint32_t off;

	if (!read_token(fdt, node->off, &tok) || tok.tag != FDT_BEGIN_NODE)
		return false;
	for (off = tok.next; read_token(fdt, off, &tok); off = tok.next) {
		switch (tok.tag) {
		case FDT_BEGIN_NODE:
			if (open >= FDT_MAX_DEPTH)
				return false;
			node->off = off;
			node->depth = open + 1;
			return true;
		case FDT_END_NODE:
			/* The root's end: nothing but FDT_END follows. */
			if (open == 0)
				return false;
			open--;
			break;
		case FDT_PROP:
		case FDT_NOP:
			break;
		default:
			return false;
		}
	}
	return false;
}

bool fdt_first_child(const struct fdt *fdt, struct fdt_node parent, struct fdt_node *child)
{
	struct fdt_node n = parent;

	/* A child, if any, is the node right after its parent in document order. */
	if (!fdt_next_node(fdt, &n) || n.depth != parent.depth + 1)
		return false;
	*child = n;
	return true;
}

bool fdt_next_sibling(const struct fdt *fdt, struct fdt_node *node)
{
	struct fdt_node n = *node;

	while (fdt_next_node(fdt, &n)) {
		if (n.depth < node->depth)
			return false;
		if (n.depth == node->depth) {
			*node = n;
			return true;
		}
	}
	return false;
}

bool fdt_parent(const struct fdt *fdt, struct fdt_node node, struct fdt_node *parent)
{
	struct fdt_node n = fdt_root(fdt);
	bool found = false;

	if (node.depth == 0)
		return false;
	/* The parent is the last node one level up that begins before node. */
	do {
		if (n.off >= node.off)
			break;
		if (n.depth + 1 == node.depth) {
			*parent = n;
			found = true;
		}
	} while (fdt_next_node(fdt, &n));
	return found;
}

/* Whether node is an FDT_BEGIN_NODE token, as a node made by this file is. */
static bool is_node(const struct fdt *fdt, struct fdt_node node)
{
	struct token tok;

	return read_token(fdt, node.off, &tok) && tok.tag == FDT_BEGIN_NODE;
}

const char *fdt_node_name(const struct fdt *fdt, struct fdt_node node)
{
	struct token tok;

	if (!read_token(fdt, node.off, &tok) || tok.tag != FDT_BEGIN_NODE)
		return "";
	return tok.name;
}

/*
 * Whether a node called name matches the path component comp of len
 * bytes: exactly, or with the unit address left out of comp.
 */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	size_t name_len = strlen(name);

	if (name_len < len || memcmp(name, comp, len) != 0)
		return false;
	if (name_len == len)
		return true;
	return name[len] == '@' && memchr(comp, '@', len) == NULL;
}

bool fdt_find_path(const struct fdt *fdt, const char *path, size_t len, struct fdt_node *out)
{
	struct fdt_node node = fdt_root(fdt);
	size_t i = 0;

	if (len == 0 || path[0] != '/' || !is_node(fdt, node))
		return false;
	for (;;) {
		const char *slash;
		size_t comp_len;
		struct fdt_node child;
		bool found;

		while (i < len && path[i] == '/')
			i++;
		if (i == len) {
			*out = node;
			return true;
		}
		slash = memchr(path + i, '/', len - i);
		comp_len = slash != NULL ? (size_t)(slash - (path + i)) : len - i;

		found = fdt_first_child(fdt, node, &child);
		while (found && !name_matches(fdt_node_name(fdt, child), path + i, comp_len))
			found = fdt_next_sibling(fdt, &child);
		if (!found)
			return false;
		node = child;
		i += comp_len;
	}
}

bool fdt_get_prop_n(const struct fdt *fdt, struct fdt_node node, const char *name, size_t name_len,
		    struct fdt_prop *out)
{
	struct token tok;
	uint32_t off;

	if (!read_token(fdt, node.off, &tok) || tok.tag != FDT_BEGIN_NODE)
		return false;
	/* Properties come before children, so the first other token ends the search. */
	for (off = tok.next; read_token(fdt, off, &tok); off = tok.next) {
		if (tok.tag == FDT_NOP)
			continue;
		if (tok.tag != FDT_PROP)
			return false;
		if (strlen(tok.name) == name_len && memcmp(tok.name, name, name_len) == 0) {
			out->data = tok.data;
			out->len = tok.len;
			return true;
		}
	}
	return false;
}

bool fdt_get_prop(const struct fdt *fdt, struct fdt_node node, const char *name,
		  struct fdt_prop *out)
{
	return fdt_get_prop_n(fdt, node, name, strlen(name), out);
}

bool fdt_mem_rsv(const struct fdt *fdt, size_t index, struct fdt_range *out)
{
	const uint8_t *entry;

	if (index >= fdt->rsv_count)
		return false;
	/* count_reservations() checked every entry up to rsv_count lies in the blob. */
	entry = fdt->blob + fdt->rsv_off + index * FDT_RSV_ENTRY_SIZE;
	out->base = fdt_be64(entry);
	out->size = fdt_be64(entry + 8);
	return true;
}
