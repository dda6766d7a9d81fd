/*
 * IPC: the message-info word, message registers and the IPC buffer.
 *
 * A message is a label, up to MICA_MSG_MAX_LENGTH words and up to
 * MICA_MSG_MAX_EXTRA_CAPS capabilities. The first MICA_MSG_REGISTERS words
 * travel in CPU registers (x2..x5 on AArch64); the rest, and the capability
 * addresses, in the sender's and receiver's IPC buffers. Message registers
 * past the message's length arrive as zero.
 */
#ifndef MICA_ABI_IPC_H
#define MICA_ABI_IPC_H

#include <stdint.h>

#define MICA_MSG_REGISTERS	4
#define MICA_MSG_MAX_LENGTH	64
#define MICA_MSG_MAX_EXTRA_CAPS 3

/*
 * The message-info word:
 *   bits  6..0   length (words, 0..MICA_MSG_MAX_LENGTH)
 *   bits  8..7   extra capabilities (0..MICA_MSG_MAX_EXTRA_CAPS)
 *   bits 11..9   which extra capabilities were unwrapped to their badge
 *   bits 63..12  label
 */
#define MICA_MSG_LENGTH_MASK	 0x7fu
#define MICA_MSG_CAPS_SHIFT	 7
#define MICA_MSG_CAPS_MASK	 0x3u
#define MICA_MSG_UNWRAPPED_SHIFT 9
#define MICA_MSG_UNWRAPPED_MASK	 0x7u
#define MICA_MSG_LABEL_SHIFT	 12

static inline uint64_t mica_msg_info(uint64_t label, unsigned caps, unsigned length)
{
	return (label << MICA_MSG_LABEL_SHIFT) |
	       ((uint64_t)(caps & MICA_MSG_CAPS_MASK) << MICA_MSG_CAPS_SHIFT) |
	       (length & MICA_MSG_LENGTH_MASK);
}

static inline uint64_t mica_msg_label(uint64_t info)
{
	return info >> MICA_MSG_LABEL_SHIFT;
}

static inline unsigned mica_msg_length(uint64_t info)
{
	return (unsigned)(info & MICA_MSG_LENGTH_MASK);
}

static inline unsigned mica_msg_caps(uint64_t info)
{
	return (unsigned)(info >> MICA_MSG_CAPS_SHIFT) & MICA_MSG_CAPS_MASK;
}

static inline unsigned mica_msg_unwrapped(uint64_t info)
{
	return (unsigned)(info >> MICA_MSG_UNWRAPPED_SHIFT) & MICA_MSG_UNWRAPPED_MASK;
}

/*
 * The per-thread IPC buffer: one 4 KiB frame (or part of one, 1 KiB
 * aligned) the thread names in TCB configure.
 */
struct mica_ipc_buffer {
	uint64_t tag;				  /* Unused by the kernel. */
	uint64_t mr[MICA_MSG_MAX_LENGTH];	  /* mr[0..3] mirror the registers. */
	uint64_t caps[MICA_MSG_MAX_EXTRA_CAPS];	  /* Send: capability addresses. */
	uint64_t badges[MICA_MSG_MAX_EXTRA_CAPS]; /* Receive: badges of unwrapped caps. */
	uint64_t receive_cnode;			  /* Receive: where a granted capability goes: */
	uint64_t receive_index;			  /*   CNode (cptr in the receiver's CSpace), */
	uint64_t receive_depth;			  /*   index and depth within it. */
	uint64_t user_data;			  /* Unused by the kernel. */
};

#define MICA_IPC_BUFFER_ALIGN 1024

/*
 * The label of a message that is really a bound notification's signal,
 * delivered to a thread receiving on an endpoint (the badge holds the
 * notification's word).
 */
#define MICA_LABEL_NOTIFICATION ((UINT64_C(1) << 52) - 1)

_Static_assert(sizeof(struct mica_ipc_buffer) == sizeof(uint64_t) * (1 + 64 + 3 + 3 + 3 + 1),
	       "IPC buffer layout");
_Static_assert(sizeof(struct mica_ipc_buffer) <= MICA_IPC_BUFFER_ALIGN, "IPC buffer fits");

#endif
