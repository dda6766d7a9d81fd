/*
 * A device's window on its guest's RAM: the guest-physical range
 * [ipa_base, ipa_base + size) mapped at host in the server. Every guest
 * address and length a device model takes from the guest (a descriptor, a
 * ring) goes through guest_mem_ptr, which refuses anything not wholly
 * inside the window and never overflows doing so.
 */
#ifndef MICA_VDEV_GUEST_MEM_H
#define MICA_VDEV_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint64_t ipa_base;
	uint64_t size; /* 0: the device reaches no guest memory. */
	uint8_t *host;
};

/*
 * Where [ipa, ipa + len) lies in the server, or NULL if any of it is
 * outside the window. A zero length is allowed at any address inside the
 * window or at its end.
 */
static inline void *guest_mem_ptr(const struct guest_mem *m, uint64_t ipa, uint64_t len)
{
	uint64_t offset;

	if (m->host == NULL || ipa < m->ipa_base)
		return NULL;
	offset = ipa - m->ipa_base;
	/* Written so that neither side can wrap: offset <= size first. */
	if (offset > m->size || len > m->size - offset)
		return NULL;
	return m->host + offset;
}

/* The guest-physical address of host, a byte guest_mem_ptr gave (so inside the window). */
static inline uint64_t guest_mem_ipa(const struct guest_mem *m, const uint8_t *host)
{
	return m->ipa_base + (uint64_t)(host - m->host);
}

#endif
