/*
 * The IVC server: dynamic channels between VMs (docs/ivc.md). It holds the
 * pool's frames and each VM's window tables (<mica/proto/ivc.h>), answers
 * the guests' MICA_HVC_IVC_* hypercalls as their VMMs hand them on, and
 * maps and unmaps channels in both ends' windows. pool.c keeps the books;
 * this file does what the books say with capabilities.
 *
 * A channel's frame j is mapped into the allocating end through the
 * pool's own capability (IVC_CAP_FRAME) and into the peer through a copy
 * made for it (copy_slot); releasing unmaps the first and deletes the
 * copy, so both mappings are gone, and the frames zeroed, before they are
 * in the pool again.
 */
#include <string.h>

#include <base/errors.h>
#include <mica/abi/hypercall.h>
#include <mica/abi/invocation.h>
#include <mica/abi/ipc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/proto/ivc.h>
#include <mica/sys.h>

#include "pool.h"

#define RW (MICA_RIGHT_READ | MICA_RIGHT_WRITE)

static struct {
	const struct ivc_boot *boot;
	struct sysdesc desc;
	struct ivc_pool pool;
	uint32_t hypercalls;
} ivc;

/* The testing aid ivc-crash-after: a fault at the hypercall it names. */
static void crash_on_purpose(void)
{
	if (ivc.desc.ivc_crash_after == 0 || ++ivc.hypercalls != ivc.desc.ivc_crash_after)
		return;
	printf("ivc: crashing on purpose at hypercall %u (ivc-crash-after)\n",
	       (unsigned)ivc.hypercalls);
	__asm__ volatile("udf #0"); /* An undefined instruction: a fault. */
}

/* The slot of the copy of frame f that the second end maps. */
static uint64_t copy_slot(uint32_t f)
{
	return IVC_CAP_FRAME(ivc.boot->frame_count) + f;
}

/* The window table holding window page `page` of VM v. */
static uint64_t window_table(uint32_t v, uint32_t page)
{
	return IVC_CAP_WINDOW(v, page * IVC_PAGE / IVC_WINDOW_TABLE_SIZE);
}

static const char *vm_name(uint32_t v)
{
	return ivc.desc.vms[v].name;
}

/* Unmap pages [0, pages) of channel c from both ends and zero their frames. */
static void unmap_channel(uint32_t c, uint32_t pages)
{
	for (uint32_t j = 0; j < pages; j++) {
		uint32_t f = ivc_frame_of(&ivc.pool, c, j);

		(void)mica_frame_unmap(IVC_CAP_FRAME(f));
		/* Deleting the copy removes its mapping, if it had one. */
		(void)mica_cnode_delete(IVC_CAP_CNODE, copy_slot(f), 64);
		memset((void *)(ivc.boot->pool_va + f * IVC_PAGE), 0, IVC_PAGE);
	}
}

/* Map channel c into both ends; on failure nothing of it stays mapped. */
static enum mica_error map_channel(uint32_t c)
{
	const struct ivc_channel *ch = &ivc.pool.channels[c];
	enum mica_error err = MICA_OK;
	uint32_t j;

	for (j = 0; j < ch->pages && err == MICA_OK; j++) {
		uint32_t f = ivc_frame_of(&ivc.pool, c, j);
		uint64_t a = ivc_address_of(&ivc.pool, c, 0) + j * IVC_PAGE;
		uint64_t b = ivc_address_of(&ivc.pool, c, 1) + j * IVC_PAGE;

		err = mica_frame_map(IVC_CAP_FRAME(f), window_table(ch->vm[0], ch->first[0] + j), a,
				     RW, 0);
		if (err == MICA_OK)
			err = mica_cnode_copy(IVC_CAP_CNODE, copy_slot(f), 64, IVC_CAP_CNODE,
					      IVC_CAP_FRAME(f), 64, RW);
		if (err == MICA_OK)
			err = mica_frame_map(copy_slot(f),
					     window_table(ch->vm[1], ch->first[1] + j), b, RW, 0);
	}
	if (err != MICA_OK) {
		printf("ivc: cannot map a channel of %s and %s (%s)\n", vm_name(ch->vm[0]),
		       vm_name(ch->vm[1]), mica_error_text(err));
		unmap_channel(c, j);
	}
	return err;
}

/* Release channel c: gone from both ends, its frames zero and free; its other end told. */
static void release(uint32_t c, uint32_t by)
{
	const struct ivc_channel *ch = &ivc.pool.channels[c];
	uint32_t other = ch->vm[0] == by ? ch->vm[1] : ch->vm[0];

	unmap_channel(c, ch->pages);
	ivc_pool_free(&ivc.pool, c);
	(void)mica_signal(IVC_CAP_LINE(other));
}

