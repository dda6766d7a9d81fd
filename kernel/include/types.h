/*
 * Basic kernel types. Physical and virtual addresses are distinct one-field
 * structs so that mixing them is a compile error rather than a bug.
 */
#ifndef MICA_TYPES_H
#define MICA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

typedef struct {
	uintptr_t pa;
} paddr_t;

typedef struct {
	uintptr_t va;
} vaddr_t;

static inline paddr_t pa_init(uintptr_t pa)
{
	return (paddr_t){.pa = pa};
}

static inline uintptr_t pa_addr(paddr_t pa)
{
	return pa.pa;
}

static inline vaddr_t va_init(uintptr_t va)
{
	return (vaddr_t){.va = va};
}

static inline uintptr_t va_addr(vaddr_t va)
{
	return va.va;
}

#define PAGE_SHIFT 12
#define PAGE_SIZE  ((uintptr_t)1 << PAGE_SHIFT)
#define BLOCK_2M   ((uintptr_t)1 << 21)

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)	 ALIGN_DOWN((x) + (__typeof__(x))(a)-1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))

#define MUST_CHECK __attribute__((warn_unused_result))
#define NORETURN   _Noreturn

/* A physical address range. */
struct mem_range {
	uint64_t base;
	uint64_t size;
};

/* A result that carries a value when err is MICA_OK. */
struct ret {
	enum mica_error err;
	uintptr_t val;
};

#endif
