/*
 * mica_mkarchive: pack files into a Mica boot archive (format in
 * <mica/abi/archive.h>).
 *
 *   mica_mkarchive [--kernel KERNEL] OUT name=path [name=path ...]
 *
 * With --kernel, OUT is a bootable image instead: the kernel's arm64 Image
 * (KERNEL), zero-padded to the size its header gives (image_size: the
 * kernel with its .bss), then the archive, and the header's image_size
 * made to count the archive too. The kernel finds the archive there, and
 * a bootloader keeps the whole image clear of the device tree and initrd.
 *
 * The archive holds the files in the order given, each at an offset that is
 * a multiple of MICA_ARCHIVE_ALIGN, and is itself padded to such a multiple
 * so that the last file's final page holds nothing but zeros past its end.
 * The output is written to a temporary file beside OUT and renamed over it
 * only once complete, so a failed run never leaves a partial archive for
 * the build to pick up.
 *
 * Integers are written byte by byte in little-endian order, so the tool is
 * right on any host, not just little-endian ones.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mica/abi/archive.h>

#define PROG "mica_mkarchive"

#define HEADER_SIZE sizeof(struct mica_archive_header)
#define ENTRY_SIZE  sizeof(struct mica_archive_entry)

/* One file to pack: what the archive calls it, where it comes from, and where it goes. */
struct input {
	const char *name;
	size_t name_len;
	const char *path;
	FILE *file;
	uint64_t size;
	uint64_t offset;
};

/* The arm64 Image header (Linux's booting.rst): where image_size and the magic are. */
#define IMAGE_SIZE_AT  16u
#define IMAGE_MAGIC_AT 56u
#define IMAGE_HEADER   64u

static void usage(FILE *to)
{
	fprintf(to,
		"usage: " PROG " [--kernel KERNEL] OUT name=path [name=path ...]\n"
		"\n"
		"Pack the given files, in order, into the Mica boot archive OUT.\n"
		"Each name must be 1 to %u bytes long and unique; each file starts\n"
		"at a multiple of %u bytes from the start of the archive.\n"
		"With --kernel, OUT is a bootable arm64 Image: KERNEL (the kernel's\n"
		"Image) with the archive appended.\n",
		MICA_ARCHIVE_NAME_MAX - 1, MICA_ARCHIVE_ALIGN);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Round v up to the archive alignment; false if that would pass UINT64_MAX. */
static bool align_up(uint64_t v, uint64_t *out)
{
	uint64_t rem = v % MICA_ARCHIVE_ALIGN;

	if (rem == 0) {
		*out = v;
		return true;
	}
	if (v > UINT64_MAX - (MICA_ARCHIVE_ALIGN - rem))
		return false;
	*out = v + (MICA_ARCHIVE_ALIGN - rem);
	return true;
}

/*
 * Split a name=path argument at its first '=' (so a path may contain '=',
 * a name may not) and check the name: non-empty, short enough to fit its
 * field with the terminator, and not already taken by an earlier input.
 */
static bool parse_input(const char *arg, struct input *in, const struct input *earlier,
			size_t earlier_count)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL) {
		fprintf(stderr, PROG ": '%s': expected name=path\n", arg);
		return false;
	}
	in->name = arg;
	in->name_len = (size_t)(eq - arg);
	in->path = eq + 1;
	if (in->name_len == 0) {
		fprintf(stderr, PROG ": '%s': empty name\n", arg);
		return false;
	}
	if (in->name_len >= MICA_ARCHIVE_NAME_MAX) {
		fprintf(stderr, PROG ": '%.*s': name is %zu bytes; the limit is %u\n",
			(int)in->name_len, in->name, in->name_len, MICA_ARCHIVE_NAME_MAX - 1);
		return false;
	}
	if (*in->path == '\0') {
		fprintf(stderr, PROG ": '%s': empty path\n", arg);
		return false;
	}
	for (size_t i = 0; i < earlier_count; i++) {
		if (earlier[i].name_len == in->name_len &&
		    memcmp(earlier[i].name, in->name, in->name_len) == 0) {
			fprintf(stderr, PROG ": '%.*s': duplicate name\n", (int)in->name_len,
				in->name);
			return false;
		}
	}
	return true;
}

/* Open an input and learn its size; only regular files have one to trust. */
static bool open_input(struct input *in)
{
	struct stat st;

	in->file = fopen(in->path, "rb");
	if (in->file == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", in->path, strerror(errno));
		return false;
	}
	if (fstat(fileno(in->file), &st) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", in->path, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, PROG ": %s: not a regular file\n", in->path);
		return false;
	}
	in->size = (uint64_t)st.st_size;
	return true;
}

/*
 * Give every input its offset: the first after the header and entry table,
 * each later one after its predecessor's data, all rounded up to the
 * alignment. Sets *total to the archive's size, itself rounded up.
 */
