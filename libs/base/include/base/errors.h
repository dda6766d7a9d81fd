/*
 * enum mica_error (<mica/abi/errors.h>) in words, for messages a user
 * reads: "out of memory", not "error 7".
 */
#ifndef MICA_BASE_ERRORS_H
#define MICA_BASE_ERRORS_H

#include <mica/abi/errors.h>

/* What err means, in a few lowercase words ("unknown error" for a value no code has). */
const char *mica_error_text(enum mica_error err);

#endif
