/*
 * The interface of the channel devices /dev/ivc-NAME that the Linux guest's
 * module mica_ivc makes (docs/ivc.md, "Linux guests"): what the module and
 * the programs that use a channel share. Plain C types only, so that it
 * compiles both in the kernel and in the guest's programs, which have no C
 * library and no Linux headers.
 */
#ifndef MICA_APPS_LINUX_IVC_H
#define MICA_APPS_LINUX_IVC_H

/* What MICA_IVC_INFO answers: 16 bytes, the same on both sides. */
struct mica_ivc_info {
	unsigned long long size; /* the channel's size in bytes, a multiple of 4 KiB */
	unsigned int peer_count; /* the other ends: write() takes 0 .. peer_count - 1 */
	unsigned int flags;	 /* MICA_IVC_READ_ONLY */
};

/* This end may map the memory for reading only. */
#define MICA_IVC_READ_ONLY 1u

/*
 * ioctl(fd, MICA_IVC_INFO, &info) fills info. It is _IOR('m', 1, struct
 * mica_ivc_info), written out for programs without <linux/ioctl.h>: read
 * direction (2) in bits 31:30, the size (16) in 29:16, the type in 15:8, the
 * number in 7:0. The module checks that the two agree.
 */
#define MICA_IVC_INFO 0x80106d01u

/* What a read() answers: the count of the channel's interrupts so far. */
#define MICA_IVC_COUNT_SIZE 8u

/* What a write() takes: a peer's index, 4 bytes. */
#define MICA_IVC_PEER_SIZE 4u

#endif
