/*
 * The host tests run as CPU 0. Its own object in the fake arch library, so
 * that tests which link no scheduler do not pull it in.
 */
#include "sched.h"

void *fake_cpu_local = &sched_cpus[0];
