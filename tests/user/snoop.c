/*
 * snoop: a child that tries to reach memory that is not its own. It first
 * asks the kernel to print a word at the other process's address (the
 * kernel must refuse: nothing is mapped there for snoop), then reads the
 * root task's secret address, which faults; its handler maps a page of
 * snoop's own there and resumes it, and snoop reports what it read:
 * MR0 the word, MR1 the debug write's error. Last it writes to the other
 * process's address, which faults again, and its handler leaves it stopped.
 */
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "children.h"

int main(uint64_t arg);

int main(uint64_t arg)
{
	volatile uint64_t *root_secret = (volatile uint64_t *)(uintptr_t)SNOOP_ROOT_VA;
	volatile uint64_t *sibling_secret = (volatile uint64_t *)(uintptr_t)SNOOP_SIBLING_VA;
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	enum mica_error err;

	err = sys_debug_write((const void *)(uintptr_t)SNOOP_SIBLING_VA, sizeof(uint64_t));
	printf("snoop: the kernel would not print the other process's page: error %d\n", err);
	printf("snoop: reading the root task's page\n");
	mr[0] = *root_secret;
	mr[1] = (uint64_t)err;
	(void)mica_call(CHILD_SLOT_REPORT, mica_msg_info(LABEL_REPORT, 0, 2), mr);
	printf("snoop: writing the other process's page\n");
	*sibling_secret = 0xbad;
	printf("snoop: the write went through\n");
	for (;;)
		mica_yield();
	return 0;
}