/* A guest's hypercall, x[0..3] its x0..x3; the answer in x[], its length returned. */
static unsigned hypercall(uint32_t vm, uint64_t *x)
{
	uint32_t function = (uint32_t)x[0];
	uint32_t c = 0;
	int64_t status;

	switch (function) {
	case MICA_HVC_IVC_ALLOC:
		status = ivc_pool_alloc(&ivc.pool, vm, x[1], x[2], &c);
		if (status == MICA_HVC_SUCCESS && map_channel(c) != MICA_OK) {
			ivc_pool_free(&ivc.pool, c);
			status = MICA_HVC_NO_MEMORY;
		}
		if (status != MICA_HVC_SUCCESS)
			break;
		(void)mica_signal(IVC_CAP_LINE(ivc.pool.channels[c].vm[1]));
		x[1] = ivc_address_of(&ivc.pool, c, 0);
		x[2] = ivc.pool.channels[c].pages * IVC_PAGE;
		x[0] = (uint64_t)status;
		return 3;
	case MICA_HVC_IVC_RELEASE:
		status = ivc_pool_find(&ivc.pool, vm, x[1], x[2], &c);
		if (status == MICA_HVC_SUCCESS)
			release(c, vm);
		break;
	case MICA_HVC_IVC_QUERY:
		status = ivc_pool_query(&ivc.pool, vm, x[1], &c);
		if (status != MICA_HVC_SUCCESS)
			break;
		x[1] = ivc_address_of(&ivc.pool, c, ivc.pool.channels[c].vm[0] == vm ? 0 : 1);
		x[2] = ivc.pool.channels[c].pages * IVC_PAGE;
		x[3] = ivc_peer_index(&ivc.pool, vm, c);
		x[0] = (uint64_t)status;
		return 4;
	default:
		status = MICA_HVC_NOT_SUPPORTED;
		break;
	}
	x[0] = (uint64_t)status;
	return 1;
}

/* VM vm reset or ended: every channel it holds goes; an ended VM gets no more. */
static void reset(uint32_t vm, bool has_ended)
{
	int32_t c;

	ivc.pool.vms[vm].has_ended |= has_ended;
	while ((c = ivc_pool_any(&ivc.pool, vm)) >= 0)
		release((uint32_t)c, vm);
}

/* The root task's word of ended VMs (IVC_NTFN_VM_ENDED). */
static void vms_ended(uint64_t bits)
{
	for (uint32_t v = 0; v < ivc.desc.vm_count; v++)
		if ((bits & IVC_NTFN_VM_ENDED(v)) != 0 && ivc.pool.vms[v].policy != NULL)
			reset(v, true);
}

static _Noreturn void serve(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(IVC_CAP_EP, IVC_CAP_REPLY, mr);

	for (;;) {
		uint64_t label = mica_msg_label(m.info);
		uint32_t vm = (uint32_t)(m.badge & IVC_BADGE_VM_INDEX);
		unsigned count = 1;

		if (m.err == MICA_OK && label == MICA_LABEL_NOTIFICATION) {
			vms_ended(m.badge); /* A signal: nobody waits for an answer. */
			m = mica_recv(IVC_CAP_EP, IVC_CAP_REPLY, mr);
			continue;
		}
		if (m.err != MICA_OK || (m.badge & IVC_BADGE_VM) == 0 || vm >= ivc.desc.vm_count ||
		    ivc.pool.vms[vm].policy == NULL) {
			m = mica_recv(IVC_CAP_EP, IVC_CAP_REPLY, mr);
			continue;
		}
		if (label == IVC_MSG_HYPERCALL) {
			crash_on_purpose();
			count = hypercall(vm, mr);
		} else if (label == IVC_MSG_RESET) {
			reset(vm, false);
			mr[0] = MICA_OK;
		} else {
			mr[0] = MICA_ERR_ILLEGAL_OPERATION;
		}
		m = mica_reply_recv(IVC_CAP_EP, IVC_CAP_REPLY, mica_msg_info(0, 0, count), mr);
	}
}

int main(const struct ivc_boot *boot)
{
	struct sysdesc_error err;

	ivc.boot = boot;
	if (boot->magic != IVC_BOOT_MAGIC ||
	    sysdesc_parse((const void *)boot->description_va, boot->description_size, &ivc.desc,
			  &err) != MICA_OK) {
		printf("ivc: no usable boot page or description\n");
		return 1;
	}
	ivc_pool_init(&ivc.pool, &ivc.desc, boot->frame_count);
	printf("ivc: %u KiB of channel memory for %u VMs\n",
	       (unsigned)(ivc.pool.frame_count * IVC_PAGE / 1024), (unsigned)ivc.desc.vm_count);
	serve();
}
