/* enum mica_error in words (base/errors.h). */
#include <base/errors.h>

#include <stddef.h>

static const char *const texts[] = {
	[MICA_OK] = "success",
	[MICA_ERR_INVALID_ARGUMENT] = "invalid argument",
	[MICA_ERR_INVALID_CAPABILITY] = "invalid capability",
	[MICA_ERR_ILLEGAL_OPERATION] = "operation not allowed",
	[MICA_ERR_RANGE] = "value out of range",
	[MICA_ERR_ALIGNMENT] = "misaligned address or size",
	[MICA_ERR_BAD_ADDRESS] = "buffer not mapped",
	[MICA_ERR_NOT_ENOUGH_MEMORY] = "out of memory",
	[MICA_ERR_UNKNOWN_SYSCALL] = "unknown system call",
	[MICA_ERR_MALFORMED] = "malformed data",
	[MICA_ERR_NOT_FOUND] = "not found",
	[MICA_ERR_TRUNCATED] = "data cut short",
	[MICA_ERR_LOOKUP_FAILED] = "capability address names no slot",
	[MICA_ERR_DELETE_FIRST] = "slot already in use",
	[MICA_ERR_REVOKE_FIRST] = "memory still in use",
	[MICA_ERR_WRONG_TYPE] = "wrong type of object",
	[MICA_ERR_NO_RIGHTS] = "no right to do it",
	[MICA_ERR_CANCELLED] = "cancelled",
};

const char *mica_error_text(enum mica_error err)
{
	if ((unsigned)err >= sizeof(texts) / sizeof(texts[0]) || texts[err] == NULL)
		return "unknown error";
	return texts[err];
}
