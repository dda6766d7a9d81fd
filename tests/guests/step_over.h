/*
 * Synchronous exceptions a guest on irq_vectors.S steps over: its
 * guest_sync (step_over.c) counts each and keeps the last one's ESR_EL1,
 * and the guest goes on after the instruction that took it (a load or
 * store where nothing is mapped, say).
 */
#ifndef MICA_TESTS_GUESTS_STEP_OVER_H
#define MICA_TESTS_GUESTS_STEP_OVER_H

#include <stdint.h>

#define ESR_EC_DABT   0x25u /* A data abort from EL1 (ESR_EL1.EC). */
#define DFSC_EXTERNAL 0x10u /* A synchronous external abort (ESR_EL1.DFSC). */

extern volatile unsigned step_over_count;
extern volatile uint64_t step_over_esr;

void guest_sync(void);

#endif
