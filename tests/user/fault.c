/*
 * An EL0 program that reads an address nothing maps. The kernel must print
 * a decoded fault report and, since this is the root task and no handler
 * exists, power off with MICA_EXIT_ROOT_FAULT instead of hanging.
 */
#include <mica/print.h>

#include <stdint.h>

#define UNMAPPED_ADDRESS 0x0000000dead0000ull

int main(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)UNMAPPED_ADDRESS;

	printf("START fault\n");
	printf("fault: reading 0x%llx\n", (unsigned long long)UNMAPPED_ADDRESS);
	(void)*p;
	printf("FAIL %s:%d the read of an unmapped address returned\n", __FILE__, __LINE__);
	return 1;
}
