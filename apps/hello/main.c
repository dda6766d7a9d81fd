/*
 * The first process the root task starts: it greets from its own address
 * space and ends. Returning from main ends a program other than the root
 * task with a breakpoint fault, its status in x0, which the root task (its
 * fault handler) receives.
 */
#include <mica/print.h>

#include <stdint.h>

int main(uint64_t arg)
{
	printf("hello: a process in its own address space (started with %llu)\n",
	       (unsigned long long)arg);
	return 7;
}