static bool lay_out(struct input *inputs, size_t count, uint64_t *total)
{
	uint64_t pos = HEADER_SIZE + (uint64_t)count * ENTRY_SIZE;

	for (size_t i = 0; i < count; i++) {
		if (!align_up(pos, &inputs[i].offset) ||
		    inputs[i].size > UINT64_MAX - inputs[i].offset) {
			fprintf(stderr, PROG ": %s: archive would exceed 2^64 bytes\n",
				inputs[i].path);
			return false;
		}
		pos = inputs[i].offset + inputs[i].size;
	}
	if (!align_up(pos, total)) {
		fprintf(stderr, PROG ": archive would exceed 2^64 bytes\n");
		return false;
	}
	return true;
}

static bool write_bytes(FILE *out, const char *out_path, const void *p, size_t len)
{
	if (fwrite(p, 1, len, out) != len) {
		fprintf(stderr, PROG ": %s: %s\n", out_path, strerror(errno));
		return false;
	}
	return true;
}

/* Write zeros until the output reaches offset *pos == target. */
static bool pad_to(FILE *out, const char *out_path, uint64_t *pos, uint64_t target)
{
	static const uint8_t zeros[MICA_ARCHIVE_ALIGN];

	while (*pos < target) {
		uint64_t left = target - *pos;
		size_t len = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);

		if (!write_bytes(out, out_path, zeros, len))
			return false;
		*pos += len;
	}
	return true;
}

static bool write_metadata(FILE *out, const char *out_path, const struct input *inputs,
			   size_t count, uint64_t total)
{
	uint8_t header[HEADER_SIZE] = {0};

	memcpy(header + offsetof(struct mica_archive_header, magic), MICA_ARCHIVE_MAGIC,
	       sizeof(((struct mica_archive_header *)0)->magic));
	put_le32(header + offsetof(struct mica_archive_header, version), MICA_ARCHIVE_VERSION);
	put_le32(header + offsetof(struct mica_archive_header, entry_count), (uint32_t)count);
	put_le64(header + offsetof(struct mica_archive_header, total_size), total);
	if (!write_bytes(out, out_path, header, sizeof(header)))
		return false;

	for (size_t i = 0; i < count; i++) {
		uint8_t entry[ENTRY_SIZE] = {0};

		memcpy(entry + offsetof(struct mica_archive_entry, name), inputs[i].name,
		       inputs[i].name_len);
		put_le64(entry + offsetof(struct mica_archive_entry, offset), inputs[i].offset);
		put_le64(entry + offsetof(struct mica_archive_entry, size), inputs[i].size);
		if (!write_bytes(out, out_path, entry, sizeof(entry)))
			return false;
	}
	return true;
}

/*
 * Copy exactly in->size bytes of the input. A file that has grown or shrunk
 * since open_input measured it would not match its entry, so that is an
 * error rather than something to paper over.
 */
static bool copy_input(FILE *out, const char *out_path, const struct input *in)
{
	uint8_t chunk[65536];
	uint64_t left = in->size;

	while (left > 0) {
		size_t want = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
		size_t got = fread(chunk, 1, want, in->file);

		if (got != want) {
			if (ferror(in->file))
				fprintf(stderr, PROG ": %s: %s\n", in->path, strerror(errno));
			else
				fprintf(stderr, PROG ": %s: file shrank while being read\n",
					in->path);
			return false;
		}
		if (!write_bytes(out, out_path, chunk, got))
			return false;
		left -= got;
	}
	if (fgetc(in->file) != EOF) {
		fprintf(stderr, PROG ": %s: file grew while being read\n", in->path);
		return false;
	}
	return true;
}

/*
 * The kernel's Image, whole, with image_size counting the archive of total
 * bytes that follows, then zeros to where the archive starts.
 */
static bool write_kernel(FILE *out, const char *out_path, struct input *kernel, uint64_t total)
{
	uint8_t *bytes = malloc(kernel->size > 0 ? kernel->size : 1);
	uint64_t room, pos = kernel->size;
	bool ok = bytes != NULL;

	if (!ok)
		fprintf(stderr, PROG ": out of memory\n");
	if (ok && fread(bytes, 1, kernel->size, kernel->file) != kernel->size) {
		fprintf(stderr, PROG ": %s: cannot read it whole\n", kernel->path);
		ok = false;
	}
	if (ok &&
	    (kernel->size < IMAGE_HEADER || memcmp(bytes + IMAGE_MAGIC_AT, "ARM\x64", 4) != 0)) {
		fprintf(stderr, PROG ": %s: not an arm64 Image (no ARM\\x64 magic)\n",
			kernel->path);
		ok = false;
	}
	room = ok ? get_le64(bytes + IMAGE_SIZE_AT) : 0;
	/*
	 * An image this made already is no kernel to pack: its image_size is
	 * its whole size (a kernel's counts its .bss too), and an archive
	 * starts on one of its pages.
	 */
	for (uint64_t at = MICA_ARCHIVE_ALIGN; ok && room == kernel->size && at + 8 <= kernel->size;
	     at += MICA_ARCHIVE_ALIGN)
		if (memcmp(bytes + at, MICA_ARCHIVE_MAGIC, 8) == 0) {
			fprintf(stderr,
				PROG ": %s: already an image, with an archive at %llu: give the "
				     "kernel's own Image\n",
				kernel->path, (unsigned long long)at);
			ok = false;
		}
	if (ok &&
	    (room < kernel->size || room % MICA_ARCHIVE_ALIGN != 0 || total > UINT64_MAX - room)) {
		fprintf(stderr,
			PROG ": %s: image_size %llu is not a page multiple past its %llu bytes\n",
			kernel->path, (unsigned long long)room, (unsigned long long)kernel->size);
		ok = false;
	}
	if (ok) {
		put_le64(bytes + IMAGE_SIZE_AT, room + total);
		ok = write_bytes(out, out_path, bytes, kernel->size) &&
		     pad_to(out, out_path, &pos, room);
	}
	free(bytes);
	return ok;
}

