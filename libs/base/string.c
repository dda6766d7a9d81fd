/*
 * The string functions of libs/base, for the kernel and EL0 programs.
 *
 * The kernel builds this file with -mstrict-align, so a word access is only
 * made at an address that is a multiple of the word size; everything else
 * goes a byte at a time. Only memcpy, memmove and memset have word loops:
 * they move whole pages and objects, while the rest see short strings.
 */
#include <stdint.h>
#include <string.h>

/*
 * A word that may alias any object, so that copying an int array through it
 * is not a strict-aliasing violation the optimiser could exploit.
 */
typedef uint64_t __attribute__((may_alias)) word_t;

#define WORD_SIZE sizeof(word_t)

/* Each byte of a word set to 0x01: multiplying a byte by it repeats it. */
#define WORD_ONES ((word_t)0x0101010101010101ull)

/*
 * Clang recognises a copy or fill loop and may replace it with a call to
 * memcpy or memset, which inside memcpy or memset is a call to itself.
 * Mica's builds pass -ffreestanding, which already stops that, but this file
 * must stay correct under any flags. An empty asm statement that claims to
 * change the pointer hides the loop's shape from the optimiser at no cost
 * beyond the loop itself.
 */
#define HIDE_FROM_OPTIMISER(p) __asm__("" : "+r"(p))

/*
 * ISO C gives memchr, strchr and strrchr a non-const result for a const
 * argument. Going through an integer drops the qualifier without tripping
 * -Wcast-qual, and says that it is on purpose.
 */
static void *drop_const(const void *p)
{
	return (void *)(uintptr_t)p;
}

static int is_word_aligned(const void *p)
{
	return ((uintptr_t)p & (WORD_SIZE - 1)) == 0;
}

/*
 * Copy n bytes from s to d, lowest address first. Correct for overlapping
 * buffers when d is below s, since every byte is read before the write that
 * could clobber it. When both pointers share their offset within a word,
 * the middle of the range moves eight words a round (four load-pair and
 * four store-pair instructions: what a device server's bulk copies of a
 * guest's data cost, about a third of a word at a time), then a word at a
 * time.
 */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	if ((((uintptr_t)d ^ (uintptr_t)s) & (WORD_SIZE - 1)) == 0) {
		while (n > 0 && !is_word_aligned(d)) {
			*d++ = *s++;
			n--;
		}
		while (n >= 8 * WORD_SIZE) {
			const word_t *from = (const word_t *)(const void *)s;
			word_t *to = (word_t *)(void *)d;
			word_t w0 = from[0], w1 = from[1], w2 = from[2], w3 = from[3];
			word_t w4 = from[4], w5 = from[5], w6 = from[6], w7 = from[7];

			/* Every word read before any is written: right for memmove's overlap too.
			 */
			to[0] = w0;
			to[1] = w1;
			to[2] = w2;
			to[3] = w3;
			to[4] = w4;
			to[5] = w5;
			to[6] = w6;
			to[7] = w7;
			HIDE_FROM_OPTIMISER(d);
			d += 8 * WORD_SIZE;
			s += 8 * WORD_SIZE;
			n -= 8 * WORD_SIZE;
		}
		while (n >= WORD_SIZE) {
			*(word_t *)(void *)d = *(const word_t *)(const void *)s;
			HIDE_FROM_OPTIMISER(d);
			d += WORD_SIZE;
			s += WORD_SIZE;
			n -= WORD_SIZE;
		}
	}
	while (n > 0) {
		*d++ = *s++;
		HIDE_FROM_OPTIMISER(d);
		n--;
	}
}

/*
 * Copy n bytes from s to d, highest address first: the overlapping case of
 * memmove where d lies above s. The word loop is only reached when d and s
 * differ by a multiple of the word size, so a word read never covers a byte
 * already written.
 */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if ((((uintptr_t)d ^ (uintptr_t)s) & (WORD_SIZE - 1)) == 0) {
		while (n > 0 && !is_word_aligned(d)) {
			*--d = *--s;
			n--;
		}
		while (n >= WORD_SIZE) {
			d -= WORD_SIZE;
			s -= WORD_SIZE;
			*(word_t *)(void *)d = *(const word_t *)(const void *)s;
			HIDE_FROM_OPTIMISER(d);
			n -= WORD_SIZE;
		}
	}
	while (n > 0) {
		*--d = *--s;
		HIDE_FROM_OPTIMISER(d);
		n--;
	}
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

/*
 * The unsigned difference dst - src is below n exactly when dst starts
 * inside [src, src + n): only then would a forward copy overwrite source
 * bytes before reading them.
 */
void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		copy_forward(dst, src, n);
	else
		copy_backward(dst, src, n);
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	unsigned char byte = (unsigned char)c;

	while (n > 0 && !is_word_aligned(d)) {
		*d++ = byte;
		n--;
	}
	if (n >= WORD_SIZE) {
		word_t word = byte * WORD_ONES;

		/* Four words a round where there are (the kernel clears structures this way). */
		while (n >= 4 * WORD_SIZE) {
			word_t *w = (word_t *)(void *)d;

			w[0] = word;
			w[1] = word;
			w[2] = word;
			w[3] = word;
			HIDE_FROM_OPTIMISER(d);
			d += 4 * WORD_SIZE;
			n -= 4 * WORD_SIZE;
		}
		while (n >= WORD_SIZE) {
			*(word_t *)(void *)d = word;
			HIDE_FROM_OPTIMISER(d);
			d += WORD_SIZE;
			n -= WORD_SIZE;
		}
	}
	while (n > 0) {
		*d++ = byte;
		HIDE_FROM_OPTIMISER(d);
		n--;
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a;
	const unsigned char *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] - y[i];
	}
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	unsigned char byte = (unsigned char)c;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == byte)
			return drop_const(p + i);
	}
	return NULL;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

/* Never looks at s[max] or beyond, so s need not be terminated. */
size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

/* ISO C compares the characters as unsigned char, whatever char's sign. */
int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x != '\0' && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] - y[i];
		if (x[i] == '\0')
			break;
	}
	return 0;
}

/* The terminator is part of the string: strchr(s, '\0') finds it. */
char *strchr(const char *s, int c)
{
	char ch = (char)c;

	for (;; s++) {
		if (*s == ch)
			return drop_const(s);
		if (*s == '\0')
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	char ch = (char)c;
	const char *last = NULL;

	for (;; s++) {
		if (*s == ch)
			last = s;
		if (*s == '\0')
			return drop_const(last);
	}
}
