/*
 * A small, read-only reader of flattened device trees (Devicetree
 * Specification v0.4, chapter 5): the header, the memory reservation block,
 * the structure block and the strings block.
 *
 * The blob comes from the boot loader and is not trusted. fdt_init()
 * checks the header and walks the whole structure block once, so a blob
 * it accepts has its blocks inside max_size, well-formed tokens, NUL-
 * terminated names, properties before child nodes, at most FDT_MAX_DEPTH
 * levels of nesting and a closing FDT_END. Every later read checks its
 * bounds again anyway, so no call can read outside the blob or loop
 * forever, whatever the bytes say.
 *
 * The reader keeps no state besides struct fdt and holds no pointers in
 * static data, because it runs with the MMU off, before the kernel is at
 * its link address (see platform.h). Multi-byte values are read a byte at
 * a time: the blob's 64-bit fields need not be 8-byte aligned, and the
 * MMU-off kernel faults on unaligned accesses.
 *
 * fdt.c reads the format (chapter 5) and finds nodes and properties;
 * fdt_props.c interprets the standard properties (chapter 2).
 */
#ifndef MICA_FDT_H
#define MICA_FDT_H

#include "types.h"

/* The header's magic number, big-endian in the blob. */
#define FDT_MAGIC 0xd00dfeedu

/*
 * The deepest node accepted, the root being depth 0. QEMU virt goes to
 * depth 5 (/cpus/cpu-map/socket0/cluster0/core0); a tree twice as deep
 * as any seen in practice is still accepted.
 */
#define FDT_MAX_DEPTH 32u

/* Cells are big-endian u32s (spec 2.2.4). */
#define FDT_CELL_SIZE 4u

/*
 * A blob accepted by fdt_init(). The offsets and sizes are those of the
 * header, checked to lie inside the blob; all node and property accessors
 * take one of these.
 */
struct fdt {
	const uint8_t *blob;
	uint32_t total_size;
	uint32_t struct_off; /* Structure block, from the start of the blob. */
	uint32_t struct_size;
	uint32_t strings_off; /* Strings block, from the start of the blob. */
	uint32_t strings_size;
	uint32_t rsv_off;   /* Memory reservation block. */
	uint32_t rsv_count; /* Entries before its terminating (0, 0) entry. */
	uint32_t root_off;  /* The root's FDT_BEGIN_NODE, in the structure block. */
};

/*
 * A node: where its FDT_BEGIN_NODE token sits in the structure block, and
 * how deep it is (0 for the root). Nodes are only ever made by the
 * functions below.
 */
struct fdt_node {
	uint32_t off;
	uint32_t depth;
};

/* A property's value: len bytes at data, inside the blob. */
struct fdt_prop {
	const uint8_t *data;
	uint32_t len;
};

/* The #address-cells and #size-cells a node gives its children's "reg". */
struct fdt_cells {
	uint32_t address;
	uint32_t size;
};

/* One decoded "reg" or memory reservation entry. */
struct fdt_range {
	uint64_t base;
	uint64_t size;
};

/* Big-endian loads from any alignment. */
uint32_t fdt_be32(const uint8_t *p);
uint64_t fdt_be64(const uint8_t *p);

/*
 * Check the blob at blob, which the caller guarantees readable for
 * max_size bytes, and fill *fdt. Returns MICA_OK; MICA_ERR_TRUNCATED if
 * max_size is shorter than the header or than the header's totalsize;
 * MICA_ERR_MALFORMED for anything else wrong. On error *why (if not NULL)
 * is a static sentence saying what is wrong.
 */
enum mica_error fdt_init(struct fdt *fdt, const void *blob, size_t max_size,
			 const char **why) MUST_CHECK;

/* The root node. */
struct fdt_node fdt_root(const struct fdt *fdt);

/*
 * Step *node to the next node in document order (depth first, parents
 * before children) and set its depth. Returns false after the last node.
 */
bool fdt_next_node(const struct fdt *fdt, struct fdt_node *node) MUST_CHECK;

/* The first child of parent, if it has one. */
bool fdt_first_child(const struct fdt *fdt, struct fdt_node parent,
		     struct fdt_node *child) MUST_CHECK;

/* Step *node to its next sibling; false if it is the last one. */
bool fdt_next_sibling(const struct fdt *fdt, struct fdt_node *node) MUST_CHECK;

