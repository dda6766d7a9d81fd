/* Host stand-in (see sys.h beside it): the one invocation console.c makes. */
#ifndef MICA_TEST_CONSOLE_SHIM_KOBJ_H
#define MICA_TEST_CONSOLE_SHIM_KOBJ_H

#include <stdint.h>

#include <mica/abi/errors.h>

enum mica_error mica_irq_handler_ack(uint64_t handler);

#endif
