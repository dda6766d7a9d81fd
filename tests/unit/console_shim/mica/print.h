/* Host stand-in (see sys.h beside it): the host's printf. */
#ifndef MICA_TEST_CONSOLE_SHIM_PRINT_H
#define MICA_TEST_CONSOLE_SHIM_PRINT_H

#include <stdio.h>

#endif