/*
 * The parent of node; false for the root. The tree has no parent links,
 * so this walks from the root: it costs a pass over the nodes before it.
 */
bool fdt_parent(const struct fdt *fdt, struct fdt_node node, struct fdt_node *parent) MUST_CHECK;

/*
 * The node's name with its unit address ("memory@40000000"): "" for the
 * root, and for an offset that is not a node.
 */
const char *fdt_node_name(const struct fdt *fdt, struct fdt_node node);

/*
 * The node at the absolute path of len bytes at path (which need not be
 * NUL-terminated). A component without a unit address also matches a
 * node that has one ("/memory" finds "/memory@40000000"), as the
 * specification allows when that is unambiguous; the first match wins.
 */
bool fdt_find_path(const struct fdt *fdt, const char *path, size_t len,
		   struct fdt_node *out) MUST_CHECK;

/* The node whose "phandle" (or older "linux,phandle") is phandle. */
bool fdt_find_phandle(const struct fdt *fdt, uint32_t phandle, struct fdt_node *out) MUST_CHECK;

/* The first node, in document order, whose "compatible" lists compat. */
bool fdt_find_compatible(const struct fdt *fdt, const char *compat,
			 struct fdt_node *out) MUST_CHECK;

/* The node's property called name (NUL-terminated, or name_len bytes). */
bool fdt_get_prop(const struct fdt *fdt, struct fdt_node node, const char *name,
		  struct fdt_prop *out) MUST_CHECK;
bool fdt_get_prop_n(const struct fdt *fdt, struct fdt_node node, const char *name, size_t name_len,
		    struct fdt_prop *out) MUST_CHECK;

/* A property that is exactly one cell (<u32>). */
bool fdt_get_u32(const struct fdt *fdt, struct fdt_node node, const char *name,
		 uint32_t *out) MUST_CHECK;

/*
 * The property's value as a string: NULL unless a NUL ends it within its
 * length. For a string list this is the first entry.
 */
const char *fdt_prop_str(struct fdt_prop prop);

/* Whether the string list prop has an entry equal to s. */
bool fdt_prop_has_str(struct fdt_prop prop, const char *s);

/* Whether the node's "compatible" string list has an entry equal to compat. */
bool fdt_is_compatible(const struct fdt *fdt, struct fdt_node node, const char *compat);

/* Whether the node's "status" is absent, "okay" or "ok" (spec 2.3.4). */
bool fdt_is_enabled(const struct fdt *fdt, struct fdt_node node);

/*
 * The cells bus gives its children: its "#address-cells" and
 * "#size-cells", or the specification's defaults of 2 and 1 (2.3.5).
 */
struct fdt_cells fdt_child_cells(const struct fdt *fdt, struct fdt_node bus);

/* The cells that decode node's own "reg": its parent's child cells. */
struct fdt_cells fdt_reg_cells(const struct fdt *fdt, struct fdt_node node);

/*
 * How many whole entries a "reg"-like property holds with these cells.
 * False when the cells cannot be decoded into 64-bit values (more than 2
 * of either, or no address cell) or the length is not a whole number of
 * entries.
 */
bool fdt_reg_count(struct fdt_prop reg, struct fdt_cells cells, size_t *count) MUST_CHECK;

/*
 * Entry index of a "reg"-like property. False if it does not exist, the
 * cells cannot be decoded, or base + size wraps past 2^64.
 */
bool fdt_reg_get(struct fdt_prop reg, struct fdt_cells cells, size_t index,
		 struct fdt_range *out) MUST_CHECK;

/*
 * The node's interrupt parent (spec 2.4): the first node with
 * "#interrupt-cells" reached by following "interrupt-parent" phandles,
 * or the tree parent where there is none, starting at node. Sets *cells
 * to its "#interrupt-cells". False if there is none, if the chain is
 * broken, or if it takes more than 2 * FDT_MAX_DEPTH steps (a cycle).
 */
bool fdt_interrupt_parent(const struct fdt *fdt, struct fdt_node node, struct fdt_node *ctrl,
			  uint32_t *cells) MUST_CHECK;

/* Entry index of the memory reservation block, below fdt->rsv_count. */
bool fdt_mem_rsv(const struct fdt *fdt, size_t index, struct fdt_range *out) MUST_CHECK;

#endif
