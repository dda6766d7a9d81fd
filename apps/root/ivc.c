/*
 * The IVC server (servers/ivc, <mica/proto/ivc.h>), built when some VM of
 * the description has a /vms/NAME/ivc node, once every VM's objects exist
 * and before any VMM starts:
 *
 *   - the pool: every such VM's 'memory' together, in fresh (zero) 4 KiB
 *     frames, mapped into the server one after another, with a copy of
 *     each frame's capability in its CSpace;
 *   - each VM's window: a stage-2 page table per 2 MiB, mapped into the
 *     VM (with a level-2 table above it if the VM had none there), whose
 *     capability moves to the server: it may map there and nowhere else;
 *   - each VM's notification for its dynamic channels: the server may
 *     signal it, the VM's VMM binds it to the guest's interrupt;
 *   - each VM's doorbells: doorbell + k rings peer k's notification.
 *
 * The VMMs get the server's endpoint, badged with their VM's index, when
 * they start (system.c). A notification bound to the server's thread tells
 * it which VMs have ended (system_end_vm): the root task never waits on
 * the server.
 */
#include <base/errors.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include "build.h"

#define IVC_STACK_PAGES 4

/*
 * The level-3 table of the 2 MiB at ipa in VM vm, made and mapped, into
 * *table. Each table goes in at the first level missing on the way: level
 * 2 (kept by the root task, in the VM's space for good), then level 3.
 */
static enum mica_error window_table(uint64_t vm, uint64_t ipa, uint64_t *table)
{
	*table = 0;
	for (int level = 0; level < 2; level++) {
		uint64_t next = alloc_object(MICA_OBJ_PAGE_TABLE, 0);
		enum mica_error err =
			next ? mica_page_table_map(next, vm, ipa) : MICA_ERR_NOT_ENOUGH_MEMORY;

		if (err != MICA_OK)
			drop_cap(next);
		/* Both levels there already: the last one made is level 3. */
		if (err == MICA_ERR_DELETE_FIRST && *table != 0)
			return MICA_OK;
		if (err != MICA_OK)
			return err; /* DELETE_FIRST at once: the VM maps something there. */
		*table = next;
	}
	return MICA_OK;
}

/* The pool's frames, mapped into p and copied into its CSpace. */
static enum mica_error make_pool(struct system *s, struct process *p)
{
	for (uint32_t i = 0; i < s->ivc.boot.frame_count; i++) {
		uint64_t frame = alloc_object(MICA_OBJ_FRAME_4K, 0);
		enum mica_error err = frame ? MICA_OK : MICA_ERR_NOT_ENOUGH_MEMORY;

		if (err == MICA_OK)
			err = process_map_frame(p, frame, IVC_POOL_VA + i * PAGE, RW, 0);
		if (err == MICA_OK)
			err = process_copy_cap(p, IVC_CAP_FRAME(i), frame, MICA_RIGHTS_ALL);
		if (err != MICA_OK) {
			printf("root: the IVC server: no memory for its pool, at frame %u of %u\n",
			       (unsigned)i, (unsigned)s->ivc.boot.frame_count);
			return err;
		}
		s->ivc.frames[i] = frame;
	}
	return MICA_OK;
}

/* VM v's window tables, into p; its notification; its doorbells to its peers'. */
static enum mica_error make_window(struct system *s, struct process *p, unsigned v)
{
	const struct sysdesc_ivc *ivc = &s->desc.vms[v].ivc;
	enum mica_error err = MICA_OK;

	for (uint64_t t = 0; t < ivc->window.size / SYSDESC_IVC_BLOCK; t++) {
		uint64_t ipa = ivc->window.base + t * SYSDESC_IVC_BLOCK;
		uint64_t table = 0;

		err = window_table(s->vms[v].vm, ipa, &table);
		if (err == MICA_OK)
			err = mica_cnode_move(p->cspace, IVC_CAP_WINDOW(v, t), 64, ROOT, table, 64);
		if (err == MICA_OK)
			alloc_slot_free(table); /* Moved: the slot is empty. */
		else
			drop_cap(table);
		if (err != MICA_OK) {
			printf("root: /vms/%s/ivc: cannot make its window at 0x%llx (%s)\n",
			       s->desc.vms[v].name, (unsigned long long)ipa, mica_error_text(err));
			return err;
		}
	}
	return process_copy_cap(p, IVC_CAP_LINE(v), s->ivc.lines[v], MICA_RIGHT_WRITE);
}

static enum mica_error bind_doorbells(struct system *s)
{
	for (unsigned v = 0; v < s->desc.vm_count; v++) {
		const struct sysdesc_ivc *ivc = &s->desc.vms[v].ivc;

		for (uint32_t k = 0; ivc->is_present && k < ivc->peer_count; k++) {
			enum mica_error err = mica_vm_bind_doorbell(s->vms[v].vm, ivc->doorbell + k,
								    s->ivc.lines[ivc->peers[k]]);

			if (err != MICA_OK) {
				printf("root: /vms/%s/ivc: cannot bind doorbell %u (%s)\n",
				       s->desc.vms[v].name, (unsigned)(ivc->doorbell + k),
				       mica_error_text(err));
				return err;
			}
		}
	}
	return MICA_OK;
}

