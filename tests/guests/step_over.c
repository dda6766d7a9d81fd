/* A guest's synchronous exceptions, stepped over (step_over.h). */
#include "step_over.h"

volatile unsigned step_over_count;
volatile uint64_t step_over_esr;

void guest_sync(void)
{
	uint64_t esr, elr;

	__asm__ volatile("mrs %0, esr_el1\n\tmrs %1, elr_el1" : "=r"(esr), "=r"(elr));
	step_over_esr = esr;
	step_over_count++;
	__asm__ volatile("msr elr_el1, %0" ::"r"(elr + 4));
}
