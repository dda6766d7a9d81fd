/*
 * Which fake CPU the host thread runs as. Its own object in the fake arch
 * library, so that tests which link no scheduler do not pull it in: they
 * run as CPU 0, whose registers are fake_cpus[0].
 */
#include <string.h>

#include "fake.h"
#include "sched.h"

void *fake_cpu_local = &sched_cpus[0];

void fake_cpu_switch(unsigned cpu)
{
	fake_cpu_now = cpu;
	fake_cpu_local = &sched_cpus[cpu];
}

void fake_cpus_reset(void)
{
	memset(fake_cpus, 0, PLATFORM_MAX_CPUS * sizeof(fake_cpus[0]));
	fake_cpu_switch(0);
}