/* The smallest CNode radix with room for n slots. */
static unsigned radix_for(uint64_t n)
{
	unsigned radix = PROCESS_DEFAULT_CNODE_RADIX;

	while ((UINT64_C(1) << radix) < n)
		radix++;
	return radix;
}

enum mica_error make_ivc(struct system *s, const void *dtb, uint64_t dtb_size)
{
	struct ivc_rt *rt = &s->ivc;
	struct process_config cfg = {.name = "ivc",
				     .priority = SYSTEM_PRIORITY,
				     .stack_pages = IVC_STACK_PAGES,
				     .arg = IVC_BOOT_VA};
	struct process *p = &rt->proc;
	uint64_t memory = 0, fault_ep, reply;
	enum mica_error err;

	for (unsigned v = 0; v < s->desc.vm_count; v++)
		memory += s->desc.vms[v].ivc.is_present ? s->desc.vms[v].ivc.memory : 0;
	if (memory == 0)
		return MICA_OK;
	rt->boot = (struct ivc_boot){.magic = IVC_BOOT_MAGIC,
				     .description_va = IVC_DESCRIPTION_VA,
				     .description_size = dtb_size,
				     .pool_va = IVC_POOL_VA,
				     .frame_count = (uint32_t)(memory / PAGE)};
	/* Each frame's capability, and the copy of it the second end maps. */
	cfg.cnode_radix = radix_for(IVC_CAP_FRAME(2 * (uint64_t)rt->boot.frame_count));
	rt->boot.cnode_radix = cfg.cnode_radix;
	rt->ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	rt->ntfn = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	fault_ep = mint_cap(s->fault_ep, MICA_RIGHTS_ALL, ROOT_BADGE_IVC);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	err = rt->ep && rt->ntfn && fault_ep && reply ? MICA_OK : MICA_ERR_NOT_ENOUGH_MEMORY;
	cfg.fault_ep = fault_ep;
	for (unsigned v = 0; err == MICA_OK && v < s->desc.vm_count; v++) {
		if (!s->desc.vms[v].ivc.is_present)
			continue;
		rt->lines[v] = alloc_object(MICA_OBJ_NOTIFICATION, 0);
		if (rt->lines[v] == 0)
			err = MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	if (err == MICA_OK)
		err = process_image_from_archive(s->info, "ivc", &cfg);
	if (err == MICA_OK)
		err = process_create(p, &cfg);
	drop_cap(fault_ep);
	if (err == MICA_OK)
		err = process_copy_cap(p, IVC_CAP_EP, rt->ep, RW);
	if (err == MICA_OK)
		err = process_copy_cap(p, IVC_CAP_REPLY, reply, MICA_RIGHTS_ALL);
	drop_cap(reply);
	if (err == MICA_OK)
		err = process_copy_cap(p, IVC_CAP_CNODE, p->cspace, MICA_RIGHTS_ALL);
	if (err == MICA_OK)
		err = mica_tcb_bind_notification(p->tcb, rt->ntfn);
	if (err == MICA_OK)
		err = make_pool(s, p);
	for (unsigned v = 0; err == MICA_OK && v < s->desc.vm_count; v++)
		if (s->desc.vms[v].ivc.is_present)
			err = make_window(s, p, v);
	if (err == MICA_OK)
		err = bind_doorbells(s);
	if (err == MICA_OK)
		err = give_copy(p, dtb, dtb_size, IVC_DESCRIPTION_VA, MICA_RIGHT_READ);
	if (err == MICA_OK)
		err = give_page(p, &rt->boot, sizeof(rt->boot), IVC_BOOT_VA);
	if (err == MICA_OK)
		err = process_start(p);
	if (err != MICA_OK) {
		printf("root: cannot start the IVC server (%s at %s)\n", mica_error_text(err),
		       p->failed_step ? p->failed_step : "setup");
		return err;
	}
	rt->is_running = true;
	return MICA_OK;
}

void ivc_stop(struct system *s)
{
	/* Its tables go with it, and every channel with them. */
	process_destroy(&s->ivc.proc);
	/*
	 * The endpoint's last capability goes too: a VMM already waiting in a
	 * call wakes with an error, and every later call fails (its guest's
	 * hypercall answers NOT_SUPPORTED).
	 */
	(void)mica_cnode_revoke(ROOT, s->ivc.ep, 64);
	drop_cap(s->ivc.ep);
	s->ivc.ep = 0;
	s->ivc.is_running = false;
	/* Each guest looks again, and finds its channels gone. */
	for (unsigned v = 0; v < s->desc.vm_count; v++)
		if (s->ivc.lines[v] != 0)
			(void)mica_signal(s->ivc.lines[v]);
}

void ivc_vm_ended(struct system *s, unsigned index)
{
	uint64_t badged;

	if (!s->ivc.is_running || !s->desc.vms[index].ivc.is_present)
		return;
	badged = mint_cap(s->ivc.ntfn, MICA_RIGHT_WRITE, IVC_NTFN_VM_ENDED(index));
	if (badged != 0)
		(void)mica_signal(badged);
	drop_cap(badged);
}