static bool write_archive(FILE *out, const char *out_path, const struct input *inputs, size_t count,
			  uint64_t total)
{
	uint64_t pos = HEADER_SIZE + (uint64_t)count * ENTRY_SIZE;

	if (!write_metadata(out, out_path, inputs, count, total))
		return false;
	for (size_t i = 0; i < count; i++) {
		if (!pad_to(out, out_path, &pos, inputs[i].offset))
			return false;
		if (!copy_input(out, out_path, &inputs[i]))
			return false;
		pos += inputs[i].size;
	}
	return pad_to(out, out_path, &pos, total);
}

/*
 * Create a temporary file in OUT's directory (so the final rename cannot
 * cross file systems), with the permissions a plain fopen would have given.
 */
static FILE *create_temp(const char *out_path, char *tmp_path)
{
	int fd = mkstemp(tmp_path);
	mode_t mask = umask(0);

	umask(mask);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: cannot create a temporary file beside it: %s\n",
			out_path, strerror(errno));
		return NULL;
	}
	if (fchmod(fd, 0666 & ~mask) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", tmp_path, strerror(errno));
		close(fd);
		unlink(tmp_path);
		return NULL;
	}
	FILE *out = fdopen(fd, "wb");

	if (out == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", tmp_path, strerror(errno));
		close(fd);
		unlink(tmp_path);
	}
	return out;
}

/* Write the archive (after the kernel, if any) to a temporary file, then rename it over out_path.
 */
static bool emit_archive(const char *out_path, struct input *kernel, const struct input *inputs,
			 size_t count, uint64_t total)
{
	static const char suffix[] = ".tmpXXXXXX";
	size_t out_len = strlen(out_path);
	char *tmp_path = malloc(out_len + sizeof(suffix));
	bool ok = false;

	if (tmp_path == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return false;
	}
	memcpy(tmp_path, out_path, out_len);
	memcpy(tmp_path + out_len, suffix, sizeof(suffix));

	FILE *out = create_temp(out_path, tmp_path);

	if (out == NULL)
		goto done;
	ok = (kernel == NULL || write_kernel(out, out_path, kernel, total)) &&
	     write_archive(out, out_path, inputs, count, total);
	if (fclose(out) != 0 && ok) {
		fprintf(stderr, PROG ": %s: %s\n", tmp_path, strerror(errno));
		ok = false;
	}
	if (ok && rename(tmp_path, out_path) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", out_path, strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(tmp_path);
done:
	free(tmp_path);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	struct input kernel = {0};
	int first = 1;

	if (argc >= 3 && strcmp(argv[1], "--kernel") == 0) {
		kernel.path = argv[2];
		first = 3;
	}
	if (argc < first + 2) {
		usage(stderr);
		return 2;
	}

	const char *out_path = argv[first];
	size_t count = (size_t)(argc - first - 1);

	if (count > UINT32_MAX) {
		fprintf(stderr, PROG ": too many files\n");
		return 2;
	}

	struct input *inputs = calloc(count, sizeof(*inputs));
	bool ok = inputs != NULL;
	uint64_t total = 0;

	if (!ok)
		fprintf(stderr, PROG ": out of memory\n");
	for (size_t i = 0; ok && i < count; i++)
		ok = parse_input(argv[first + 1 + (int)i], &inputs[i], inputs, i);
	for (size_t i = 0; ok && i < count; i++)
		ok = open_input(&inputs[i]);
	if (ok && kernel.path != NULL)
		ok = open_input(&kernel);
	if (ok)
		ok = lay_out(inputs, count, &total);
	if (ok)
		ok = emit_archive(out_path, kernel.path != NULL ? &kernel : NULL, inputs, count,
				  total);

	for (size_t i = 0; inputs != NULL && i < count; i++) {
		if (inputs[i].file != NULL)
			fclose(inputs[i].file);
	}
	if (kernel.file != NULL)
		fclose(kernel.file);
	free(inputs);
	return ok ? 0 : 1;
}
