/*
 * Invocations of kernel objects (MICA_SYS_CALL on a non-endpoint
 * capability), decoded from the caller's message.
 */
#ifndef MICA_INVOKE_H
#define MICA_INVOKE_H

#include "cap.h"
#include "thread.h"

#include <mica/abi/context.h>
#include <mica/abi/ipc.h>

#define INVOKE_MAX_ARGS 8

struct invocation {
	struct tcb *caller;
	struct slot *slot; /* The capability invoked. */
	uint64_t label;
	unsigned length;			     /* Message words given. */
	uint64_t arg[INVOKE_MAX_ARGS];		     /* The first words (0 past length). */
	struct slot *extra[MICA_MSG_MAX_EXTRA_CAPS]; /* Looked up; NULL if not given. */
	unsigned extra_count;
	uint64_t result[MICA_CONTEXT_WORDS]; /* Words to return. */
	unsigned result_count;
};

/* The extra capability i, required to be of type (MICA_OBJ_NULL: any). */
MUST_CHECK enum mica_error invoke_extra_cap(const struct invocation *inv, unsigned i,
					    enum mica_object_type type, struct slot **out);

/* The TCB invocations (invoke_tcb.c). */
MUST_CHECK enum mica_error invoke_tcb(struct invocation *inv);

/* Decode and perform inv; returns the error for the caller's x6. */
MUST_CHECK enum mica_error invoke(struct invocation *inv);

#endif
