/*
 * An Arm PL031 real-time clock register model (PrimeCell RTC, ARM DDI
 * 0224): what Linux's rtc-pl031 driver and its AMBA bus need. Pure logic:
 * the time comes in as an argument of every call, the machine's wall-clock
 * time in whole seconds since 1970-01-01 00:00:00 UTC, and the interrupt
 * line leaves through the callback in struct pl031_ops.
 *
 * The PL031 is a 32-bit counter of seconds (DR) that software can load
 * (LR), and a match register (MR) that raises the alarm interrupt when the
 * counter reaches it. Here the counter is the machine's time plus an
 * offset of the guest's own: a guest that loads the counter ("hwclock -w")
 * moves its own clock, and no other guest's, and what it loaded counts on
 * from there with the machine's seconds.
 *
 * Registers (the TRM's register summary): DR (read-only), MR, LR, CR (RTC start: reads 1, the
 * counter always runs), IMSC, RIS, MIS (read-only) and ICR (write-only), all
 * 32 bits wide, and the PrimeCell identification registers at 0xfe0-0xffc.
 */
#ifndef MICA_VDEV_PL031_H
#define MICA_VDEV_PL031_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define PL031_MMIO_SIZE 0x1000u

/* Register offsets. */
#define PL031_DR	0x000u /* Data: the counter. */
#define PL031_MR	0x004u /* Match. */
#define PL031_LR	0x008u /* Load. */
#define PL031_CR	0x00cu /* Control: bit 0 starts the RTC. */
#define PL031_IMSC	0x010u /* Interrupt mask set and clear. */
#define PL031_RIS	0x014u /* Raw interrupt status. */
#define PL031_MIS	0x018u /* Masked interrupt status. */
#define PL031_ICR	0x01cu /* Interrupt clear. */
#define PL031_PERIPHID0 0xfe0u /* PeriphID0..3, then PCellID0..3 at 0xff0. */

#define PL031_CR_START	(1u << 0)
#define PL031_INT_ALARM (1u << 0) /* The one interrupt: IMSC, RIS, MIS and ICR bit 0. */

/* Where the model's interrupt goes: irq gets the line's new level, only when it changes. */
struct pl031_ops {
	void (*irq)(void *ctx, bool level);
	void *ctx;
};

struct pl031 {
	struct pl031_ops ops;
	int64_t offset;		 /* The counter minus the machine's time, in seconds. */
	uint32_t mr;		 /* The match register. */
	uint32_t lr;		 /* The value last loaded (LR reads it back). */
	uint32_t seen;		 /* The counter value the match was last checked at. */
	bool is_unmasked;	 /* IMSC: the alarm interrupt reaches the line. */
	bool is_alarm;		 /* RIS: the counter has reached MR since ICR. */
	bool line;		 /* The level last reported through ops.irq. */
	uint64_t ignored_writes; /* Writes to read-only or absent registers. */
	uint64_t unknown_reads;	 /* Reads of write-only or absent registers (read as zero). */
};

/*
 * Set r to its reset state at machine time now: the counter reads now (the
 * guest sees the machine's time until it loads its own), MR 0, the alarm
 * masked and clear, the line low (not reported).
 */
void pl031_init(struct pl031 *r, const struct pl031_ops *ops, uint64_t now);

/*
 * A restarted server takes over r from the state its last instance left
 * (r lives in the device's recoverable state): the guest's clock (its
 * offset), MR, LR, the alarm and its mask are kept, ops is attached again,
 * and the line is reported as the registers make it, whatever was reported
 * before.
 */
void pl031_resume(struct pl031 *r, const struct pl031_ops *ops);

/*
 * A guest load of size bytes at offset, at machine time now. Only aligned
 * 32-bit accesses are served. Errors: MICA_ERR_RANGE past the 4 KiB frame,
 * MICA_ERR_INVALID_ARGUMENT for another width, MICA_ERR_ALIGNMENT for an
 * unaligned offset; nothing changes on error.
 */
enum mica_error pl031_read(struct pl031 *r, uint64_t now, uint64_t offset, unsigned size,
			   uint64_t *value) __attribute__((warn_unused_result));

/* A guest store, errors as for pl031_read. */
enum mica_error pl031_write(struct pl031 *r, uint64_t now, uint64_t offset, unsigned size,
			    uint64_t value) __attribute__((warn_unused_result));

/*
 * Bring r up to machine time now: if the counter has reached MR since it
 * was last looked at, the alarm is raised (and the line, if unmasked).
 * Every access does this first; a server calls it also when its timer
 * for pl031_next_alarm goes off.
 */
void pl031_update(struct pl031 *r, uint64_t now);

/*
 * After pl031_update(r, now): the machine time at which the counter next
 * reaches MR and so raises the line, for a server's timer; 0 if nothing
 * is to come (the alarm masked or already raised, or MR not ahead within
 * half the counter's range).
 */
uint64_t pl031_next_alarm(const struct pl031 *r, uint64_t now);

/* The counter at machine time now, as DR reads. */
uint32_t pl031_counter(const struct pl031 *r, uint64_t now);

#endif
